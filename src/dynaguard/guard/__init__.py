"""Guard: hardened authentication for FastAPI on DynamoDB."""

from dynaguard.guard.core import Guard
from dynaguard.guard.principal import Principal

__all__ = ["Guard", "Principal"]

"""dynaguard: hardened authentication for FastAPI on DynamoDB, and a scanner that proves it."""

__version__ = "0.1.0"

__all__ = ["__version__"]

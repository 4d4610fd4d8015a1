"""``dynaguard audit``: a read-only, white-box audit of a DynamoDB user table.

It reports in the scanner's terms (findings with CWE, OWASP and SOC 2, a score and a
grade) so every report writer and CI gate of ``dynaguard scan`` works on it unchanged.

The engine (and its AWS client) loads on first use, so the command line stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dynaguard.audit.engine import AuditConfig, run_audit

__all__ = ["AuditConfig", "run_audit"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from dynaguard.audit import engine  # noqa: PLC0415 -- loads aiobotocore on use

        return getattr(engine, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

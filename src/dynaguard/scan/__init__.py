"""dynaguard's black-box broken-authentication scanner (``dynaguard scan URL``).

Kept light on import (the command line loads it for ``--help``): the engine lives in
``dynaguard.scan.engine`` (``run_scan``, ``scan_events``), its input in
``dynaguard.scan.config.ScanConfig``; findings and errors are re-exported here.
"""

from dynaguard.scan.errors import (
    BudgetExhausted,
    OffTarget,
    ProfileError,
    ScanError,
    Skip,
    TargetUnreachable,
    UsageError,
)
from dynaguard.scan.findings import (
    CheckResult,
    CheckStatus,
    Confidence,
    Finding,
    ScanResult,
    Severity,
)

__all__ = [
    "BudgetExhausted",
    "CheckResult",
    "CheckStatus",
    "Confidence",
    "Finding",
    "OffTarget",
    "ProfileError",
    "ScanError",
    "ScanResult",
    "Severity",
    "Skip",
    "TargetUnreachable",
    "UsageError",
]

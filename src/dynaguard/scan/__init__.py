"""dynaguard's black-box broken-authentication scanner (``dynaguard scan URL``).

Kept light on import (the command line loads it for ``--help``): the engine lives in
``dynaguard.scan.engine`` (``run_scan``, ``scan_events``), its input in
``dynaguard.scan.config.ScanConfig``; findings, coverage, prerequisites and errors are
re-exported here.
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
    Coverage,
    Finding,
    ScanResult,
    Severity,
)
from dynaguard.scan.prerequisites import Prerequisite

__all__ = [
    "BudgetExhausted",
    "CheckResult",
    "CheckStatus",
    "Confidence",
    "Coverage",
    "Finding",
    "OffTarget",
    "Prerequisite",
    "ProfileError",
    "ScanError",
    "ScanResult",
    "Severity",
    "Skip",
    "TargetUnreachable",
    "UsageError",
]

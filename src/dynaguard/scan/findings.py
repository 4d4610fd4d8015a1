"""What a scan produces: findings and check results, as frozen data."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

__all__ = ["CheckResult", "CheckStatus", "Confidence", "Finding", "ScanResult", "Severity"]


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """4 for critical down to 0 for info: comparable across severities."""
        return _RANKS[self]


_RANKS = {Severity.CRITICAL: 4, Severity.HIGH: 3, Severity.MEDIUM: 2, Severity.LOW: 1,
          Severity.INFO: 0}


class Confidence(StrEnum):
    CERTAIN = "certain"
    FIRM = "firm"
    TENTATIVE = "tentative"


class CheckStatus(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"
    ERROR = "error"


@dataclass(frozen=True)
class Finding:
    """One weakness observed on one endpoint, with the evidence that shows it."""

    check: str
    title: str
    severity: Severity
    confidence: Confidence
    cwe: tuple[int, ...]
    owasp: tuple[str, ...]
    soc2: tuple[str, ...]
    endpoint: str
    evidence: Mapping[str, Any]
    remediation: str

    def to_dict(self) -> dict[str, Any]:
        return {"check": self.check, "title": self.title, "severity": str(self.severity),
                "confidence": str(self.confidence), "cwe": list(self.cwe),
                "owasp": list(self.owasp), "soc2": list(self.soc2), "endpoint": self.endpoint,
                "evidence": dict(self.evidence), "remediation": self.remediation}


@dataclass(frozen=True)
class CheckResult:
    """How one check ended; ``detail`` says what was tried, or why it was skipped."""

    check: str
    title: str
    status: CheckStatus
    detail: str
    findings: tuple[Finding, ...] = ()
    requests: int = 0
    duration_s: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"check": self.check, "status": str(self.status), "detail": self.detail}


@dataclass(frozen=True)
class ScanResult:
    """A whole scan: every check's result, the findings, the score and the grade."""

    target: str
    started_at: datetime
    duration_s: float
    requests: int
    score: int
    grade: str
    checks: tuple[CheckResult, ...]

    @property
    def findings(self) -> tuple[Finding, ...]:
        return tuple(f for c in self.checks for f in c.findings)

    def worst(self) -> Severity | None:
        """The highest severity among the findings, or None for a clean scan."""
        found = self.findings
        return max((f.severity for f in found), key=lambda s: s.rank) if found else None

"""What a scan produces: findings and check results, as frozen data."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from dynaguard.scan.prerequisites import Prerequisite

__all__ = ["CheckResult", "CheckStatus", "Confidence", "Coverage", "Finding", "ScanResult",
           "Severity"]


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
    """How one check ended; ``detail`` says what was tried, or why it was skipped, and
    ``needs`` the missing prerequisite of a skipped check."""

    check: str
    title: str
    status: CheckStatus
    detail: str
    findings: tuple[Finding, ...] = ()
    requests: int = 0
    duration_s: float = 0.0
    needs: Prerequisite | None = None

    @property
    def prerequisite(self) -> Prerequisite | None:
        """Why a skipped check did not run (unspecified when its result did not say)."""
        if self.status is not CheckStatus.SKIPPED:
            return None
        return self.needs or Prerequisite.UNSPECIFIED

    @property
    def ran(self) -> bool:
        return self.status in (CheckStatus.PASSED, CheckStatus.FAILED)

    def to_dict(self) -> dict[str, Any]:
        document = {"check": self.check, "status": str(self.status), "detail": self.detail}
        if (needs := self.prerequisite) is not None:
            document["needs"] = str(needs)
        return document


@dataclass(frozen=True)
class Coverage:
    """How much of a scan's applicable checks actually ran, and why the others did not.

    A check is applicable unless it was skipped as not applicable; it ran when it passed
    or failed; an applicable check that did not run was skipped for a missing prerequisite
    (``skipped_by``) or ended in an error (``errored``)."""

    applicable: int
    ran: int
    skipped_by: Mapping[Prerequisite, tuple[str, ...]]
    errored: tuple[str, ...] = ()
    not_applicable: tuple[str, ...] = ()

    @classmethod
    def of(cls, checks: Iterable[CheckResult]) -> Coverage:
        checks = list(checks)
        skipped: dict[Prerequisite, list[str]] = {}
        for check in checks:
            if (needs := check.prerequisite) is not None:
                skipped.setdefault(needs, []).append(check.check)
        outside = tuple(skipped.pop(Prerequisite.NOT_APPLICABLE, ()))
        return cls(applicable=len(checks) - len(outside), ran=sum(c.ran for c in checks),
                   skipped_by={needs: tuple(ids) for needs, ids in sorted(
                       skipped.items(), key=lambda item: (-len(item[1]), item[0]))},
                   errored=tuple(c.check for c in checks if c.status is CheckStatus.ERROR),
                   not_applicable=outside)

    @property
    def share(self) -> float:
        """The share of applicable checks that ran (0.0 when none was applicable)."""
        return self.ran / self.applicable if self.applicable else 0.0

    @property
    def percent(self) -> int:
        return int(self.share * 100)

    def describe(self) -> str:
        """``31 of 38 applicable checks ran (81%)``."""
        return f"{self.ran} of {self.applicable} applicable checks ran ({self.percent}%)"

    def to_dict(self) -> dict[str, Any]:
        return {"applicable": self.applicable, "ran": self.ran,
                "skipped_by": {str(needs): list(ids) for needs, ids in self.skipped_by.items()},
                "errored": list(self.errored), "not_applicable": list(self.not_applicable)}


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

    @property
    def coverage(self) -> Coverage:
        return Coverage.of(self.checks)

    def worst(self) -> Severity | None:
        """The highest severity among the findings, or None for a clean scan."""
        found = self.findings
        return max((f.severity for f in found), key=lambda s: s.rank) if found else None

"""What a check gets: the target's surface, the HTTP engine, accounts and a finding maker."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dynaguard.scan.accounts import AccountPool
from dynaguard.scan.checks.registry import CheckSpec
from dynaguard.scan.discovery import Surface
from dynaguard.scan.findings import Confidence, Finding, Severity
from dynaguard.scan.http import ScanHTTP
from dynaguard.scan.profile import Profile
from dynaguard.scan.taxonomy import owasp_for, soc2_for

__all__ = ["CheckContext"]


@dataclass
class CheckContext:
    spec: CheckSpec
    http: ScanHTTP
    surface: Surface
    accounts: AccountPool
    rng: random.Random
    timing_max_pairs: int = 300

    @property
    def profile(self) -> Profile:
        return self.surface.profile

    def finding(self, endpoint: str, evidence: Mapping[str, Any], *, title: str | None = None,
                severity: Severity | None = None, confidence: Confidence = Confidence.FIRM,
                cwe: tuple[int, ...] | None = None) -> Finding:
        """A finding of this check; taxonomy and remediation come from the check's spec."""
        cwes = cwe or self.spec.cwe
        return Finding(check=self.spec.id, title=title or self.spec.title,
                       severity=severity or self.spec.severity, confidence=confidence,
                       cwe=cwes, owasp=owasp_for(cwes), soc2=soc2_for(cwes), endpoint=endpoint,
                       evidence=dict(evidence), remediation=self.spec.remediation)

    def pairs_affordable(self, reserve: int = 40) -> int:
        """How many timing pairs the budget still pays for, keeping ``reserve`` requests."""
        return min(self.timing_max_pairs, (self.http.budget.left - reserve) // 2 - 3)

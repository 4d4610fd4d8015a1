"""What the dashboard's pages show, shaped from the history: groups, diffs, chart points.

Nothing here renders HTML; the templates do, with autoescaping, because every string that
came from a scanned target (titles, endpoints, evidence) is attacker-controlled.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from dynaguard.history import Diff, ScanRow, compare
from dynaguard.scan.findings import Finding, ScanResult
from dynaguard.scan.scoring import GRADE_FLOORS
from dynaguard.scan.taxonomy import CWE_NAMES

__all__ = ["Chart", "DiffView", "Group", "Grouping", "chart", "diff_view", "evidence_text",
           "group_findings"]

OWASP_NAMES = {
    "API1:2023": "Broken Object Level Authorization",
    "API2:2023": "Broken Authentication",
    "API3:2023": "Broken Object Property Level Authorization",
    "API4:2023": "Unrestricted Resource Consumption",
    "API5:2023": "Broken Function Level Authorization",
    "API6:2023": "Unrestricted Access to Sensitive Business Flows",
    "API7:2023": "Server Side Request Forgery",
    "API8:2023": "Security Misconfiguration",
    "API9:2023": "Improper Inventory Management",
    "API10:2023": "Unsafe Consumption of APIs",
}

SOC2_NAMES = {
    "CC6.1": "Logical access security",
    "CC6.2": "User registration, credentials issued and removed",
    "CC6.3": "Access by role and least privilege",
    "CC6.6": "Protection against threats from outside the system boundary",
    "CC6.7": "Restricted transmission of information",
    "CC7.1": "Detection of configuration changes and vulnerabilities",
    "CC7.2": "Monitoring for anomalies",
    "CC8.1": "Change management",
}


class Grouping(StrEnum):
    CWE = "cwe"
    OWASP = "owasp"
    SOC2 = "soc2"

    @property
    def label(self) -> str:
        return {"cwe": "CWE", "owasp": "OWASP API Top 10", "soc2": "SOC 2 control"}[self.value]


@dataclass(frozen=True)
class Group:
    key: str
    name: str
    findings: tuple[Finding, ...]


def _keys(grouping: Grouping) -> Callable[[Finding], Iterable[tuple[str, str]]]:
    if grouping is Grouping.CWE:
        return lambda f: ((f"CWE-{c}", CWE_NAMES.get(c, "")) for c in f.cwe)
    if grouping is Grouping.OWASP:
        return lambda f: ((o, OWASP_NAMES.get(o, "")) for o in f.owasp)
    return lambda f: ((s, SOC2_NAMES.get(s, "")) for s in f.soc2)


def _order(key: str) -> list[int | str]:
    """Natural order: CWE-79 before CWE-287, API2 before API10, CC6.1 before CC7.2."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", key)]


def group_findings(findings: Sequence[Finding], grouping: Grouping) -> list[Group]:
    """Findings under each CWE, OWASP category or SOC 2 control they bear on (a finding
    with several appears under each); unmapped findings form an "unmapped" group."""
    keys = _keys(grouping)
    groups: dict[str, tuple[str, list[Finding]]] = {}
    for finding in sorted(findings, key=lambda f: -f.severity.rank):
        found = list(keys(finding)) or [("unmapped", "")]
        for key, name in found:
            groups.setdefault(key, (name, []))[1].append(finding)
    return [Group(key, name, tuple(members))
            for key, (name, members) in sorted(groups.items(), key=lambda kv: _order(kv[0]))]


def evidence_text(finding: Finding) -> str:
    return json.dumps(dict(finding.evidence), indent=2, sort_keys=True, default=str)


@dataclass(frozen=True)
class DiffView:
    before: ScanRow
    after: ScanRow
    diff: Diff
    unchanged: tuple[Finding, ...]

    @property
    def delta(self) -> int:
        return self.diff.score_after - self.diff.score_before


def diff_view(before: ScanRow, older: ScanResult, after: ScanRow, newer: ScanResult) -> DiffView:
    """New, fixed and unchanged findings (matched by check and endpoint, as the gate does)."""
    diff = compare(older, newer)
    new = {id(f) for f in diff.new}
    return DiffView(before, after, diff,
                    tuple(f for f in newer.findings if id(f) not in new))


@dataclass(frozen=True)
class Point:
    scan: ScanRow
    x: float
    y: float


@dataclass(frozen=True)
class Chart:
    """A score-over-time line: scans oldest first, evenly spaced, score 0 at the bottom."""

    width: int
    height: int
    left: int
    top: int
    plot_width: int
    plot_height: int
    points: tuple[Point, ...]

    def y_of(self, score: int) -> float:
        return round(self.top + (100 - score) / 100 * self.plot_height, 1)

    @property
    def line(self) -> str:
        return " ".join(f"{p.x},{p.y}" for p in self.points)

    @property
    def floors(self) -> list[tuple[int, str, float, float]]:
        """Grade floors as guide lines: (score, grade, y of the line, y of the band's middle)."""
        return [(floor, grade, self.y_of(floor), self.y_of(floor + 5))
                for floor, grade in GRADE_FLOORS]

    @property
    def bottom(self) -> int:
        return self.top + self.plot_height


def chart(scans: Sequence[ScanRow], width: int = 720, height: int = 220) -> Chart:
    """The geometry of a target's chart; ``scans`` oldest first."""
    left, right, top, bottom = 40, 20, 12, 30
    plot_width, plot_height = width - left - right, height - top - bottom
    base = Chart(width, height, left, top, plot_width, plot_height, ())
    step = plot_width / (len(scans) - 1) if len(scans) > 1 else 0.0
    points = tuple(
        Point(scan, round(left + (i * step if len(scans) > 1 else plot_width / 2), 1),
              base.y_of(scan.score))
        for i, scan in enumerate(scans))
    return Chart(width, height, left, top, plot_width, plot_height, points)

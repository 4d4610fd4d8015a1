"""The HTML report: one self-contained file (inline CSS, no script, nothing fetched)."""

from __future__ import annotations

import json
from collections import Counter

from jinja2 import Environment, PackageLoader, select_autoescape

from dynaguard import __version__
from dynaguard.scan.findings import Finding, ScanResult, Severity

__all__ = ["render"]

_env = Environment(loader=PackageLoader("dynaguard.scan.report", "templates"),
                   autoescape=select_autoescape(default=True, default_for_string=True),
                   trim_blocks=True, lstrip_blocks=True)


def _evidence(finding: Finding) -> str:
    return json.dumps(dict(finding.evidence), indent=2, default=str)


def render(result: ScanResult) -> str:
    findings = sorted(result.findings, key=lambda f: -f.severity.rank)
    by_severity = Counter(f.severity for f in findings)
    statuses = Counter(str(c.status) for c in result.checks)
    return _env.get_template("report.html.j2").render(
        r=result, findings=findings, version=__version__, evidence=_evidence,
        coverage=result.coverage,
        started=result.started_at.isoformat().replace("+00:00", "Z"),
        counts=[(str(s), by_severity[s]) for s in Severity],
        statuses=", ".join(f"{n} checks {s}" for s, n in sorted(statuses.items())))

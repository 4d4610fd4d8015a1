"""SARIF 2.1.0 (OASIS) for code scanning: one run, one rule per check, one result per finding.

The finding's endpoint is a logical location (``POST /auth/login``) on the scanned target's
URL; the score, grade, coverage and every check's status ride in the run's property bag.
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Any

from dynaguard import __version__
from dynaguard.scan.findings import CheckResult, Finding, ScanResult, Severity
from dynaguard.scan.taxonomy import CWE_NAMES

__all__ = ["LEVELS", "SARIF_SCHEMA", "SECURITY_SEVERITY", "render", "to_sarif"]

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning",
          Severity.LOW: "note", Severity.INFO: "note"}
# GitHub code scanning reads ``security-severity`` (0.0-10.0, CVSS-like bands).
SECURITY_SEVERITY = {Severity.CRITICAL: "9.5", Severity.HIGH: "8.0", Severity.MEDIUM: "5.5",
                     Severity.LOW: "3.0", Severity.INFO: "0.0"}


def _utc(moment: Any) -> str:
    return str(moment.isoformat()).replace("+00:00", "Z")


def _plain(value: Any) -> Any:
    """Evidence as plain JSON (whatever a check put in it)."""
    return json.loads(json.dumps(value, default=str))


def _rule(check: CheckResult, findings: list[Finding]) -> dict[str, Any]:
    cwes = sorted({c for f in findings for c in f.cwe})
    tags = ["security", *(f"external/cwe/cwe-{c}" for c in cwes)]
    tags += sorted({o for f in findings for o in f.owasp})
    rule: dict[str, Any] = {
        "id": check.check, "name": check.check.replace(".", "/"),
        "shortDescription": {"text": check.title},
        "fullDescription": {"text": check.title + (
            " (" + "; ".join(f"CWE-{c}: {CWE_NAMES.get(c, 'see MITRE')}" for c in cwes) + ")"
            if cwes else "")},
        "properties": {"tags": tags},
    }
    if findings:
        worst = max((f.severity for f in findings), key=lambda s: s.rank)
        rule["defaultConfiguration"] = {"level": LEVELS[worst]}
        rule["help"] = {"text": findings[0].remediation}
        rule["properties"]["security-severity"] = SECURITY_SEVERITY[worst]
    return rule


def _fingerprint(finding: Finding) -> str:
    return hashlib.sha256(f"{finding.check}|{finding.endpoint}".encode()).hexdigest()


def _result(finding: Finding, rule_index: int, target: str) -> dict[str, Any]:
    return {
        "ruleId": finding.check, "ruleIndex": rule_index, "kind": "fail",
        "level": LEVELS[finding.severity],
        "message": {"text": f"{finding.title} ({finding.endpoint}). Fix: {finding.remediation}"},
        "locations": [{
            "physicalLocation": {"artifactLocation": {"uri": target}},
            "logicalLocations": [{"name": finding.endpoint, "kind": "resource",
                                  "fullyQualifiedName": f"{target} {finding.endpoint}"}],
        }],
        "partialFingerprints": {"dynaguardFinding/v1": _fingerprint(finding)},
        "properties": {
            "severity": str(finding.severity), "confidence": str(finding.confidence),
            "security-severity": SECURITY_SEVERITY[finding.severity],
            "cwe": list(finding.cwe), "owasp": list(finding.owasp), "soc2": list(finding.soc2),
            "endpoint": finding.endpoint, "evidence": _plain(dict(finding.evidence)),
            "remediation": finding.remediation,
            "tags": ["security", *(f"external/cwe/cwe-{c}" for c in finding.cwe)],
        },
    }


def to_sarif(result: ScanResult) -> dict[str, Any]:
    """The SARIF log of one scan."""
    rules: list[dict[str, Any]] = []
    results: list[dict[str, Any]] = []
    for index, check in enumerate(result.checks):
        rules.append(_rule(check, list(check.findings)))
        results.extend(_result(f, index, result.target) for f in check.findings)
    ended = result.started_at + timedelta(seconds=result.duration_s)
    run = {
        "tool": {"driver": {"name": "dynaguard", "version": __version__,
                            "semanticVersion": __version__, "rules": rules}},
        "invocations": [{"executionSuccessful": True, "startTimeUtc": _utc(result.started_at),
                         "endTimeUtc": _utc(ended)}],
        "automationDetails": {"id": f"dynaguard/{result.target}/"},
        "results": results,
        "properties": {
            "target": result.target, "score": result.score, "grade": result.grade,
            "requests": result.requests, "duration_s": result.duration_s,
            "coverage": result.coverage.to_dict(),
            "checks": [c.to_dict() for c in result.checks],
        },
    }
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def render(result: ScanResult) -> str:
    return json.dumps(to_sarif(result), indent=2) + "\n"

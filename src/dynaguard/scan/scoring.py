"""Score (0-100) and grade (A-F) of a scan; the weights are documented in docs/scanner.md."""

from __future__ import annotations

from collections.abc import Iterable

from dynaguard.scan.findings import CheckResult, CheckStatus, Confidence, Severity

__all__ = ["CONFIDENCE_FACTORS", "GRADE_FLOORS", "SEVERITY_WEIGHTS", "grade_for", "score"]

SEVERITY_WEIGHTS = {Severity.CRITICAL: 40, Severity.HIGH: 20, Severity.MEDIUM: 10,
                    Severity.LOW: 4, Severity.INFO: 0}
CONFIDENCE_FACTORS = {Confidence.CERTAIN: 1.0, Confidence.FIRM: 1.0, Confidence.TENTATIVE: 0.5}
GRADE_FLOORS = ((90, "A"), (80, "B"), (70, "C"), (60, "D"))
# The highest score a scan may keep when its worst finding has this severity.
SEVERITY_CAPS = {Severity.CRITICAL: 59, Severity.HIGH: 79}
# Fewer than this share of checks actually ran (passed or failed): no A.
MIN_COVERAGE = 0.5
LOW_COVERAGE_CAP = 89


def grade_for(value: int) -> str:
    return next((grade for floor, grade in GRADE_FLOORS if value >= floor), "F")


def _check_penalty(result: CheckResult) -> float:
    weights = sorted((SEVERITY_WEIGHTS[f.severity] * CONFIDENCE_FACTORS[f.confidence]
                      for f in result.findings), reverse=True)
    if not weights:
        return 0.0
    # Further findings of one check count half: one weakness on many endpoints is
    # serious, but must not drown every other result; at most twice the worst.
    return min(2 * weights[0], weights[0] + sum(weights[1:]) / 2)


def score(results: Iterable[CheckResult]) -> tuple[int, str]:
    """The score and grade of these check results."""
    results = list(results)
    value = 100 - round(sum(_check_penalty(r) for r in results))
    worst = [f.severity for r in results for f in r.findings]
    for severity, cap in SEVERITY_CAPS.items():
        if severity in worst:
            value = min(value, cap)
    ran = sum(r.status in (CheckStatus.PASSED, CheckStatus.FAILED) for r in results)
    if results and ran / len(results) < MIN_COVERAGE:
        value = min(value, LOW_COVERAGE_CAP)
    value = max(0, value)
    return value, grade_for(value)

"""Score (0-100) and grade (A-F, or ``incomplete``) of a scan; the weights are documented
in docs/scanner.md.

The score is over the checks that ran (a skipped check neither costs nor earns points); a
scan that ran less than ``MIN_COVERAGE`` of its applicable checks gets no letter at all.
"""

from __future__ import annotations

from collections.abc import Iterable

from dynaguard.scan.findings import CheckResult, Confidence, Coverage, Severity

__all__ = ["CONFIDENCE_FACTORS", "GRADE_FLOORS", "INCOMPLETE", "MIN_COVERAGE",
           "SEVERITY_WEIGHTS", "grade_for", "is_incomplete", "score"]

SEVERITY_WEIGHTS = {Severity.CRITICAL: 40, Severity.HIGH: 20, Severity.MEDIUM: 10,
                    Severity.LOW: 4, Severity.INFO: 0}
CONFIDENCE_FACTORS = {Confidence.CERTAIN: 1.0, Confidence.FIRM: 1.0, Confidence.TENTATIVE: 0.5}
GRADE_FLOORS = ((90, "A"), (80, "B"), (70, "C"), (60, "D"))
# The highest score a scan may keep when its worst finding has this severity.
SEVERITY_CAPS = {Severity.CRITICAL: 59, Severity.HIGH: 79}
# Fewer than this share of the applicable checks ran (passed or failed): no letter grade.
MIN_COVERAGE = 0.6
INCOMPLETE = "incomplete"


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


def is_incomplete(coverage: Coverage) -> bool:
    """Too little of the applicable checks ran for a grade (none applicable: nothing ran)."""
    return coverage.applicable == 0 or coverage.share < MIN_COVERAGE


def score(results: Iterable[CheckResult]) -> tuple[int, str]:
    """The score of these check results (over those that ran) and their grade: a letter,
    or ``incomplete`` when less than ``MIN_COVERAGE`` of the applicable checks ran."""
    results = list(results)
    value = 100 - round(sum(_check_penalty(r) for r in results))
    worst = [f.severity for r in results for f in r.findings]
    for severity, cap in SEVERITY_CAPS.items():
        if severity in worst:
            value = min(value, cap)
    value = max(0, value)
    return value, INCOMPLETE if is_incomplete(Coverage.of(results)) else grade_for(value)

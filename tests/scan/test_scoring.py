"""Score and grade follow the documented weights and caps."""

from __future__ import annotations

from dynaguard.scan.findings import (
    CheckResult,
    CheckStatus,
    Confidence,
    Coverage,
    Finding,
    Severity,
)
from dynaguard.scan.prerequisites import Prerequisite
from dynaguard.scan.scoring import score


def _finding(severity: Severity, confidence: Confidence = Confidence.FIRM) -> Finding:
    return Finding("c", "t", severity, confidence, (307,), (), (), "POST /x", {}, "fix")


def _result(status: CheckStatus, *findings: Finding) -> CheckResult:
    return CheckResult("c", "t", status, "", findings)


def test_clean_scan_is_a() -> None:
    assert score([_result(CheckStatus.PASSED)] * 4) == (100, "A")


def test_weights_per_severity_and_confidence() -> None:
    passed = [_result(CheckStatus.PASSED)] * 3
    assert score([*passed, _result(CheckStatus.FAILED, _finding(Severity.MEDIUM))]) == (90, "A")
    assert score([*passed, _result(CheckStatus.FAILED, _finding(Severity.LOW))]) == (96, "A")
    tentative = _finding(Severity.MEDIUM, Confidence.TENTATIVE)
    assert score([*passed, _result(CheckStatus.FAILED, tentative)])[0] == 95


def test_more_findings_of_one_check_count_half_up_to_twice_the_worst() -> None:
    many = _result(CheckStatus.FAILED, *[_finding(Severity.MEDIUM)] * 10)
    assert score([many])[0] == 80


def test_high_and_critical_cap_the_grade() -> None:
    assert score([_result(CheckStatus.FAILED, _finding(Severity.HIGH))]) == (79, "C")
    assert score([_result(CheckStatus.FAILED, _finding(Severity.CRITICAL))]) == (59, "F")


def _skipped(needs: Prerequisite, check: str = "c") -> CheckResult:
    return CheckResult(check, "t", CheckStatus.SKIPPED, "why", needs=needs)


def test_under_sixty_percent_of_applicable_checks_is_incomplete() -> None:
    """3 of 5 ran is a letter; 2 of 5 is `incomplete`, whatever the score."""
    missing = [_skipped(Prerequisite.MAILBOX)] * 2
    assert score([*[_result(CheckStatus.PASSED)] * 3, *missing]) == (100, "A")
    two = [*[_result(CheckStatus.PASSED)] * 2, *missing, _skipped(Prerequisite.TEST_ACCOUNT)]
    assert score(two) == (100, "incomplete")
    # Findings still count in the score shown beside `incomplete`.
    assert score([_result(CheckStatus.FAILED, _finding(Severity.HIGH)), *missing]) \
        == (79, "incomplete")


def test_errors_count_as_applicable_checks_that_did_not_run() -> None:
    errored = [_result(CheckStatus.PASSED)] * 2 + [_result(CheckStatus.ERROR)] * 2
    assert score(errored) == (100, "incomplete")
    assert score([*errored, _result(CheckStatus.PASSED)]) == (100, "A")


def test_not_applicable_checks_leave_the_coverage() -> None:
    """Two ran, three do not apply: 2 of 2 applicable ran."""
    outside = [_skipped(Prerequisite.NOT_APPLICABLE)] * 3
    results = [*[_result(CheckStatus.PASSED)] * 2, *outside]
    assert score(results) == (100, "A")
    coverage = Coverage.of(results)
    assert (coverage.applicable, coverage.ran, dict(coverage.skipped_by)) == (2, 2, {})
    assert score(outside) == (100, "incomplete")  # nothing applicable: nothing was tested


def test_coverage_groups_skipped_checks_by_prerequisite() -> None:
    results = [_result(CheckStatus.PASSED), _skipped(Prerequisite.MAILBOX, "a"),
               _skipped(Prerequisite.SECOND_ACCOUNT, "b"), _skipped(Prerequisite.MAILBOX, "c"),
               CheckResult("d", "t", CheckStatus.SKIPPED, "old row, no prerequisite"),
               _skipped(Prerequisite.NOT_APPLICABLE, "e"),
               CheckResult("f", "t", CheckStatus.ERROR, "boom")]
    coverage = Coverage.of(results)
    assert coverage.to_dict() == {
        "applicable": 6, "ran": 1,
        "skipped_by": {"mailbox": ["a", "c"], "second_account": ["b"],
                       "unspecified": ["d"]},
        "errored": ["f"], "not_applicable": ["e"]}
    assert coverage.describe() == "1 of 6 applicable checks ran (16%)"


def test_fifty_nine_point_nine_percent_is_not_sixty() -> None:
    """599 of 1000 ran: under the line, even though it rounds to 60%; 600 of 1000 is on it."""
    results = [_result(CheckStatus.PASSED)] * 599 + [_skipped(Prerequisite.MAILBOX)] * 401
    assert score(results)[1] == "incomplete"
    assert Coverage.of(results).percent == 59
    assert score([*results[:599], _result(CheckStatus.PASSED), *results[600:]])[1] == "A"

"""Score and grade follow the documented weights and caps."""

from __future__ import annotations

from dynaguard.scan.findings import CheckResult, CheckStatus, Confidence, Finding, Severity
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


def test_mostly_skipped_scan_cannot_earn_an_a() -> None:
    results = [_result(CheckStatus.PASSED)] + [_result(CheckStatus.SKIPPED)] * 2
    assert score(results) == (89, "B")
    errored = [_result(CheckStatus.PASSED)] * 2 + [_result(CheckStatus.ERROR)] * 2
    assert score(errored) == (100, "A")

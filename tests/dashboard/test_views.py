"""Grouping, diffs and chart geometry, without a browser."""

from __future__ import annotations

from dataclasses import replace

from tests.dashboard.conftest import BOLA, LOGOUT, MALICIOUS, TIMING, finding

from dynaguard.dashboard.views import Grouping, chart, diff_view, group_findings
from dynaguard.history import History, ScanRow
from dynaguard.scan.findings import Severity


def test_groups_in_natural_order_with_names() -> None:
    wide = finding("x.wide", 79, "API10:2023", "CC7.2", "Spans several", severity=Severity.LOW)
    found = [LOGOUT, BOLA, MALICIOUS, TIMING, wide]
    by_cwe = group_findings(found, Grouping.CWE)
    assert [g.key for g in by_cwe] == ["CWE-79", "CWE-204", "CWE-347", "CWE-613", "CWE-639"]
    assert by_cwe[3].name == "Insufficient Session Expiration"
    by_owasp = group_findings(found, Grouping.OWASP)
    assert [g.key for g in by_owasp] == ["API1:2023", "API2:2023", "API10:2023"]
    assert by_owasp[1].name == "Broken Authentication"
    # worst first inside a group
    assert [f.severity for f in by_owasp[1].findings] == [
        Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM]
    assert [g.key for g in group_findings(found, Grouping.SOC2)] == [
        "CC6.1", "CC6.2", "CC6.3", "CC7.2"]


def test_a_finding_with_several_cwes_is_in_each_group_and_unmapped_ones_are_kept() -> None:
    both = finding("x.both", 287, "API2:2023", "CC6.1", "Two weaknesses")
    both = replace(both, cwe=(287, 613), owasp=())
    assert [g.key for g in group_findings([both], Grouping.CWE)] == ["CWE-287", "CWE-613"]
    assert [g.key for g in group_findings([both], Grouping.OWASP)] == ["unmapped"]


def test_diff_view_matches_findings_by_check_and_endpoint(history: History) -> None:
    before, after = history.row(1), history.row(3)
    older, newer = history.get(1), history.get(3)
    assert before is not None
    assert after is not None
    assert older is not None
    assert newer is not None
    view = diff_view(before, older, after, newer)
    assert view.delta == 19
    assert [f.check for f in view.diff.new] == ["enumeration.login"]
    assert [f.check for f in view.diff.fixed] == ["access.bola"]
    assert [f.check for f in view.unchanged] == ["session.logout"]


def row(scan_id: int, score: int) -> ScanRow:
    return ScanRow(scan_id, "t", f"2026-11-2{scan_id}T00:00:00Z", 1.0, 1, score, "A", 0)


def test_chart_places_scores_on_a_0_to_100_scale() -> None:
    drawn = chart([row(1, 100), row(2, 0), row(3, 50)], width=240, height=142)
    top, bottom = drawn.top, drawn.bottom
    assert [p.y for p in drawn.points] == [top, bottom, (top + bottom) / 2]
    xs = [p.x for p in drawn.points]
    assert xs == sorted(xs)
    assert xs[0] == drawn.left
    assert xs[-1] == drawn.left + drawn.plot_width
    assert drawn.line == " ".join(f"{p.x},{p.y}" for p in drawn.points)
    single = chart([row(1, 70)])
    assert single.points[0].x == single.left + single.plot_width / 2
    assert chart([]).points == ()

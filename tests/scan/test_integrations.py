"""SARIF against the official schema, the HTML report, the history and the regression gate."""

from __future__ import annotations

import html
import json
from dataclasses import replace
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from typer.testing import CliRunner

from dynaguard.cli import app
from dynaguard.history import History, compare, from_document
from dynaguard.scan.findings import (
    CheckResult,
    CheckStatus,
    Confidence,
    Finding,
    ScanResult,
    Severity,
)
from dynaguard.scan.prerequisites import Prerequisite
from dynaguard.scan.report import html as html_report
from dynaguard.scan.report import json as json_report
from dynaguard.scan.report import sarif as sarif_report
from dynaguard.scan.report import text as text_report
from tests.scan.conftest import Serve
from tests.scan.vulnapp import create_vuln_app

runner = CliRunner()
SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text())


def sarif_errors(document: dict[str, Any]) -> list[str]:
    validator = jsonschema.Draft4Validator(SCHEMA)
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]


class Switch:
    """One loopback URL whose app the test can swap: the same target, before and after."""

    def __init__(self, *apps: Any) -> None:
        self.apps = apps
        self.current = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self.apps[0](scope, receive, send)
            return
        await self.apps[self.current](scope, receive, send)


def sample(evidence: dict[str, Any] | None = None) -> ScanResult:
    finding = Finding(
        check="session.logout_invalidation", title="Session survives logout",
        severity=Severity.HIGH, confidence=Confidence.CERTAIN, cwe=(613,), owasp=("API2:2023",),
        soc2=("CC6.1",), endpoint="POST /api/logout",
        evidence=evidence or {"status_after_logout": 200},
        remediation="Revoke the session server-side on logout.")
    checks = (
        CheckResult("session.logout_invalidation", "Logout ends the session",
                    CheckStatus.FAILED, "the session outlived its logout", (finding,)),
        CheckResult("jwt.alg_none", "alg none refused", CheckStatus.PASSED, "refused"),
        CheckResult("mfa.bypass", "MFA cannot be skipped", CheckStatus.SKIPPED,
                    "no MFA endpoint found"),
    )
    return ScanResult(target="http://127.0.0.1:9", started_at=datetime(2026, 1, 2, tzinfo=UTC),
                      duration_s=1.5, requests=12, score=82, grade="B", checks=checks)


def test_sarif_of_a_result_is_valid_and_carries_the_finding() -> None:
    document = sarif_report.to_sarif(sample())
    assert sarif_errors(document) == []
    run = document["runs"][0]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == [
        "session.logout_invalidation", "jwt.alg_none", "mfa.bypass"]
    (result,) = run["results"]
    assert result["ruleId"] == "session.logout_invalidation"
    assert result["level"] == "error"
    assert result["properties"]["cwe"] == [613]
    assert run["properties"]["grade"] == "B"
    # The validator is not vacuous: a log without its version, or with a bad level, fails.
    broken = json.loads(json.dumps(document))
    del broken["version"]
    broken["runs"][0]["results"][0]["level"] = "severe"
    assert len(sarif_errors(broken)) == 2


def test_html_report_is_self_contained_and_escapes_evidence() -> None:
    page = html_report.render(sample({"body": "<script>alert(1)</script>",
                                      "link": "https://evil.example/x"}))

    class Collect(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.tags: list[str] = []
            self.urls: list[str] = []
            self.grade = ""
            self._in_grade = False

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            self.tags.append(tag)
            self.urls += [v or "" for k, v in attrs if k in {"src", "href", "action", "srcset"}]
            self._in_grade = ("id", "grade") in attrs

        def handle_data(self, data: str) -> None:
            if self._in_grade:
                self.grade += data.strip()
                self._in_grade = False

    parsed = Collect()
    parsed.feed(page)
    assert parsed.grade == "B"
    assert "script" not in parsed.tags
    assert "link" not in parsed.tags
    assert "iframe" not in parsed.tags
    assert "img" not in parsed.tags
    assert [u for u in parsed.urls if "//" in u or u.startswith(("http", "data"))] == []
    assert "url(" not in page
    assert "@import" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Revoke the session server-side on logout." in page
    assert "score 82/100" in page


def test_document_round_trip_and_compare() -> None:
    before = sample()
    again = from_document(json_report.to_document(before))
    assert json_report.to_document(again) == json_report.to_document(before)
    clean = ScanResult(before.target, before.started_at, 1.0, 5, 100, "A",
                       tuple(c if c.findings == () else CheckResult(
                           c.check, c.title, CheckStatus.PASSED, "ok") for c in before.checks))
    assert not compare(before, clean).regressed
    worse = compare(clean, before)
    assert worse.regressed
    assert [f.check for f in worse.new] == ["session.logout_invalidation"]
    assert worse.reasons()[0] == "score dropped from 100 to 82"
    lower = ScanResult(clean.target, clean.started_at, 1.0, 5, 95, "A", clean.checks)
    assert compare(clean, lower).reasons() == ["score dropped from 100 to 95"]


def scan(url: str, *extra: str) -> Any:
    return runner.invoke(app, ["scan", url, "--check", "session.logout", "--quiet", *extra])


def test_history_report_and_regression_gate(serve: Serve, tmp_path: Path) -> None:
    switch = Switch(create_vuln_app(), create_vuln_app({"logout_noop"}))
    url = serve(switch)

    first = scan(url, "--format", "json", "--fail-on-regression")
    assert first.exit_code == 0, first.output
    assert "recorded as scan 1" in first.stderr
    switch.current = 1
    second = scan(url, "--fail-on-regression", "--format", "sarif")
    assert second.exit_code == 1, second.output
    assert "new finding" in second.stderr
    assert "score dropped" in second.stderr
    assert sarif_errors(json.loads(second.stdout)) == []
    rows = History().scans(url)
    assert [(r.id, r.findings) for r in rows] == [(2, 2), (1, 0)]

    listed = runner.invoke(app, ["history"])
    assert listed.exit_code == 0
    assert url in listed.stdout
    sarif = runner.invoke(app, ["report", "2", "--format", "sarif"])
    assert sarif.exit_code == 0
    log = json.loads(sarif.stdout)
    assert sarif_errors(log) == []
    assert len(log["runs"][0]["results"]) == 2
    page = runner.invoke(app, ["report", "2", "--format", "html"])
    assert 'id="grade"' in page.stdout
    assert url in page.stdout
    assert runner.invoke(app, ["report", "99"]).exit_code == 1

    base = tmp_path / "base.json"
    assert runner.invoke(app, ["report", "1", "--output", str(base)]).exit_code == 0
    gated = scan(url, "--baseline", str(base), "--no-history")
    assert gated.exit_code == 1
    assert "new finding" in gated.stderr
    switch.current = 0
    assert scan(url, "--baseline", str(base), "--no-history").exit_code == 0
    assert len(History().scans(url)) == 2  # --no-history recorded nothing


def test_bad_baseline_and_regression_without_history_are_usage_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    result = scan("http://127.0.0.1:1", "--baseline", str(bad))
    assert result.exit_code == 2
    assert "--baseline" in result.output
    result = scan("http://127.0.0.1:1", "--fail-on-regression", "--no-history")
    assert result.exit_code == 2


@pytest.mark.parametrize("fmt", ["json", "sarif", "html", "text"])
def test_every_format_renders_a_stored_scan(fmt: str) -> None:
    scan_id = History().record(sample())
    result = runner.invoke(app, ["report", str(scan_id), "--format", fmt])
    assert result.exit_code == 0
    assert "Session survives logout" in result.stdout


def with_coverage() -> ScanResult:
    """The sample with a check skipped for a named prerequisite and one not applicable."""
    base = sample()
    return replace(base, checks=(
        *base.checks,
        CheckResult("auth.unverified_login", "Unverified accounts cannot log in",
                    CheckStatus.SKIPPED, "needs the target's mailbox",
                    needs=Prerequisite.MAILBOX),
        CheckResult("session.fixation", "Session id renewed at login", CheckStatus.SKIPPED,
                    "login sets no cookie", needs=Prerequisite.NOT_APPLICABLE)))


def test_every_format_carries_the_coverage() -> None:
    """2 of 4 applicable checks ran; each format says so and names what was missing."""
    result = with_coverage()
    expected = {"applicable": 4, "ran": 2,
                "skipped_by": {"mailbox": ["auth.unverified_login"],
                               "unspecified": ["mfa.bypass"]},
                "errored": [], "not_applicable": ["session.fixation"]}
    document = json_report.to_document(result)
    assert document["coverage"] == expected
    assert {"check": "auth.unverified_login", "status": "skipped",
            "detail": "needs the target's mailbox", "needs": "mailbox"} in document["checks"]
    assert from_document(document).coverage == result.coverage
    log = sarif_report.to_sarif(result)
    assert sarif_errors(log) == []
    assert log["runs"][0]["properties"]["coverage"] == expected
    for page in (html.unescape(html_report.render(result)),
                 text_report.render(result, width=200)):
        assert "2 of 4 applicable checks ran (50%)" in page
        assert Prerequisite.MAILBOX.label in page
        assert Prerequisite.MAILBOX.unlock in page
        assert "not applicable" in page


def test_a_finding_whose_check_did_not_run_again_is_untested_and_a_regression() -> None:
    before = sample()
    skipped = tuple(CheckResult(c.check, c.title, CheckStatus.SKIPPED, "no account",
                                needs=Prerequisite.TEST_ACCOUNT) if c.findings else c
                    for c in before.checks)
    after = replace(before, score=100, grade="incomplete", checks=skipped)
    diff = compare(before, after)
    assert (diff.fixed, [f.check for f in diff.untested]) == ((), ["session.logout_invalidation"])
    assert diff.regressed
    assert diff.reasons() == ["finding no longer tested: Session survives logout "
                              "(POST /api/logout) [session.logout_invalidation did not run]"]

"""``dynaguard scan``: formats, output file, gates and exit codes 0/1/2/3."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from dynaguard.cli import app
from dynaguard.store.engine import free_port
from tests.scan.conftest import Serve
from tests.scan.vulnapp import create_vuln_app

runner = CliRunner()
KEYS = {"schema", "target", "started_at", "duration_s", "requests", "score", "grade",
        "coverage", "findings", "checks"}
FINDING_KEYS = {"check", "title", "severity", "confidence", "cwe", "owasp", "soc2", "endpoint",
                "evidence", "remediation"}


def test_unreachable_target_exits_3() -> None:
    result = runner.invoke(app, ["scan", f"http://127.0.0.1:{free_port()}", "--quiet"])
    assert result.exit_code == 3, result.output
    assert "did not answer" in result.output


def test_usage_and_profile_errors_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[endpoints.login]\nmethod = "POST"\n')
    result = runner.invoke(app, ["scan", "http://127.0.0.1:1", "--profile", str(bad)])
    assert result.exit_code == 2
    assert "endpoints.login.path" in result.output
    result = runner.invoke(app, ["scan", "http://127.0.0.1:1", "--user", "a@example.com"])
    assert result.exit_code == 2
    result = runner.invoke(app, ["scan", "ftp://127.0.0.1/"])
    assert result.exit_code == 2
    result = runner.invoke(app, ["scan", "http://127.0.0.1:1", "--check", "nothing.like.this"])
    assert result.exit_code == 2
    assert "no check id starts with" in result.output


def test_json_report_file_and_fail_on_gate(serve: Serve, tmp_path: Path) -> None:
    """A finding at or above --fail-on fails the gate (exit 1); the file holds the report."""
    url = serve(create_vuln_app({"logout_noop"}))
    out = tmp_path / "report.json"
    result = runner.invoke(app, ["scan", url, "--check", "session.logout", "--format", "json",
                                 "--output", str(out), "--fail-on", "medium", "--quiet"])
    assert result.exit_code == 1, result.output
    document = json.loads(out.read_text())
    assert set(document) == KEYS
    assert document["schema"] == "dynaguard.scan/1"
    # The access token and the refresh token both outlive the fake logout.
    assert [(f["cwe"], f["endpoint"]) for f in document["findings"]] == [
        ([613], "POST /api/logout"), ([613], "POST /api/refresh")]
    assert all(set(f) == FINDING_KEYS for f in document["findings"])
    assert document["checks"] == [{"check": "session.logout_invalidation", "status": "failed",
                                   "detail": "the session outlived its logout"}]
    assert document["requests"] > 0


def test_clean_target_passes_the_gates(serve: Serve) -> None:
    """JSON on stdout, and exit 0 when the score clears --fail-under."""
    url = serve(create_vuln_app())
    result = runner.invoke(app, ["scan", url, "--check", "session.access", "--check",
                                 "session.logout", "--check", "session.password",
                                 "--check", "auth.missing",
                                 "--format", "json", "--fail-under", "90", "--quiet"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["grade"] == "A"
    assert {c["status"] for c in document["checks"]} == {"passed"}


def test_an_incomplete_scan_fails_the_gates_unless_allowed(serve: Serve) -> None:
    """Without accounts the session checks cannot run: the grade is `incomplete`, which
    --fail-under and --fail-on fail (exit 1) and --allow-incomplete lets pass."""
    url = serve(create_vuln_app())
    base = ["scan", url, "--check", "session.access", "--check", "session.logout",
            "--check", "auth.missing", "--no-register", "--quiet", "--no-history"]
    result = runner.invoke(app, [*base, "--format", "json"])
    assert result.exit_code == 0, result.output  # no gate asked: the report is the answer
    document = json.loads(result.stdout)
    assert document["grade"] == "incomplete"
    coverage = document["coverage"]
    assert coverage["ran"] * 10 < coverage["applicable"] * 6
    assert sorted(coverage["skipped_by"]["test_account"]) == [
        "session.access_token_lifetime", "session.logout_invalidation"]
    for gate in (["--fail-under", "0"], ["--fail-on", "critical"]):
        failed = runner.invoke(app, [*base, *gate])
        assert failed.exit_code == 1, failed.output
        assert "the scan is incomplete" in failed.stderr
        assert "--allow-incomplete" in failed.stderr
        assert runner.invoke(app, [*base, *gate, "--allow-incomplete"]).exit_code == 0
    text = runner.invoke(app, base).stdout
    assert "--user ID --password PW" in text  # the line that would unlock them


def test_text_report_names_grade_and_findings(serve: Serve, tmp_path: Path) -> None:
    url = serve(create_vuln_app({"long_tokens"}))
    out = tmp_path / "report.txt"
    result = runner.invoke(app, ["scan", url, "--check", "session.access", "--output", str(out),
                                 "--fail-under", "99", "--quiet"])
    assert result.exit_code == 1
    text = out.read_text()
    assert "grade" in text
    assert "CWE-613" in text
    assert "POST /api/login" in text
    assert f"dynaguard scan {url}" in text


def test_text_report_of_an_audit_is_headed_as_one() -> None:
    from datetime import UTC, datetime  # noqa: PLC0415

    from dynaguard.scan.findings import ScanResult  # noqa: PLC0415
    from dynaguard.scan.report.text import render  # noqa: PLC0415

    arn = "arn:aws:dynamodb:us-east-1:123456789012:table/users"
    text = render(ScanResult(arn, datetime.now(UTC), 0.2, 3, 100, "A", ()))
    assert f"dynaguard audit {arn}" in text
    assert "dynaguard scan" not in text


def test_progress_bar_names_the_running_check() -> None:
    """The terminal view turns engine events into a bar captioned with the check."""
    import io  # noqa: PLC0415

    from rich.console import Console  # noqa: PLC0415

    from dynaguard.scan.cli import TerminalView  # noqa: PLC0415
    from dynaguard.scan.events import CheckStarted, ScanStarted  # noqa: PLC0415

    console = Console(file=io.StringIO(), force_terminal=True, width=120)
    view = TerminalView(console)
    view(ScanStarted("http://127.0.0.1:1", ("a.one", "b.two")))
    view(CheckStarted("b.two", "Second check", 1, 2))
    (task,) = view.progress.tasks
    assert task.description == "b.two: Second check"
    assert task.total == 2
    view.progress.stop()


def test_progress_bar_follows_checks_running_side_by_side() -> None:
    """Checks finish out of order: the bar counts finished checks and names one still
    running, with how many more run beside it."""
    import io  # noqa: PLC0415

    from rich.console import Console  # noqa: PLC0415

    from dynaguard.scan.cli import TerminalView  # noqa: PLC0415
    from dynaguard.scan.events import CheckFinished, CheckStarted, ScanStarted  # noqa: PLC0415
    from dynaguard.scan.findings import CheckResult, CheckStatus  # noqa: PLC0415

    console = Console(file=io.StringIO(), force_terminal=True, width=120)
    view = TerminalView(console)
    view(ScanStarted("http://127.0.0.1:1", ("a.one", "b.two", "c.three")))
    for index, (check, title) in enumerate((("a.one", "First"), ("b.two", "Second"))):
        view(CheckStarted(check, title, index, 3))
    (task,) = view.progress.tasks
    assert task.description == "a.one: First (+1 more)"
    done = CheckResult("a.one", "First", CheckStatus.PASSED, "ok", (), 4, 0.1)
    view(CheckFinished(done, 0, 3, 9, 1))
    (task,) = view.progress.tasks
    assert task.description == "b.two: Second"
    assert task.completed == 1
    assert task.fields["requests"] == 9
    view.progress.stop()

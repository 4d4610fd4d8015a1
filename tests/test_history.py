"""Where the history lives: the ``history`` setting, from the environment or ``.env``."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from platformdirs import user_data_dir
from typer.testing import CliRunner

from dynaguard.cli import app
from dynaguard.history import History, history_path
from dynaguard.scan.findings import CheckResult, CheckStatus
from dynaguard.scan.prerequisites import Prerequisite
from dynaguard.settings import Settings
from tests.dashboard.conftest import TARGET, scan_of


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("DYNAGUARD_HISTORY", raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_default_is_in_the_user_data_directory(workdir: Path) -> None:
    expected = Path(user_data_dir("dynaguard", appauthor=False)) / "history.sqlite3"
    assert history_path() == expected
    assert History().path == expected


def test_dotenv_sets_it(workdir: Path) -> None:
    (workdir / ".env").write_text(f"DYNAGUARD_HISTORY={workdir / 'from-dotenv.sqlite3'}\n")
    assert history_path() == workdir / "from-dotenv.sqlite3"


def test_environment_wins_over_dotenv(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (workdir / ".env").write_text("DYNAGUARD_HISTORY=/nowhere/dotenv.sqlite3\n")
    monkeypatch.setenv("DYNAGUARD_HISTORY", "~/scans.sqlite3")
    assert history_path() == Path.home() / "scans.sqlite3"


def test_blank_value_means_the_default(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DYNAGUARD_HISTORY", "  ")
    assert Settings().history is None
    assert history_path().name == "history.sqlite3"
    assert history_path(Settings(history=workdir / "given.sqlite3")) == workdir / "given.sqlite3"


def test_targets_lists_each_target_once_with_its_latest_scan(tmp_path: Path) -> None:
    store = History(tmp_path / "h.sqlite3")
    assert store.targets() == []
    when = datetime(2026, 11, 1, tzinfo=UTC)
    store.record(scan_of(TARGET, when, 50, "F"))
    store.record(scan_of("http://127.0.0.1:2", when, 95, "A"))
    last = store.record(scan_of(TARGET, when, 91, "A"))
    listed = [(row.id, row.target, row.score, count) for row, count in store.targets()]
    assert listed == [(last, TARGET, 91, 2), (2, "http://127.0.0.1:2", 95, 1)]
    assert store.row(last) == store.scans(TARGET, 1)[0]
    assert store.row(99) is None


def test_bad_settings_stop_history_users_with_one_line(
        workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A broken unrelated setting must not become a traceback in scan or dashboard."""
    monkeypatch.setenv("DYNAGUARD_PASSWORD_MIN_LENGTH", "3")
    for args in (["dashboard"], ["scan", "http://127.0.0.1:1", "--check", "session.logout"],
                 ["history"], ["report", "1"], ["mcp"]):
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 2, result.output
        assert "DYNAGUARD_PASSWORD_MIN_LENGTH" in result.stderr
        assert result.exception is None or isinstance(result.exception, SystemExit)


def test_history_and_report_take_a_history_file(workdir: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """`--history PATH` reads that file, not the configured one."""
    monkeypatch.setenv("DYNAGUARD_HISTORY", str(workdir / "configured.sqlite3"))
    elsewhere = workdir / "elsewhere.sqlite3"
    scan_id = History(elsewhere).record(scan_of(TARGET, datetime(2026, 11, 2, tzinfo=UTC),
                                                77, "C"))
    listed = CliRunner().invoke(app, ["history", "--history", str(elsewhere)])
    assert listed.exit_code == 0, listed.output
    assert TARGET in listed.stdout
    assert str(elsewhere) in listed.stdout
    shown = CliRunner().invoke(app, ["report", str(scan_id), "--history", str(elsewhere),
                                     "--format", "text"])
    assert shown.exit_code == 0, shown.output
    assert "77" in shown.stdout
    empty = CliRunner().invoke(app, ["history"])  # the configured file holds nothing
    assert empty.exit_code == 0, empty.output
    assert "no scans recorded" in empty.stderr


def test_coverage_is_stored_with_each_scan(tmp_path: Path) -> None:
    """The row and the stored document carry the coverage, prerequisites included."""
    store = History(tmp_path / "h.sqlite3")
    skipped = CheckResult("auth.unverified_login", "t", CheckStatus.SKIPPED, "no mailbox",
                          needs=Prerequisite.MAILBOX)
    scan = scan_of(TARGET, datetime(2026, 11, 1, tzinfo=UTC), 100, "A")
    scan_id = store.record(replace(scan, checks=(*scan.checks, skipped)))
    row = store.row(scan_id)
    assert row is not None
    assert (row.ran, row.applicable, row.coverage) == (1, 2, "1/2 checks (50%)")
    assert row.to_dict()["coverage"] == {"ran": 1, "applicable": 2}
    loaded = store.get(scan_id)
    assert loaded is not None
    assert dict(loaded.coverage.skipped_by) == {Prerequisite.MAILBOX: ("auth.unverified_login",)}


def test_a_history_file_from_before_coverage_still_loads(tmp_path: Path) -> None:
    """A file whose table lacks the coverage columns and whose documents name no
    prerequisite: it is brought up to date, and its skipped checks read as unspecified."""
    path = tmp_path / "old.sqlite3"
    document = {
        "schema": "dynaguard.scan/1", "target": TARGET, "started_at": "2026-10-01T08:00:00Z",
        "duration_s": 2.0, "requests": 40, "score": 100, "grade": "B", "findings": [],
        "checks": [{"check": "jwt.alg_none", "status": "passed", "detail": "refused"},
                   {"check": "session.fixation", "status": "skipped", "detail": "no cookie"}]}
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("CREATE TABLE scans (id INTEGER PRIMARY KEY AUTOINCREMENT, target TEXT NOT "
                    "NULL, started_at TEXT NOT NULL, duration_s REAL NOT NULL, requests "
                    "INTEGER NOT NULL, score INTEGER NOT NULL, grade TEXT NOT NULL, findings "
                    "INTEGER NOT NULL, document TEXT NOT NULL)")
        db.execute("INSERT INTO scans (target, started_at, duration_s, requests, score, grade, "
                   "findings, document) VALUES (?, ?, 2.0, 40, 100, 'B', 0, ?)",
                   (TARGET, document["started_at"], json.dumps(document)))
    store = History(path)
    (row,) = store.scans()
    assert (row.grade, row.ran, row.applicable) == ("B", 1, 2)
    old = store.get(row.id)
    assert old is not None
    assert old.grade == "B"  # as it was recorded
    assert dict(old.coverage.skipped_by) == {Prerequisite.UNSPECIFIED: ("session.fixation",)}
    new_id = store.record(scan_of(TARGET, datetime(2026, 11, 1, tzinfo=UTC), 100, "A"))
    assert [(r.id, r.ran) for r in store.scans()] == [(new_id, 1), (row.id, 1)]

"""Where the history lives: the ``history`` setting, from the environment or ``.env``."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from platformdirs import user_data_dir
from typer.testing import CliRunner

from dynaguard.cli import app
from dynaguard.history import History, history_path
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

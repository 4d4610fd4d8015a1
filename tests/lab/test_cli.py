"""`dynaguard lab --list` and the validation of `--flaws`."""

from __future__ import annotations

from typer.testing import CliRunner

from dynaguard.cli import app
from dynaguard.lab import FLAWS


def test_list_shows_every_flaw_with_its_cwe() -> None:
    result = CliRunner().invoke(app, ["lab", "--list"], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    for flaw in FLAWS.values():
        assert flaw.name in result.output
        assert f"CWE-{flaw.cwe[0]}" in result.output


def test_unknown_flaw_is_a_usage_error() -> None:
    result = CliRunner().invoke(app, ["lab", "--flaws", "bola,no_such_flaw"])
    assert result.exit_code == 2
    assert "unknown flaw(s): no_such_flaw" in result.output

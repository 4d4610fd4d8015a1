"""``dynaguard user …`` and ``dynaguard keys …``: the operator's side of administration."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
import structlog
from typer.testing import CliRunner, Result

from dynaguard.cli import app
from dynaguard.settings import Settings
from tests.conftest import TEST_PASSWORD


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """The commands configure process-wide logging onto the runner's stderr; undo it."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    yield
    structlog.reset_defaults()
    root.handlers, root.level = saved[0], saved[1]


def _cli(settings: Settings, *args: str, stdin: str | None = None) -> Result:
    env = {"DYNAGUARD_DYNAMODB_ENDPOINT": settings.dynamodb_endpoint,
           "DYNAGUARD_TABLE": settings.table, "DYNAGUARD_DATA_DIR": str(settings.data_dir),
           "DYNAGUARD_ARGON2_PROFILE": "insecure-test-only",
           "DYNAGUARD_MAIL_URL": settings.mail_url, "COLUMNS": "250"}
    return CliRunner(env=env).invoke(app, list(args), input=stdin)


def test_user_administration_from_the_command_line(settings: Settings) -> None:
    email = "operator-made@example.com"
    r = _cli(settings, "user", "add", email, "--scope", "notes:read", "--password-stdin",
             stdin=TEST_PASSWORD + "\n")
    assert r.exit_code == 0, r.output
    r = _cli(settings, "user", "scopes", "add", email, "reports:read")
    assert "granted reports:read" in r.output
    r = _cli(settings, "user", "scopes", "remove", email, "notes:read")
    assert "removed notes:read" in r.output
    assert _cli(settings, "user", "disable", email).exit_code == 0

    listed = _cli(settings, "user", "list", "--prefix", "OPERATOR").output
    assert email in listed
    assert "reports:read" in listed
    assert TEST_PASSWORD not in listed
    assert "argon2" not in listed
    shown = _cli(settings, "user", "show", email).output
    assert "enabled   no" in shown
    events = _cli(settings, "user", "events", email).output
    for event in ("user_created", "admin_scope_granted", "admin_scope_removed",
                  "admin_user_disabled"):
        assert event in events, event
    assert "actor=cli" in events

    missing = _cli(settings, "user", "disable", "nobody@example.com")
    assert missing.exit_code == 1


def test_keys_rotate_and_list(settings: Settings) -> None:
    r = _cli(settings, "keys", "rotate")
    assert r.exit_code == 0, r.output
    new_kid = r.output.split()[-1]
    listed = _cli(settings, "keys", "list").output
    rows = [line for line in listed.splitlines() if new_kid in line]
    assert len(rows) == 1
    assert rows[0].rstrip(" │").endswith("yes")  # the new key signs now
    assert listed.count(" yes ") >= 2  # both keys can sign; the old one retires later

"""The ``dynaguard`` command as a newcomer meets it: the README's first command, and a bad
setting stopping it with one clear line."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from email import message_from_bytes
from pathlib import Path

import httpx

from dynaguard.store.engine import free_port
from tests.conftest import mail_text

DYNAGUARD = Path(sys.executable).with_name("dynaguard")
START_TIMEOUT_S = 30


def _clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment of a fresh shell: no DYNAGUARD_* settings but the data directory."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DYNAGUARD_")}
    env["DYNAGUARD_DATA_DIR"] = str(tmp_path / "data")
    env.update(extra)
    return env


def _verification_link(port: int, outbox: Path) -> str:
    """Register an account on the server at ``port``; the link its mail carries."""
    answer = httpx.post(f"http://127.0.0.1:{port}/auth/register", timeout=10,
                        json={"email": "newcomer@example.com",
                              "password": "quiet-harbor-lantern-97"})
    assert answer.status_code == 202, answer.text
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        for mail in outbox.glob("*.eml"):
            text = mail_text(message_from_bytes(mail.read_bytes()))
            found = re.search(r"http://\S+/verify-email\?token=[A-Za-z0-9_-]+", text)
            if found:
                return found.group(0)
        time.sleep(0.1)
    raise AssertionError("no verification mail arrived")


def test_serve_answers_docs_and_says_where_and_that_data_is_in_memory(tmp_path: Path) -> None:
    """`dynaguard serve` on the embedded engine serves /docs, says where and how it runs, and
    mails links that lead back to it."""
    port = free_port()
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(  # noqa: S603 -- our console script, fixed arguments
            [str(DYNAGUARD), "serve", "--port", str(port)],
            cwd=tmp_path, env=_clean_env(tmp_path), stdout=log, stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + START_TIMEOUT_S
            status = None
            while status != 200:
                assert proc.poll() is None, log_path.read_text()
                assert time.monotonic() < deadline, log_path.read_text()
                try:
                    status = httpx.get(f"http://127.0.0.1:{port}/docs", timeout=2).status_code
                except httpx.TransportError:
                    time.sleep(0.2)
            link = _verification_link(port, tmp_path / "data" / "outbox")
            # Mailed links reach this server, not the default port 8000.
            assert link.startswith(f"http://127.0.0.1:{port}/auth/pages/verify-email?token="), link
            assert httpx.get(link, timeout=5).status_code == 200
            confirmed = httpx.post(link.split("?")[0], timeout=10,
                                   data={"token": link.split("token=")[1]})
            assert "Email address confirmed" in confirmed.text
        finally:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
                raise AssertionError("dynaguard serve ignored SIGTERM") from None
    lines = log_path.read_text().splitlines()
    assert any(f"listening on http://127.0.0.1:{port}" in line for line in lines), lines
    assert any(f"links in mails: http://127.0.0.1:{port}" in line for line in lines), lines
    assert any("embedded engine" in line and "data lives in memory" in line
               for line in lines), lines
    # uvicorn shuts down gracefully, then re-raises SIGTERM so the exit status tells why.
    assert proc.returncode in (0, -signal.SIGTERM), lines


def test_bad_setting_stops_serve_with_one_line_naming_it(tmp_path: Path) -> None:
    """A malformed DYNAGUARD_ACCESS_TTL ends `dynaguard serve` with code 2 and one line."""
    result = subprocess.run(  # noqa: S603 -- our console script, fixed arguments
        [str(DYNAGUARD), "serve", "--port", str(free_port())],
        cwd=tmp_path, env=_clean_env(tmp_path, DYNAGUARD_ACCESS_TTL="abc"),
        capture_output=True, text=True, timeout=30, check=False,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert "DYNAGUARD_ACCESS_TTL" in lines[0]
    assert "abc" not in lines[0], "the bad value itself is not echoed"

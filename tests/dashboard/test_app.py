"""The dashboard over HTTP: escaping, security headers, loopback-only, and its command."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from fastapi.testclient import TestClient
from tests.dashboard.conftest import TARGET, scan_of
from typer.testing import CliRunner

from dynaguard.cli import app as cli
from dynaguard.dashboard.app import CONTENT_SECURITY_POLICY, create_dashboard, is_loopback_host
from dynaguard.history import History
from dynaguard.store.engine import free_port

PAGES = ["/", f"/target?url={quote(TARGET, safe='')}", "/scans/3", "/scans/3?group=owasp",
         "/scans/3?group=soc2", "/diff?before=1&after=3"]


@pytest.fixture
def client(history: History) -> Iterator[TestClient]:
    with TestClient(create_dashboard(history), base_url="http://127.0.0.1:8200") as c:
        yield c


@pytest.mark.parametrize("path", PAGES)
def test_pages_escape_what_the_target_sent(client: TestClient, path: str) -> None:
    """Hostile titles, endpoints, evidence and remediation arrive as text, never as markup."""
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    body = response.text
    assert "<script" not in body
    assert "<img" not in body
    assert "<svg onload" not in body
    assert "<b>key" not in body
    if "scans/3" in path or "diff" in path:
        assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in body
        assert "&lt;/pre&gt;" in body


def test_pages_show_the_coverage(client: TestClient, history: History) -> None:
    """The scan page says how many checks ran and what would unlock the rest; lists and the
    diff carry the ratio; a finding whose check did not run again is not called fixed."""
    scan = client.get("/scans/3").text
    assert "4 of 5 applicable checks ran (80%)" in scan
    assert 'data-needs="mailbox"' in scan
    assert "--register --mailbox DIR" in scan
    for path in ("/", f"/target?url={quote(TARGET, safe='')}"):
        assert "4/5 checks (80%)" in client.get(path).text
    diff = client.get("/diff?before=1&after=3").text
    assert "checks ran 3/3 checks (100%) → 4/5 checks (80%)" in diff
    assert 'id="untested"' not in diff  # access.bola ran again and passed: fixed
    again = history.record(scan_of(TARGET, datetime(2026, 11, 22, tzinfo=UTC), 90, "A"))
    later = client.get(f"/diff?before=1&after={again}").text
    assert 'id="untested"' in later
    assert "Another user&#39;s note is readable" in later.split('id="untested"')[1]


def test_policy_forbids_scripts_and_other_origins() -> None:
    directives = dict(d.strip().split(" ", 1) for d in CONTENT_SECURITY_POLICY.split(";"))
    assert directives["default-src"] == "'none'"
    assert "script-src" not in directives  # falls back to 'none'
    assert directives["style-src"] == "'self'"  # no 'unsafe-inline'
    assert directives["frame-ancestors"] == "'none'"


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8200", "10.0.0.5:8200", ""])
def test_foreign_host_header_is_refused(client: TestClient, host: str) -> None:
    """A DNS-rebinding page reaches 127.0.0.1 under its own name: no history for it."""
    response = client.get("/", headers={"host": host})
    assert response.status_code == 421
    assert TARGET not in response.text


@pytest.mark.parametrize("host", ["localhost:8200", "127.0.0.1", "[::1]:8200", "127.1.2.3:80"])
def test_loopback_host_headers_are_served(client: TestClient, host: str) -> None:
    assert client.get("/", headers={"host": host}).status_code == 200


def test_unknown_scans_and_targets_are_404(client: TestClient) -> None:
    assert client.get("/scans/99").status_code == 404
    assert client.get("/diff?before=1&after=99").status_code == 404
    assert client.get("/diff?before=99&after=1").status_code == 404
    assert client.get("/target?url=http://nowhere").status_code == 404
    assert client.get("/scans/3?group=nope").status_code == 422


def test_no_api_docs_that_would_load_from_a_cdn(client: TestClient) -> None:
    for path in ("/docs", "/redoc", "/openapi.json"):
        assert client.get(path).status_code == 404


def test_empty_history_says_how_to_fill_it(tmp_path: Path) -> None:
    with TestClient(create_dashboard(History(tmp_path / "h.sqlite3")),
                    base_url="http://127.0.0.1") as c:
        assert "No scans recorded yet" in c.get("/").text


@pytest.mark.parametrize(("host", "loopback"), [
    ("127.0.0.1", True), ("::1", True), ("localhost", True), ("127.9.9.9", True),
    ("0.0.0.0", False), ("::", False), ("192.168.1.2", False), ("example.com", False)])  # noqa: S104 -- refused addresses under test
def test_is_loopback_host(host: str, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.2", "example.com"])  # noqa: S104 -- refused
def test_command_refuses_a_non_loopback_host(host: str) -> None:
    result = CliRunner().invoke(cli, ["dashboard", "--host", host])
    assert result.exit_code == 2
    assert "not a loopback address" in result.stderr


def test_command_serves_the_history_it_is_given(history: History, tmp_path: Path) -> None:
    """``dynaguard dashboard --port P --history FILE`` in its own process, over real HTTP."""
    port = free_port()
    env = {**os.environ, "DYNAGUARD_HISTORY": str(tmp_path / "elsewhere.sqlite3")}
    process = subprocess.Popen(  # noqa: S603 -- our own command, fixed arguments
        [sys.executable, "-m", "dynaguard", "dashboard", "--port", str(port),
         "--history", str(history.path)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                page = httpx.get(f"http://127.0.0.1:{port}/", timeout=2)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.2)
        assert page.status_code == 200
        assert TARGET in page.text  # --history won over DYNAGUARD_HISTORY
        assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    finally:
        process.terminate()
        process.wait(10)
    assert process.stderr is not None
    assert f"http://127.0.0.1:{port}" in process.stderr.read().decode()

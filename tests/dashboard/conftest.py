"""Dashboard fixtures: a throwaway history with scans in it, the dashboard on a real loopback
server, and Debian's chromium driven by playwright (never a downloaded browser)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright
from tests.scan.conftest import ServerThread

from dynaguard.dashboard.app import create_dashboard
from dynaguard.history import History
from dynaguard.scan.findings import (
    CheckResult,
    CheckStatus,
    Confidence,
    Finding,
    ScanResult,
    Severity,
)
from dynaguard.scan.prerequisites import Prerequisite

CHROMIUM = Path("/usr/bin/chromium")
TARGET = "http://127.0.0.1:9/api"
EVIL = "<script>window.__xss=1</script><img src=x onerror=\"window.__xss=2\">"


def finding(check: str, cwe: int, owasp: str, soc2: str, title: str, *,
            severity: Severity = Severity.HIGH, endpoint: str = "POST /auth/login",
            evidence: dict[str, object] | None = None,
            remediation: str = "Fix it on the server.") -> Finding:
    return Finding(check=check, title=title, severity=severity, confidence=Confidence.CERTAIN,
                   cwe=(cwe,), owasp=(owasp,), soc2=(soc2,), endpoint=endpoint,
                   evidence=evidence or {"status": 200}, remediation=remediation)


LOGOUT = finding("session.logout", 613, "API2:2023", "CC6.2", "Session survives logout",
                 endpoint="POST /auth/logout")
BOLA = finding("access.bola", 639, "API1:2023", "CC6.3", "Another user's note is readable",
               severity=Severity.CRITICAL, endpoint="GET /notes/{id}")
MALICIOUS = finding(
    "enumeration.login", 204, "API2:2023", "CC6.1", f"Login tells accounts apart {EVIL}",
    severity=Severity.MEDIUM, endpoint="POST /login\"><svg onload=\"window.__xss=3\">",
    evidence={"body": f"</pre>{EVIL}", "<b>key</b>": "value"},
    remediation=f"Answer the same way {EVIL}")
TIMING = finding("jwt.alg_none", 347, "API2:2023", "CC6.1", "Unsigned tokens accepted",
                 severity=Severity.CRITICAL, endpoint="GET /auth/me")


def scan_of(target: str, when: datetime, score: int, grade: str, *found: Finding,
            also: tuple[CheckResult, ...] = ()) -> ScanResult:
    checks = tuple(CheckResult(f.check, f.title, CheckStatus.FAILED, "found", (f,))
                   for f in found)
    passed = CheckResult("jwt.expiry", "Expiry enforced", CheckStatus.PASSED, "tried expired")
    return ScanResult(target=target, started_at=when, duration_s=3.5, requests=120,
                      score=score, grade=grade, checks=(*checks, passed, *also))


# The third scan ran the BOLA check again (it passed: fixed) and could not run one check.
RECHECKED = CheckResult("access.bola", "BOLA", CheckStatus.PASSED, "refused")
NO_MAILBOX = CheckResult("auth.unverified_login", "Unverified login", CheckStatus.SKIPPED,
                         "needs the target's mailbox", needs=Prerequisite.MAILBOX)


@pytest.fixture
def history(tmp_path: Path) -> History:
    """Two scans of TARGET (the second fixed one finding and brought a hostile one) and one
    scan of another target."""
    store = History(tmp_path / "history.sqlite3")
    day = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
    store.record(scan_of(TARGET, day, 62, "D", LOGOUT, BOLA))
    store.record(scan_of("http://127.0.0.1:10/other", day + timedelta(hours=2), 41, "F", TIMING))
    store.record(scan_of(TARGET, day + timedelta(days=1), 81, "B", LOGOUT, MALICIOUS,
                         also=(RECHECKED, NO_MAILBOX)))
    return store


@pytest.fixture
def dashboard_url(history: History) -> Iterator[str]:
    """The dashboard over ``history`` on a real uvicorn on 127.0.0.1."""
    server = ServerThread(create_dashboard(history))
    yield server.start()
    server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Debian chromium; missing chromium fails the test (``./dev test`` installs it)."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (./dev test does)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield launched
        launched.close()

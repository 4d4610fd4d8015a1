"""A web application whose sign-in is an HTML page is scanned like an API: its forms are
found, their CSRF tokens carried, and the cookie-session checks run on it."""

from __future__ import annotations

from dynaguard.scan.config import ScanConfig
from dynaguard.scan.engine import run_scan
from dynaguard.scan.events import Event, SurfaceDiscovered
from dynaguard.scan.findings import CheckStatus, ScanResult
from dynaguard.scan.form_submit import fill
from dynaguard.scan.html_forms import parse_page
from tests.scan.conftest import Serve
from tests.scan.formapps import _sign_up_form, create_form_app

CHECKS = ("session.cookie_flags", "session.fixation", "session.logout",
          "enumeration.login_response")


async def _scan(url: str, *checks: str) -> tuple[SurfaceDiscovered, ScanResult]:
    seen: list[Event] = []
    result = await run_scan(ScanConfig(url, checks=checks), seen.append)
    return next(e for e in seen if isinstance(e, SurfaceDiscovered)), result


def test_a_sign_up_form_is_filled_as_a_person_would() -> None:
    """Hidden token kept, password confirmed, required text and box filled, button sent."""
    (form,) = parse_page(_sign_up_form("tok"), "http://127.0.0.1:9/signup").forms
    data = fill(form, {"email": "a@example.com", "password": "pw-1234567890"},
                {"identifier": "a@example.com", "password": "pw-1234567890"})
    assert data == {"csrf_token": "tok", "email": "a@example.com", "display_name": "dgscan",
                    "password": "pw-1234567890", "password_again": "pw-1234567890",
                    "terms": "accepted"}


async def test_sign_in_page_is_found_and_its_session_checked(serve: Serve) -> None:
    """Sign-in, sign-up, the session-only page and the sign-out form are found by crawling
    from / and /login; a sound application passes the cookie-session checks."""
    url = serve(create_form_app())
    surface, result = await _scan(url, *CHECKS)
    assert surface.spec_url is None
    assert surface.endpoints == {"login": "POST /login", "register": "POST /signup",
                                 "me": "GET /account", "logout": "POST /logout"}
    statuses = {c.check: (c.status, c.detail) for c in result.checks}
    assert {k: s for k, (s, _) in statuses.items()} == {
        "session.cookie_flags": CheckStatus.PASSED, "session.fixation": CheckStatus.PASSED,
        "session.logout_invalidation": CheckStatus.PASSED,
        "enumeration.login_response": CheckStatus.PASSED}, statuses
    assert "webapp_sid" in statuses["session.cookie_flags"][1]


async def test_flawed_sign_in_page_is_reported(serve: Serve) -> None:
    """Session fixation, a cookie script can read, a sign-out that keeps the session, a
    sign-in that tells accounts apart (whatever CSRF token the page holds) and no
    throttling: each submission carried a fresh CSRF token, so the target judged the
    password (answers were failed sign-ins, not CSRF refusals)."""
    url = serve(create_form_app(fixation=True, weak_cookie=True, logout_noop=True,
                                tells_accounts=True))
    _, result = await _scan(url, *CHECKS, "brute_force.login_throttling")
    statuses = {c.check: c.status for c in result.checks}
    assert statuses == {
        "session.cookie_flags": CheckStatus.FAILED, "session.fixation": CheckStatus.FAILED,
        "session.logout_invalidation": CheckStatus.FAILED,
        "enumeration.login_response": CheckStatus.FAILED,
        "brute_force.login_throttling": CheckStatus.FAILED}
    by_check = {f.check: f for f in result.findings}
    assert by_check["session.cookie_flags"].evidence["missing"] == "HttpOnly"
    assert by_check["session.fixation"].evidence["planted"] == "another account's session id"
    assert set(by_check["brute_force.login_throttling"].evidence["statuses"]) == {401}


async def test_without_register_checks_say_why(serve: Serve) -> None:
    """Without --register, checks that need an account say so instead of passing."""
    url = serve(create_form_app(weak_cookie=True))
    result = await run_scan(ScanConfig(url, checks=("session.cookie_flags",),
                                       register=False))
    (check,) = result.checks
    assert check.status is CheckStatus.SKIPPED
    assert "--register" in check.detail

"""Each check fires on its flaw, with its CWE and endpoint, and stays quiet without it."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from starlette.types import ASGIApp, Receive, Scope, Send

from dynaguard.scan.accounts import Account
from dynaguard.scan.config import ScanConfig
from dynaguard.scan.engine import run_scan
from dynaguard.scan.findings import CheckStatus, ScanResult, Severity
from tests.scan.conftest import Serve
from tests.scan.vulnapp import create_vuln_app

Case = tuple[str, str, set[str], int, str]

# check id, the flaw that must make it fire, other flaws it needs to be measurable,
# expected CWE and endpoint.
CASES: list[Case] = [
    ("enumeration.login_response", "login_enum_message", set(), 204, "POST /api/login"),
    ("enumeration.register_response", "register_enum", set(), 204, "POST /api/register"),
    ("enumeration.forgot_response", "forgot_enum", set(), 204, "POST /api/password/forgot"),
    ("enumeration.login_timing", "login_timing", {"no_throttle"}, 208, "POST /api/login"),
    ("enumeration.forgot_timing", "forgot_timing", set(), 208, "POST /api/password/forgot"),
    ("auth.missing_authentication", "missing_auth", set(), 306, "GET /api/reports"),
    ("password_policy.weak_accepted", "weak_passwords", set(), 521, "POST /api/register"),
    ("session.access_token_lifetime", "long_tokens", set(), 613, "POST /api/login"),
    ("session.logout_invalidation", "logout_noop", set(), 613, "POST /api/logout"),
    ("session.password_change_invalidation", "change_keeps_sessions", set(), 613,
     "POST /api/password/change"),
    ("brute_force.login_throttling", "no_throttle", set(), 307, "POST /api/login"),
]


async def _scan(serve: Serve, check: str, flaws: set[str]) -> ScanResult:
    url = serve(create_vuln_app(flaws))
    return await run_scan(ScanConfig(url, checks=(check,), seed=7, budget=1500))


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
async def test_check_fires_on_its_flaw(serve: Serve, case: Case) -> None:
    """With the flaw on, the check fails with a finding naming the CWE and the endpoint."""
    check, flaw, needs, cwe, endpoint = case
    result = await _scan(serve, check, {flaw, *needs})
    (outcome,) = result.checks
    assert outcome.status is CheckStatus.FAILED, outcome.detail
    assert any(cwe in f.cwe and f.endpoint == endpoint for f in outcome.findings), [
        (f.cwe, f.endpoint) for f in outcome.findings]
    assert result.score < 100


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
async def test_check_stays_quiet_without_its_flaw(serve: Serve, case: Case) -> None:
    """With the flaw off, the same check passes (it ran: neither skipped nor errored)."""
    check, _, needs, _, _ = case
    result = await _scan(serve, check, set(needs))
    (outcome,) = result.checks
    assert outcome.status is CheckStatus.PASSED, (outcome.status, outcome.detail,
                                                  outcome.findings)


async def test_lockout_prone_checks_never_touch_given_accounts(serve: Serve) -> None:
    """Brute-force and timing checks skip rather than hammer an account the user lent."""
    url = serve(create_vuln_app({"no_throttle"}))
    email, password = "lent@example.com", "lent-account-password-42"
    async with httpx.AsyncClient(base_url=url) as client:
        response = await client.post("/api/register", json={"email": email, "password": password})
        assert response.status_code == 202
    config = ScanConfig(url, accounts=(Account(email, password, owned=False),), register=False,
                        checks=("brute_force.", "enumeration.login_timing",
                                "enumeration.login_response"))
    result = await run_scan(config)
    statuses = {c.check: (c.status, c.detail) for c in result.checks}
    assert statuses["enumeration.login_response"][0] is CheckStatus.PASSED
    for check in ("brute_force.login_throttling", "enumeration.login_timing"):
        status, detail = statuses[check]
        assert status is CheckStatus.SKIPPED
        assert "scanner-owned" in detail
    assert result.requests < 20


def test_registration_defaults_to_loopback_targets_only() -> None:
    assert ScanConfig("http://127.0.0.1:8000").may_register
    assert ScanConfig("http://localhost:8000").may_register
    assert not ScanConfig("https://api.example.com").may_register
    assert ScanConfig("https://api.example.com", register=True).may_register


async def test_full_scan_of_a_throttling_target_keeps_its_accounts(serve: Serve) -> None:
    """All checks on a hardened target: the login-timing probe meets the per-identifier
    throttle and carries on with new identifiers; every check that can run passes, grade A."""
    url = serve(create_vuln_app())
    result = await run_scan(ScanConfig(url, seed=3))
    statuses = {c.check: c.status for c in result.checks}
    # Nothing to observe here: tokens cannot be forged (so their claims checks cannot be
    # seen), the app has neither objects by id nor OAuth scopes nor cookies, and this scan
    # has no mailbox. It publishes no public key either, so there is nothing to confuse.
    for check in ("jwt.expired_accepted", "jwt.claims_not_validated", "jwt.sub_swapped",
                  "jwt.alg_confusion", "access.bola",
                  "access.scope_not_enforced", "session.fixation", "auth.unverified_login",
                  "session.cookie_flags", "auth.object_without_credentials",
                  # No mailbox and no reset endpoint: no reset token to judge or to spend.
                  "recovery.token_strength", "recovery.token_reuse", "recovery.token_expiry",
                  "recovery.sessions_survive_reset"):
        assert statuses.pop(check) is CheckStatus.SKIPPED
    # Its admin route refuses every account, but no second factor exists anywhere: the one
    # finding left is that low, tentative one.
    assert statuses.pop("auth.single_factor_admin") is CheckStatus.FAILED
    assert [(f.check, f.severity) for f in result.findings] == [
        ("auth.single_factor_admin", Severity.LOW)]
    assert {c.check: c.detail for c in result.checks
            if statuses.get(c.check, CheckStatus.PASSED) is not CheckStatus.PASSED} == {}
    assert (result.score, result.grade) == (98, "A")


class _Slowing:
    """Wraps a target: each login waits ``step_s`` longer than the one before; no 429,
    no lock."""

    def __init__(self, app: ASGIApp, step_s: float) -> None:
        self.app = app
        self.step_s = step_s
        self.logins = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == "/api/login":
            self.logins += 1
            await asyncio.sleep(self.step_s * self.logins)
        await self.app(scope, receive, send)


@pytest.mark.parametrize(("step_s", "expected"), [(0.03, CheckStatus.PASSED),
                                                  (0.005, CheckStatus.FAILED)])
async def test_brute_force_counts_a_felt_slowdown_as_a_defence(
        serve: Serve, step_s: float, expected: CheckStatus) -> None:
    """Logins that slow down by tenths of a second are throttled; a few milliseconds more
    on a fast endpoint (several times its first latency) are not."""
    url = serve(_Slowing(create_vuln_app({"no_throttle"}), step_s))
    result = await run_scan(ScanConfig(url, checks=("brute_force.",), seed=7))
    (outcome,) = result.checks
    assert outcome.status is expected, outcome.detail
    if expected is CheckStatus.PASSED:
        assert "slowed down" in outcome.detail


async def test_objects_anyone_may_create_are_not_reported_as_missing_authentication(
        serve: Serve) -> None:
    """A paste service: anyone creates and reads pastes, by design. With no credentials
    needed to create, an object read without them is no finding."""
    app = create_vuln_app({"no_throttle"})
    pastes: dict[str, str] = {}

    @app.post("/api/pastes", status_code=201)
    def create_paste(body: dict[str, str]) -> dict[str, str]:
        paste_id = f"p{len(pastes) + 1}"
        pastes[paste_id] = body.get("text", "")
        return {"id": paste_id}

    @app.get("/api/pastes/{paste_id}")
    def read_paste(paste_id: str) -> dict[str, str]:
        return {"id": paste_id, "text": pastes.get(paste_id, "")}

    url = serve(app)
    result = await run_scan(ScanConfig(url, checks=("auth.object_without_credentials",),
                                       seed=7))
    (outcome,) = result.checks
    assert outcome.status is CheckStatus.SKIPPED, outcome.detail
    assert result.findings == ()


class _Preference:
    """Wraps a target: its login answer also sets a preference cookie, without flags."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != "/api/login":
            await self.app(scope, receive, send)
            return

        async def with_cookie(message: Any) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []),
                                                  (b"set-cookie", b"lang=en; Path=/")]}
            await send(message)

        await self.app(scope, receive, with_cookie)


async def test_a_preference_cookie_is_not_judged_as_a_session_cookie(serve: Serve) -> None:
    """A bearer-token API that also sets ``lang=en`` at login has no cookie session: the
    flags of that cookie are nobody's session."""
    url = serve(_Preference(create_vuln_app({"no_throttle"})))
    result = await run_scan(ScanConfig(url, checks=("session.cookie_flags",), seed=7))
    (outcome,) = result.checks
    assert outcome.status is CheckStatus.SKIPPED, outcome.detail
    assert "lang: not a session cookie" in outcome.detail
    assert result.findings == ()

"""The scanner makes its own accounts on APIs shaped by other people: identifiers and
registration bodies from the schemas, logins as the login schema asks, transient
failures retried, and any protected operation as the judge of a credential."""

from __future__ import annotations

import pytest

from dynaguard.scan.config import ScanConfig
from dynaguard.scan.engine import run_scan
from dynaguard.scan.findings import CheckStatus, ScanResult
from tests.scan.bootapps import (
    create_bookshop_app,
    create_cold_start_app,
    create_email_form_app,
    create_full_signup_app,
)
from tests.scan.conftest import Serve

JWT_CHECKS = ("jwt.alg_none", "jwt.signature_not_verified")


def _statuses(result: ScanResult) -> dict[str, tuple[CheckStatus, str]]:
    return {c.check: (c.status, c.detail) for c in result.checks}


async def test_email_as_username_in_an_oauth2_form_login(serve: Serve) -> None:
    """JSON registration whose schema says ``format: email``, login by the OAuth2 password
    form whose ``username`` holds it: accounts are made with an email and log in."""
    url = serve(create_email_form_app())
    result = await run_scan(ScanConfig(url, checks=(*JWT_CHECKS, "session.access_token")))
    statuses = _statuses(result)
    assert {s for s, _ in statuses.values()} == {CheckStatus.PASSED}, statuses


async def test_registration_with_username_email_and_password_required(serve: Serve) -> None:
    """Every required field of the registration (username, email, password, a nested
    profile, an enum) is sent with a valid value, and the login takes the username."""
    url = serve(create_full_signup_app())
    result = await run_scan(ScanConfig(url, checks=JWT_CHECKS))
    statuses = _statuses(result)
    assert {s for s, _ in statuses.values()} == {CheckStatus.PASSED}, statuses


async def test_a_target_whose_first_requests_fail_is_retried(serve: Serve) -> None:
    """A 500 and then a 503 with Retry-After on the first requests that touch users: the
    registration is tried again instead of the refusal being believed for the scan."""
    url = serve(create_cold_start_app(failures=2))
    result = await run_scan(ScanConfig(url, checks=JWT_CHECKS))
    statuses = _statuses(result)
    assert {s for s, _ in statuses.values()} == {CheckStatus.PASSED}, statuses


@pytest.mark.parametrize(("logout_noop", "listing", "judge"), [
    (False, True, "GET /books"), (True, True, "GET /books"),
    (True, False, "GET /orders/{order_id}")])
async def test_protected_routes_without_an_identity_endpoint(
        serve: Serve, logout_noop: bool, listing: bool, judge: str) -> None:
    """No ``me``: a protected collection (``GET /books``), or else an order the scanner
    places and reads back by id, judges credentials, so the JWT suite and the logout
    check run, and a logout that revokes nothing is found."""
    url = serve(create_bookshop_app(logout_noop=logout_noop, listing=listing))
    result = await run_scan(ScanConfig(url, checks=(*JWT_CHECKS, "session.logout")))
    statuses = _statuses(result)
    for name in JWT_CHECKS:
        assert statuses[name][0] is CheckStatus.PASSED, statuses
    logout, _ = statuses["session.logout_invalidation"]
    assert logout is (CheckStatus.FAILED if logout_noop else CheckStatus.PASSED), statuses
    if logout_noop:
        (finding,) = result.findings
        assert finding.endpoint == "POST /api/logout"
        assert finding.evidence["judged_by"] == judge


async def test_a_registration_on_a_sensitive_looking_path_is_public(serve: Serve) -> None:
    """``POST /users`` that registers is public by design: not reported as an operation
    answering without authentication."""
    url = serve(create_full_signup_app())
    result = await run_scan(ScanConfig(url, checks=("auth.missing_authentication",)))
    assert result.findings == (), [(f.endpoint, f.title) for f in result.findings]
    assert result.checks[0].status is CheckStatus.PASSED

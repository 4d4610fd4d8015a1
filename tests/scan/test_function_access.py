"""The BFLA check on a user listing: one that shows an ordinary account only its own
record is not administrative access; one that shows every account is."""

from __future__ import annotations

from dynaguard.scan.config import ScanConfig
from dynaguard.scan.engine import run_scan
from dynaguard.scan.findings import CheckResult, CheckStatus
from tests.scan.conftest import Serve
from tests.scan.usersapp import create_users_app

CHECK = "access.bfla"


async def _check(url: str) -> CheckResult:
    result = await run_scan(ScanConfig(url, checks=(CHECK,), seed=3, register=True))
    (outcome,) = result.checks
    return outcome


async def test_a_listing_of_the_caller_alone_is_no_finding(serve: Serve) -> None:
    """Another account exists, yet GET /users shows the caller only itself: refused."""
    outcome = await _check(serve(create_users_app(listing_scoped=True)))
    assert outcome.status is CheckStatus.PASSED, outcome.detail
    assert "own record" in outcome.detail, outcome.detail


async def test_a_listing_of_every_account_is_a_finding(serve: Serve) -> None:
    outcome = await _check(serve(create_users_app(listing_scoped=False)))
    assert outcome.status is CheckStatus.FAILED, outcome.detail
    (finding,) = outcome.findings
    assert finding.endpoint == "GET /users"

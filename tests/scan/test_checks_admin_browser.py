"""The administration, cookie, CORS and wrong-password checks against the lab and the guard.

Two lab flaws show only on a particular account: ``single_factor_admin`` on the seeded
administrator, ``keyerror_bypass`` on the seeded account imported without an ``enabled``
attribute. The scanner is given those published accounts as ``--user`` would give them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dynaguard.lab.seed import ADMIN_EMAIL, ADMIN_PASSWORD, IMPORTED_EMAIL, IMPORTED_PASSWORD
from dynaguard.lab.server import running_lab
from dynaguard.scan.accounts import Account
from dynaguard.scan.config import ScanConfig
from dynaguard.scan.engine import run_scan
from dynaguard.scan.findings import CheckStatus, ScanResult, Severity
from dynaguard.settings import Settings
from tests.conftest import TEST_PASSWORD, MakeUser
from tests.scan.conftest import Serve

CHECKS = ("access.bfla", "auth.single_factor_admin", "auth.wrong_password_accepted",
          "session.cookie_flags", "cors.credentialed_any_origin",
          "auth.object_without_credentials")
ADMIN = Account(ADMIN_EMAIL, ADMIN_PASSWORD, owned=False)
IMPORTED = Account(IMPORTED_EMAIL, IMPORTED_PASSWORD, owned=False)

# check id, lab flaw, the published account to give, expected CWE and endpoint.
GivenCase = tuple[str, str, Account, int, str]
GIVEN_CASES: list[GivenCase] = [
    ("auth.single_factor_admin", "single_factor_admin", ADMIN, 308, "GET /admin/users"),
    ("auth.wrong_password_accepted", "keyerror_bypass", IMPORTED, 287, "POST /auth/login"),
]


def _mailbox(settings: Settings) -> Path:
    assert settings.outbox_dir is not None
    settings.outbox_dir.mkdir(parents=True, exist_ok=True)
    return settings.outbox_dir


async def _scan(url: str, settings: Settings, checks: tuple[str, ...],
                accounts: tuple[Account, ...] = ()) -> ScanResult:
    return await run_scan(ScanConfig(url, checks=checks, accounts=accounts, seed=7,
                                     register=True, mailbox=_mailbox(settings)))


def _serious(result: ScanResult) -> list[tuple[str, str]]:
    return [(f.check, f.title) for f in result.findings if f.severity.rank > Severity.INFO.rank]


@pytest.mark.parametrize("case", GIVEN_CASES, ids=[c[1] for c in GIVEN_CASES])
async def test_check_fires_on_its_flaw_with_the_account_it_needs(settings: Settings,
                                                                 case: GivenCase) -> None:
    """The flaw on alone: found on the account it affects; the safe lab, same account: not."""
    check, flaw, account, cwe, endpoint = case
    with running_lab(settings, flaws=[flaw]) as url:
        flawed = await _scan(url, settings, (check,), (account,))
    (outcome,) = flawed.checks
    assert outcome.status is CheckStatus.FAILED, outcome.detail
    assert any(cwe in f.cwe and f.endpoint == endpoint for f in outcome.findings)
    assert all(f.owasp and f.soc2 and f.remediation for f in outcome.findings)
    safe_settings = settings.model_copy(update={"table": settings.table + "-safe"})
    with running_lab(safe_settings, flaws="none") as url:
        safe = await _scan(url, settings, (check,), (account,))
    (outcome,) = safe.checks
    assert outcome.status is CheckStatus.PASSED, outcome.detail


async def test_quiet_on_the_safe_lab(settings: Settings) -> None:
    """No flaw on: each check runs and passes (the cookie is Secure, HttpOnly, Lax; CORS
    allows only the lab's own origin; admin routes refuse an ordinary account)."""
    with running_lab(settings, flaws="none") as url:
        result = await _scan(url, settings, CHECKS)
    statuses = {c.check: (c.status, c.detail) for c in result.checks}
    # A second factor is offered, and no administrator was given to log in with.
    status, detail = statuses.pop("auth.single_factor_admin")
    assert status is CheckStatus.SKIPPED, detail
    assert "no administrator given" in detail
    assert {s for s, _ in statuses.values()} == {CheckStatus.PASSED}, statuses
    assert _serious(result) == []


async def test_all_fire_on_the_lab_with_every_flaw(settings: Settings) -> None:
    """Every flaw at once, the published accounts given: each check still reports."""
    with running_lab(settings, flaws="all") as url:
        result = await _scan(url, settings, CHECKS, (ADMIN, IMPORTED))
    statuses = {c.check: (c.status, c.detail) for c in result.checks}
    assert {s for s, _ in statuses.values()} == {CheckStatus.FAILED}, statuses
    found = {(f.check, f.endpoint) for f in result.findings}
    assert ("auth.single_factor_admin", "GET /admin/users") in found
    assert ("access.bfla", "GET /admin/users") in found


async def test_quiet_on_the_guard_with_an_administrator_given(
        settings: Settings, serve: Serve, make_user: MakeUser) -> None:
    """The guard issues `admin` only to sessions with a second factor
    (DYNAGUARD_MFA_REQUIRED_SCOPES): an administrator's password alone reaches nothing
    administrative, an ordinary account reaches nothing either, and it sets no cookie."""
    from dynaguard.guard.app import create_app  # noqa: PLC0415 -- only this test serves it

    guarded = settings.model_copy(update={"mfa_required_scopes": ["admin"]})
    admin = await make_user("root@example.com", scopes=["admin", "notes:read"])
    url = serve(create_app(guarded))
    given = (Account(admin.email, TEST_PASSWORD, owned=False),)
    result = await _scan(url, settings, CHECKS, given)
    statuses = {c.check: (c.status, c.detail) for c in result.checks}
    assert statuses["session.cookie_flags"][0] is CheckStatus.SKIPPED, statuses
    del statuses["session.cookie_flags"]
    assert {s for s, _ in statuses.values()} == {CheckStatus.PASSED}, statuses
    assert _serious(result) == []

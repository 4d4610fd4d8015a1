"""The first checks (enumeration, missing authentication, brute force, password policy,
session expiry) against the lab: each of their flaws switched on alone is found with its
CWE and endpoint, and the lab with no flaw gives nothing above info."""

from __future__ import annotations

from pathlib import Path

import pytest

from dynaguard.lab.server import running_lab
from dynaguard.scan.config import ScanConfig
from dynaguard.scan.engine import run_scan
from dynaguard.scan.findings import CheckStatus, Severity
from dynaguard.settings import Settings

Case = tuple[str, str, int, str]

# check id, the lab flaw switched on alone, expected CWE and endpoint.
CASES: list[Case] = [
    ("enumeration.login_timing", "timing_enum", 208, "POST /auth/login"),
    ("enumeration.login_response", "message_enum", 204, "POST /auth/login"),
    ("enumeration.register_response", "message_enum", 204, "POST /auth/register"),
    ("enumeration.forgot_response", "message_enum", 204, "POST /auth/password/forgot"),
    ("brute_force.login_throttling", "no_throttle", 307, "POST /auth/login"),
    ("password_policy.weak_accepted", "weak_password_policy", 521, "POST /auth/register"),
    ("auth.missing_authentication", "missing_route_auth", 306, "DELETE /notes/{note_id}"),
    ("session.logout_invalidation", "no_logout_revocation", 613, "POST /auth/logout"),
    ("session.password_change_invalidation", "no_password_change_revocation", 613,
     "POST /auth/password/change"),
    ("session.access_token_lifetime", "long_lived_tokens", 613, "POST /auth/login"),
]
CORE_CHECKS = tuple(sorted({case[0] for case in CASES}))


def _mailbox(settings: Settings) -> Path:
    assert settings.outbox_dir is not None
    settings.outbox_dir.mkdir(parents=True, exist_ok=True)
    return settings.outbox_dir


def _timed(settings: Settings) -> Settings:
    """A real Argon2 cost, so a missing dummy verification shows in the timing."""
    return settings.model_copy(update={"argon2_profile": "owasp-minimum"})


@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
async def test_check_finds_its_lab_flaw_alone(settings: Settings, case: Case) -> None:
    """The flaw alone (throttling on and everything else safe): found, CWE and endpoint."""
    check, flaw, cwe, endpoint = case
    if check.startswith("enumeration.") and check.endswith("_timing"):
        settings = _timed(settings)
    with running_lab(settings, flaws=[flaw]) as url:
        result = await run_scan(ScanConfig(url, checks=(check,), seed=7,
                                           mailbox=_mailbox(settings)))
    (outcome,) = result.checks
    assert outcome.status is CheckStatus.FAILED, outcome.detail
    assert any(cwe in f.cwe and f.endpoint == endpoint for f in outcome.findings), [
        (f.cwe, f.endpoint) for f in outcome.findings]
    assert all(f.severity.rank > Severity.INFO.rank for f in outcome.findings)


async def test_core_checks_stay_quiet_on_the_safe_lab(settings: Settings) -> None:
    """No flaw on, a real Argon2 cost: every one of these checks runs and passes (the login
    timing one too, despite the throttling), and nothing above info is found."""
    with running_lab(_timed(settings), flaws="none") as url:
        result = await run_scan(ScanConfig(url, checks=CORE_CHECKS, seed=7,
                                           mailbox=_mailbox(settings)))
    statuses = {c.check: (c.status, c.detail) for c in result.checks}
    assert len(statuses) == len(CORE_CHECKS) == 10, statuses
    assert {c: s for c, s in statuses.items() if s[0] is not CheckStatus.PASSED} == {}
    assert [(f.check, f.severity, f.evidence) for f in result.findings
            if f.severity.rank > Severity.INFO.rank] == []

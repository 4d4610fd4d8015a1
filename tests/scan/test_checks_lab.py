"""The token and access-control checks against the lab: each fires with its flaw on alone
(or with the one flaw that makes it observable), and stays quiet on the lab with no flaws."""

from __future__ import annotations

from pathlib import Path

import pytest

from dynaguard.lab.server import running_lab
from dynaguard.scan.checks import registry
from dynaguard.scan.config import ScanConfig
from dynaguard.scan.engine import run_scan
from dynaguard.scan.findings import CheckStatus, Confidence, Severity
from dynaguard.settings import Settings

Case = tuple[str, str, set[str], int, str]

# check id, the lab flaw that must make it fire, other flaws it needs to be observable,
# expected CWE and endpoint.
CASES: list[Case] = [
    ("jwt.alg_none", "jwt_alg_none", set(), 347, "GET /auth/me"),
    ("jwt.signature_not_verified", "jwt_no_verify", set(), 347, "GET /auth/me"),
    ("jwt.weak_secret", "jwt_weak_secret", set(), 347, "POST /auth/login"),
    ("jwt.expired_accepted", "jwt_no_verify", set(), 613, "GET /auth/me"),
    ("jwt.claims_not_validated", "jwt_no_aud", {"jwt_weak_secret"}, 287, "GET /auth/me"),
    ("jwt.alg_confusion", "jwt_alg_confusion", set(), 347, "GET /auth/me"),
    ("jwt.kid_injection", "jwt_kid_injection", set(), 347, "GET /auth/me"),
    ("jwt.header_key_injection", "jwt_jku_trust", set(), 347, "GET /auth/me"),
    ("jwt.sub_swapped", "jwt_sub_trusted", {"jwt_weak_secret"}, 639, "GET /auth/me"),
    ("session.access_token_lifetime", "jwt_no_exp", set(), 613, "POST /auth/login"),
    ("refresh.rotation_and_reuse", "refresh_reuse", set(), 613, "POST /auth/refresh"),
    ("access.bola", "bola", set(), 639, "GET /notes/{note_id}"),
    ("access.scope_not_enforced", "scope_confusion", set(), 863, "POST /notes"),
    ("session.fixation", "session_fixation", set(), 384, "POST /auth/login"),
    ("input.malformed_login", "malformed_json_bypass", set(), 287, "POST /auth/login"),
    ("input.malformed_login", "error_leak", set(), 209, "POST /auth/login"),
    ("input.malformed_refresh", "error_leak", set(), 209, "POST /auth/refresh"),
    ("auth.unverified_login", "missing_attr_truthy", set(), 287, "POST /auth/login"),
    ("access.bfla", "bfla", set(), 285, "GET /admin/users"),
    ("session.cookie_flags", "insecure_cookies", set(), 1004, "POST /auth/login"),
    ("cors.credentialed_any_origin", "cors_any_origin", set(), 942, "GET /auth/me"),
    ("auth.object_without_credentials", "missing_route_auth", set(), 306,
     "DELETE /notes/{note_id}"),
    ("enumeration.login_response", "message_enum", set(), 204, "POST /auth/login"),
    ("session.logout_invalidation", "no_logout_revocation", set(), 613, "POST /auth/logout"),
    ("session.password_change_invalidation", "no_password_change_revocation", set(), 613,
     "POST /auth/password/change"),
    ("session.access_token_lifetime", "long_lived_tokens", set(), 613, "POST /auth/login"),
    ("brute_force.login_throttling", "no_throttle", set(), 307, "POST /auth/login"),
    ("password_policy.weak_accepted", "weak_password_policy", set(), 521,
     "POST /auth/register"),
]
NEW_CHECKS = ("jwt.", "refresh.", "access.", "session.fixation", "input.",
              "auth.unverified_login")


def _mailbox(settings: Settings) -> Path:
    assert settings.outbox_dir is not None
    settings.outbox_dir.mkdir(parents=True, exist_ok=True)
    return settings.outbox_dir


@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
async def test_check_fires_on_its_lab_flaw(settings: Settings, case: Case) -> None:
    check, flaw, needs, cwe, endpoint = case
    with running_lab(settings, flaws=[flaw, *needs]) as url:
        result = await run_scan(ScanConfig(url, checks=(check,), seed=7,
                                           mailbox=_mailbox(settings)))
    (outcome,) = result.checks
    assert outcome.status is CheckStatus.FAILED, outcome.detail
    assert any(cwe in f.cwe and f.endpoint == endpoint for f in outcome.findings), [
        (f.cwe, f.endpoint) for f in outcome.findings]
    assert all(f.owasp and f.soc2 and f.remediation for f in outcome.findings)


# Checks that need a way to forge tokens skip when there is none: that is the safe case.
NEEDS_FORGING = {"jwt.expired_accepted", "jwt.claims_not_validated", "jwt.sub_swapped"}
# jwt_no_verify accepts any signature, so with every flaw on the key attacks still work but
# cannot be told from it (their control token with a random key is accepted too): they
# fire with tentative (or, when the target fetched the named key, firm) confidence.
MASKED_BY_NO_VERIFY = {"jwt.alg_confusion", "jwt.kid_injection", "jwt.header_key_injection"}


async def test_new_checks_stay_quiet_on_the_safe_lab(settings: Settings) -> None:
    """With no flaw on, every new check runs and passes (or, needing a forged token, skips
    because none can be made), and nothing above info is found."""
    with running_lab(settings, flaws="none") as url:
        result = await run_scan(ScanConfig(url, checks=NEW_CHECKS, seed=7,
                                           mailbox=_mailbox(settings)))
    statuses = {c.check: (c.status, c.detail) for c in result.checks}
    assert len(statuses) == len(registry.select(NEW_CHECKS)), statuses
    for check, (status, detail) in statuses.items():
        allowed = {CheckStatus.PASSED}
        if check in NEEDS_FORGING:
            allowed.add(CheckStatus.SKIPPED)
        assert status in allowed, (check, status, detail)
    assert [f for f in result.findings if f.severity.rank > Severity.INFO.rank] == []


async def test_new_checks_stay_quiet_on_the_guard(guard_url: str, settings: Settings) -> None:
    """The guard (EdDSA tokens, rotation with reuse detection): no finding from the new
    checks, and none of them errors."""
    result = await run_scan(ScanConfig(guard_url, checks=NEW_CHECKS, seed=7,
                                       mailbox=_mailbox(settings)))
    statuses = {c.check: (c.status, c.detail) for c in result.checks}
    assert all(status is not CheckStatus.ERROR for status, _ in statuses.values()), statuses
    assert statuses["jwt.alg_none"][0] is CheckStatus.PASSED, statuses
    assert statuses["jwt.signature_not_verified"][0] is CheckStatus.PASSED, statuses
    assert statuses["refresh.rotation_and_reuse"][0] is CheckStatus.PASSED, statuses
    for check in MASKED_BY_NO_VERIFY:  # confusion tried against its EdDSA JWKS, and refused
        assert statuses[check][0] is CheckStatus.PASSED, (check, statuses[check])
    assert result.findings == (), [(f.check, f.title) for f in result.findings]


async def test_new_checks_all_fire_on_the_lab_with_every_flaw(settings: Settings) -> None:
    """Every flaw at once: each new check still reports (no flaw masks another)."""
    with running_lab(settings, flaws="all") as url:
        result = await run_scan(ScanConfig(url, checks=NEW_CHECKS, seed=7,
                                           mailbox=_mailbox(settings)))
    statuses = {c.check: (c.status, c.detail) for c in result.checks}
    assert len(statuses) == len(registry.select(NEW_CHECKS)), statuses
    for check, (status, detail) in statuses.items():
        assert status is CheckStatus.FAILED, (check, status, detail)
        if check in MASKED_BY_NO_VERIFY:
            assert "random key" in detail, (check, detail)
    for finding in result.findings:
        if finding.check in MASKED_BY_NO_VERIFY:
            assert finding.evidence["random_key_accepted"] is True, finding
            assert finding.confidence in {Confidence.TENTATIVE, Confidence.FIRM}, finding

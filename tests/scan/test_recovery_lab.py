"""The recovery checks against their ground truth: each fires on its lab flaw alone (mail
read from the file outbox, or from the scanner's SMTP sink), and stays quiet on the safe
lab and on the guard."""

from __future__ import annotations

from pathlib import Path

import pytest

from dynaguard.guard.app import create_app
from dynaguard.lab.server import running_lab
from dynaguard.scan.config import ScanConfig
from dynaguard.scan.engine import run_scan
from dynaguard.scan.findings import CheckStatus, ScanResult, Severity
from dynaguard.settings import Settings
from dynaguard.store.engine import free_port
from tests.scan.conftest import Serve

Case = tuple[str, str, int, str]

# check id, the lab flaw that must make it fire alone, expected CWE and endpoint.
RECOVERY_CASES: list[Case] = [
    ("recovery.token_in_response", "reset_token_in_response", 640, "POST /auth/password/forgot"),
    ("recovery.token_strength", "reset_token_weak", 330, "POST /auth/password/forgot"),
    ("recovery.token_reuse", "reset_token_reusable", 640, "POST /auth/password/reset"),
    ("recovery.token_expiry", "reset_token_long_lived", 640, "POST /auth/password/forgot"),
    ("recovery.sessions_survive_reset", "reset_keeps_sessions", 613,
     "POST /auth/password/reset"),
]
RECOVERY_CHECKS = ("recovery.token_in_response", "recovery.token_strength",
                   "recovery.token_reuse", "recovery.token_expiry",
                   "recovery.sessions_survive_reset")


def _outbox(settings: Settings) -> Path:
    assert settings.outbox_dir is not None
    settings.outbox_dir.mkdir(parents=True, exist_ok=True)
    return settings.outbox_dir


def _over_smtp(settings: Settings) -> tuple[Settings, str]:
    """Settings that make the target mail to a loopback port, and the sink URL for it."""
    sink = f"smtp://127.0.0.1:{free_port()}"
    return settings.model_copy(update={"mail_url": sink}), sink


def _statuses(result: ScanResult) -> dict[str, tuple[CheckStatus, str]]:
    return {c.check: (c.status, c.detail) for c in result.checks}


def _assert_fired(result: ScanResult, check: str, cwe: int, endpoint: str) -> None:
    (outcome,) = [c for c in result.checks if c.check == check]
    assert outcome.status is CheckStatus.FAILED, outcome.detail
    assert any(cwe in f.cwe and f.endpoint == endpoint for f in outcome.findings), [
        (f.cwe, f.endpoint) for f in outcome.findings]
    assert all(f.owasp and f.soc2 and f.remediation for f in outcome.findings)


@pytest.mark.parametrize("case", RECOVERY_CASES, ids=[f"{c[0]}-{c[1]}" for c in RECOVERY_CASES])
async def test_check_fires_on_its_flaw_with_the_file_outbox(settings: Settings,
                                                           case: Case) -> None:
    check, flaw, cwe, endpoint = case
    with running_lab(settings, flaws=[flaw]) as url:
        result = await run_scan(ScanConfig(url, checks=(check,), seed=7,
                                           mailbox=_outbox(settings)))
    _assert_fired(result, check, cwe, endpoint)


async def test_checks_fire_with_every_flaw_reading_the_smtp_sink(settings: Settings) -> None:
    """`--flaws all`, the lab mailing over SMTP to the sink the scan starts: verification
    and reset mails arrive there, and every recovery flaw is found."""
    lab_settings, sink = _over_smtp(settings)
    with running_lab(lab_settings, flaws="all") as url:
        result = await run_scan(ScanConfig(url, checks=("recovery.",), seed=7, mailbox=sink))
    assert lab_settings.outbox_dir is None
    for check, _, cwe, endpoint in RECOVERY_CASES:
        _assert_fired(result, check, cwe, endpoint)
    (strength,) = [f for f in result.findings if f.check == "recovery.token_strength"]
    assert strength.severity is Severity.CRITICAL
    assert strength.evidence["derivation"] == "md5(identifier:epoch)"


async def test_token_in_the_answer_is_found_beside_the_forgot_enumeration_check(
        settings: Settings) -> None:
    """The forgot-enumeration check asks for resets of the first account while the token
    check runs beside it: each reads its own mail, and the flaw is still found."""
    with running_lab(settings, flaws=["reset_token_in_response"]) as url:
        result = await run_scan(ScanConfig(
            url, checks=("enumeration.forgot_response", "recovery.token_in_response"),
            seed=7, mailbox=_outbox(settings)))
    _assert_fired(result, "recovery.token_in_response", 640, "POST /auth/password/forgot")
    (finding,) = [f for f in result.findings if f.check == "recovery.token_in_response"]
    assert finding.evidence["matches_mailed_token"] is True


async def test_token_in_the_answer_is_found_without_a_mailbox(settings: Settings) -> None:
    """No mailbox (accounts log in unverified here): the token-like field of the forgot
    answer is still reported."""
    with running_lab(settings, flaws=["reset_token_in_response", "missing_attr_truthy"]) as url:
        result = await run_scan(ScanConfig(url, checks=("recovery.token_in_response",
                                                        "recovery.token_reuse"), seed=7))
    _assert_fired(result, "recovery.token_in_response", 640, "POST /auth/password/forgot")
    # The reuse check works with the token the answer gave, and finds it spent once.
    assert _statuses(result)["recovery.token_reuse"][0] is CheckStatus.PASSED, _statuses(result)


async def test_recovery_checks_stay_quiet_on_the_safe_lab(settings: Settings) -> None:
    """`--flaws none`, mail over SMTP: every recovery check runs and passes."""
    lab_settings, sink = _over_smtp(settings)
    with running_lab(lab_settings, flaws="none") as url:
        result = await run_scan(ScanConfig(url, checks=("recovery.",), seed=7, mailbox=sink))
    statuses = _statuses(result)
    assert sorted(statuses) == sorted(RECOVERY_CHECKS)
    assert all(s is CheckStatus.PASSED for s, _ in statuses.values()), statuses
    assert [f for f in result.findings if f.severity.rank > Severity.INFO.rank] == []


async def test_recovery_checks_stay_quiet_on_the_guard(settings: Settings, serve: Serve) -> None:
    """The guard mailing over SMTP to the sink: every recovery check runs and passes."""
    guard_settings, sink = _over_smtp(settings)
    url = serve(create_app(guard_settings))
    result = await run_scan(ScanConfig(url, checks=("recovery.",), seed=7, mailbox=sink))
    statuses = _statuses(result)
    assert all(s is CheckStatus.PASSED for s, _ in statuses.values()), statuses
    assert "1200 s" in statuses["recovery.token_expiry"][1]
    assert result.findings == (), [(f.check, f.title) for f in result.findings]


async def test_without_mail_the_token_checks_skip_and_say_why(settings: Settings) -> None:
    """No mailbox and no token in the answer: nothing to judge, so skipped, not passed."""
    with running_lab(settings, flaws=["missing_attr_truthy"]) as url:
        result = await run_scan(ScanConfig(url, checks=("recovery.token_strength",), seed=7))
    ((status, detail),) = _statuses(result).values()
    assert status is CheckStatus.SKIPPED
    assert detail.startswith("no reset token to work with"), detail

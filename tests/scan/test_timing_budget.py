"""The timing checks read a target's advertised rate limit and skip at once when it cannot
pay for a comparison, instead of spending the budget only to meet a 429."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dynaguard.scan.checks.enumeration import MIN_TIMING_PROBES
from dynaguard.scan.config import ScanConfig
from dynaguard.scan.engine import run_scan
from dynaguard.scan.findings import CheckStatus
from dynaguard.scan.timing import WARMUP_PAIRS
from dynaguard.settings import Settings
from tests.scan.conftest import Serve
from tests.scan.vulnapp import create_vuln_app

TIMING = ("enumeration.login_timing", "enumeration.forgot_timing")


def _mailbox(settings: Settings) -> Path:
    assert settings.outbox_dir is not None
    settings.outbox_dir.mkdir(parents=True, exist_ok=True)
    return settings.outbox_dir


class Advertised:
    """Wraps a target: its login answers say how many of ``quota`` requests are left, in
    the de-facto ``X-RateLimit-*`` fields (the target enforces nothing). ``jitter_s``:
    each login waits up to that long more, at random (noise no timing test sees through
    in a few dozen pairs)."""

    def __init__(self, app: ASGIApp, quota: int, jitter_s: float = 0.0) -> None:
        self.app = app
        self.left = quota
        self.quota = quota
        self.jitter_s = jitter_s
        self.rng = random.Random(5)  # noqa: S311 -- test noise, not secrecy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != "/api/login":
            await self.app(scope, receive, send)
            return
        self.left -= 1
        if self.jitter_s:
            await asyncio.sleep(self.rng.uniform(0, self.jitter_s))

        async def advertise(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [
                    *message.get("headers", []),
                    (b"x-ratelimit-limit", str(self.quota).encode()),
                    (b"x-ratelimit-remaining", str(max(0, self.left)).encode()),
                    (b"x-ratelimit-reset", b"60")]}
            await send(message)

        await self.app(scope, receive, advertise)


async def test_guard_budget_skips_both_timing_checks_at_their_first_answers(
        guard_url: str, settings: Settings) -> None:
    """The guard's RateLimit fields tell the scanner its per-address budget (30 failures)
    cannot pay for a comparison: each timing check skips after one probe, saying why."""
    result = await run_scan(ScanConfig(guard_url, checks=TIMING, seed=1,
                                       mailbox=_mailbox(settings)))
    outcomes = {c.check: c for c in result.checks}
    assert set(outcomes) == set(TIMING)
    for check, label, policy in ((TIMING[0], "POST /auth/login", "address"),
                                 (TIMING[1], "POST /auth/password/forgot", "password-forgot")):
        outcome = outcomes[check]
        assert outcome.status is CheckStatus.SKIPPED, (check, outcome.detail)
        assert outcome.detail.startswith(f"{label} accepts 29 more requests for "), outcome.detail
        assert f'(RateLimit header, policy "{policy}": 30 per 600 s)' in outcome.detail
        assert f"needs at least {MIN_TIMING_PROBES} requests" in outcome.detail
    # One probe each, and the one account registered for the login's known side.
    assert outcomes[TIMING[0]].requests <= 2
    assert outcomes[TIMING[1]].requests == 1


async def test_small_advertised_budget_skips_the_login_timing_check(serve: Serve) -> None:
    url = serve(Advertised(create_vuln_app({"login_timing", "no_throttle"}), quota=40))
    result = await run_scan(ScanConfig(url, checks=(TIMING[0],), seed=7))
    (outcome,) = result.checks
    assert outcome.status is CheckStatus.SKIPPED
    assert outcome.detail == ("POST /api/login accepts 39 more requests for 60 s "
                              "(X-RateLimit-Remaining header; limit 40); a timing comparison "
                              f"needs at least {MIN_TIMING_PROBES} requests, "
                              f"{MIN_TIMING_PROBES - 1} more")
    assert outcome.requests <= 2


async def test_ample_advertised_budget_lets_the_timing_flaw_be_found(serve: Serve) -> None:
    """A budget that pays for the comparison changes nothing: the leak is found."""
    url = serve(Advertised(create_vuln_app({"login_timing", "no_throttle"}), quota=5000))
    result = await run_scan(ScanConfig(url, checks=(TIMING[0],), seed=7))
    (outcome,) = result.checks
    assert outcome.status is CheckStatus.FAILED, outcome.detail
    assert any(208 in f.cwe for f in outcome.findings)


async def test_a_budget_spent_mid_sampling_ends_it_with_the_pairs_in_hand(serve: Serve) -> None:
    """Enough for the first look but not for sampling on: the pairs sampled before the
    budget ran out are judged, and the verdict says what stopped it (no 429 is met)."""
    # Room for the warm-up and 40 pairs; noisy answers leave the first look (30 pairs)
    # open, so sampling would go on to 60 pairs without the advertised limit.
    quota = 2 * (WARMUP_PAIRS + 40)
    target = Advertised(create_vuln_app({"no_throttle"}), quota=quota, jitter_s=0.02)
    url = serve(target)
    result = await run_scan(ScanConfig(url, checks=(TIMING[0],), seed=7))
    (outcome,) = result.checks
    assert outcome.status is CheckStatus.PASSED, outcome.detail
    assert "over 40 pairs" in outcome.detail
    assert "stopped by POST /api/login's advertised rate limit (0 more requests" in \
        outcome.detail
    assert target.left == 0


async def test_budget_counting_down_leaves_response_comparison_whole(
        guard_url: str, settings: Settings) -> None:
    """The guard's RateLimit field changes on every answer; the response-enumeration checks
    still compare whole answers (headers included), not only statuses, and pass."""
    checks = ("enumeration.login_response", "enumeration.forgot_response")
    result = await run_scan(ScanConfig(guard_url, checks=checks, seed=1,
                                       mailbox=_mailbox(settings)))
    details = {c.check: (c.status, c.detail) for c in result.checks}
    assert details == {
        check: (CheckStatus.PASSED,
                f"{label}: identical answers for known and unknown identifiers")
        for check, label in zip(checks, ("POST /auth/login", "POST /auth/password/forgot"),
                                strict=True)}

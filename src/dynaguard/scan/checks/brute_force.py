"""Brute force (CWE-307): does the login slow down, refuse or lock after repeated failures?

Only ever run against a scanner-owned account: a working defence may lock it out."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections import Counter

from dynaguard.scan.accounts import strong_password
from dynaguard.scan.checks.registry import Outcome, check, failed, passed
from dynaguard.scan.context import CheckContext
from dynaguard.scan.findings import Confidence, Severity
from dynaguard.scan.form_submit import timed_send

ATTEMPTS = 20
BATCH = 4
MIN_ADDED_DELAY_S = 0.2
LOCK_WORDS = ("lock", "too many", "try again", "temporarily", "captcha", "slow down")


@check("brute_force.login_throttling", title="No throttling of failed logins",
       cwe=(307,), severity=Severity.MEDIUM, order=90, alone=True, remediation=(
           "Throttle failed logins per account identifier (whether or not it exists) and per "
           "client address, with growing delays or a temporary lock, and answer 429 with "
           "Retry-After once the limit is hit."))
async def login_throttling(ctx: CheckContext) -> Outcome:
    endpoint = ctx.accounts.endpoint("login")
    account = await ctx.accounts.disposable()
    wrong = strong_password()
    statuses: list[int] = []
    latencies: list[float] = []
    start = time.perf_counter()
    # Batches in flight at once: an expensive (Argon2) login must not make this take minutes.
    for batch in range(0, ATTEMPTS, BATCH):
        answers = await asyncio.gather(*(timed_send(
            ctx.http, endpoint, identifier=account.identifier, password=wrong)
            for _ in range(BATCH)))
        for number, (response, elapsed) in enumerate(answers, start=batch + 1):
            statuses.append(response.status_code)
            latencies.append(elapsed)
            text = response.text.lower()
            if (response.status_code in (423, 429) or "retry-after" in response.headers
                    or any(word in text for word in LOCK_WORDS)):
                return passed(f"{endpoint.label} pushed back after {number} failed attempts "
                              f"({response.status_code})")
    first, last = statistics.median(latencies[:5]), statistics.median(latencies[-5:])
    slowdown = last / max(first, 1e-3)
    # A delay that throttles is felt: a few milliseconds more on a fast endpoint is noise.
    if slowdown >= 3 and last - first >= MIN_ADDED_DELAY_S:
        return passed(f"{endpoint.label} slowed down {slowdown:.1f}x over {ATTEMPTS} failures")
    still_opens = (await ctx.accounts.login(account)).is_success
    if not still_opens:
        return passed(f"{endpoint.label} locked the account after {ATTEMPTS} failures")
    elapsed = time.perf_counter() - start
    evidence = {"failed_attempts": ATTEMPTS, "statuses": dict(Counter(statuses)),
                "seconds": round(elapsed, 2), "attempts_per_second": round(ATTEMPTS / elapsed, 1),
                "slowdown_factor": round(slowdown, 2),
                "correct_password_then_accepted": still_opens}
    return failed(f"{ATTEMPTS} failed logins met no throttling, delay or lock",
                  ctx.finding(endpoint.label, evidence, confidence=Confidence.FIRM))


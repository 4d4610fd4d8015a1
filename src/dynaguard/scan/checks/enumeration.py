"""Account enumeration (CWE-204, CWE-208): do login, registration or password recovery
answer differently, or take measurably longer, for an identifier that has an account?"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import NoReturn

import httpx

from dynaguard.scan.accounts import Account, strong_password
from dynaguard.scan.checks.registry import Outcome, check, failed, passed
from dynaguard.scan.context import CheckContext
from dynaguard.scan.errors import Skip
from dynaguard.scan.findings import Confidence, Severity
from dynaguard.scan.form_submit import send as send_form
from dynaguard.scan.form_submit import timed_send
from dynaguard.scan.prerequisites import Prerequisite
from dynaguard.scan.profile import Endpoint
from dynaguard.scan.ratelimit import remaining_budget
from dynaguard.scan.timing import LOOKS, WARMUP_PAIRS, PairDiscarded, SamplingEnds, measure

__all__ = ["signature"]

REMEDIATION = (
    "Answer every failed attempt identically (status, body, headers) whether or not the "
    "account exists, and do the same work on every path: verify the password against a "
    "dummy hash for unknown accounts, and send mail off the request path.")
VOLATILE_HEADERS = frozenset({"date", "content-length", "server", "etag", "x-request-id",
                              "x-correlation-id", "traceparent", "set-cookie", "age", "expires",
                              "last-modified", "x-response-time", "retry-after"})
# Rate-limit budgets count down on every request: their figures are masked, but the
# fields, their policies and parameters are compared (a budget sent only for existing
# accounts, or a policy of its own for them, tells accounts apart).
COUNTING_HEADERS = frozenset({"ratelimit", "ratelimit-remaining", "ratelimit-reset",
                              "x-ratelimit-remaining", "x-ratelimit-reset", "x-ratelimit-used"})
_FIGURE = re.compile(r"\d+")
# Sampling stops after this long (at a multiple of 4 pairs): slow, Argon2-heavy logins
# must not hold a scan for minutes.
TIME_LIMIT_S = 8.0
# Against per-identifier throttling each pair of identifiers serves a few pairs only.
# The timing checks run last (order 95+, after brute force): their hundreds of failed
# logins may meet a per-address limit, which must not refuse the logins of other checks.
MAX_TIMING_ACCOUNTS = 40
# The fewest probes a comparison can be made from: its warm-up and its first look.
MIN_TIMING_PROBES = 2 * (WARMUP_PAIRS + LOOKS[0])
HIGH_EFFECT = 3.0
MEDIUM_EFFECT = 1.0
# A page's hidden form fields and CSRF meta tags: a fresh token in every answer.
_TOKEN_TAG = re.compile(r"<(?:input|meta)\b[^>]*>", re.I)
_TOKEN_VALUE = re.compile(r"""\b(value|content)\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)""", re.I)


def _masked_tag(match: re.Match[str]) -> str:
    tag = match.group(0)
    if "hidden" in tag.lower() or "csrf" in tag.lower():
        return _TOKEN_VALUE.sub(r"\1=#", tag)
    return tag


_VOLATILE = (re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I),
             re.compile(r"\b[0-9a-f]{16,}\b", re.I), re.compile(r"\d+(\.\d+)?"))


def signature(response: httpx.Response, identifier: str) -> tuple[object, ...]:
    """What a client can observe of an answer, minus values that change on every request."""
    body = _TOKEN_TAG.sub(_masked_tag, response.text.replace(identifier, "{identifier}"))
    for pattern in _VOLATILE:
        body = pattern.sub("#", body)
    headers = tuple(sorted((k, _FIGURE.sub("#", v) if k in COUNTING_HEADERS else v)
                           for k, v in response.headers.items() if k not in VOLATILE_HEADERS))
    cookies = tuple(sorted(c.name for c in response.cookies.jar))
    return response.status_code, body, headers, cookies


def _describe(response: httpx.Response) -> dict[str, object]:
    return {"status": response.status_code, "body": response.text[:200],
            "content_type": response.headers.get("content-type", "")}


async def _compare(ctx: CheckContext, endpoint: Endpoint, known: Account, unknown: str,
                   send: Callable[[str], Awaitable[httpx.Response]]) -> Outcome:
    answers: dict[str, list[httpx.Response]] = {"known": [], "unknown": []}
    for _ in range(2):
        answers["known"].append(await send(known.identifier))
        answers["unknown"].append(await send(unknown))
    if any(r.status_code == 429 for rs in answers.values() for r in rs):
        raise Skip(f"{endpoint.label} throttled the probe (429)", needs=Prerequisite.THROTTLED)
    sig = {kind: [signature(r, ident) for r in rs] for (kind, rs), ident
           in zip(answers.items(), (known.identifier, unknown), strict=True)}
    stable = sig["known"][0] == sig["known"][1] and sig["unknown"][0] == sig["unknown"][1]
    if not stable:
        # Answers vary between identical requests: only the status is a reliable tell.
        if {r.status_code for r in answers["known"]} & {r.status_code for r in answers["unknown"]}:
            return passed(f"{endpoint.label}: answers vary per request; statuses agree")
    elif sig["known"][0] == sig["unknown"][0]:
        return passed(f"{endpoint.label}: identical answers for known and unknown identifiers")
    evidence = {"existing_account": _describe(answers["known"][0]),
                "unknown_identifier": _describe(answers["unknown"][0])}
    return failed(f"{endpoint.label} tells existing accounts apart",
                  ctx.finding(endpoint.label, evidence, confidence=Confidence.FIRM))


@check("enumeration.login_response", title="Login reveals which accounts exist",
       cwe=(204,), severity=Severity.MEDIUM, remediation=REMEDIATION, order=10)
async def login_response(ctx: CheckContext) -> Outcome:
    endpoint = ctx.accounts.endpoint("login")
    known = await ctx.accounts.for_failures()
    wrong = strong_password()
    return await _compare(ctx, endpoint, known, ctx.accounts.new_identifier(),
                          lambda ident: ctx.accounts.login(Account(ident, wrong, False)))


@check("enumeration.register_response", title="Registration reveals which accounts exist",
       cwe=(204,), severity=Severity.MEDIUM, remediation=REMEDIATION, order=11)
async def register_response(ctx: CheckContext) -> Outcome:
    endpoint = ctx.accounts.endpoint("register")
    known = await ctx.accounts.get(0)
    existing = await ctx.accounts.register(known.identifier, strong_password())
    fresh = [await ctx.accounts.register(ctx.accounts.new_identifier(), strong_password())
             for _ in range(2)]
    if not fresh[0].is_success:
        raise Skip(f"{endpoint.label} refused a fresh registration ({fresh[0].status_code})",
                   needs=Prerequisite.REGISTRATION_REFUSED)
    sigs = [signature(r, "") for r in fresh]
    mine = signature(existing, "")
    # Unstable answers between two fresh identifiers: only the status is a reliable tell.
    same = (existing.status_code == fresh[0].status_code if sigs[0] != sigs[1]
            else mine == sigs[0])
    if same:
        return passed(f"{endpoint.label}: same answer for a taken and a new identifier")
    evidence = {"existing_account": _describe(existing), "new_identifier": _describe(fresh[0])}
    return failed(f"{endpoint.label} tells taken identifiers apart",
                  ctx.finding(endpoint.label, evidence))


@check("enumeration.forgot_response", title="Password recovery reveals which accounts exist",
       cwe=(204,), severity=Severity.MEDIUM, remediation=REMEDIATION, order=12)
async def forgot_response(ctx: CheckContext) -> Outcome:
    endpoint = ctx.accounts.endpoint("forgot")
    known = await ctx.accounts.get(0)

    async def send(ident: str) -> httpx.Response:
        return await send_form(ctx.http, endpoint, identifier=ident)

    return await _compare(ctx, endpoint, known, ctx.accounts.new_identifier(), send)


class _Identities:
    """The identifier pair a timing probe compares: a scanner-registered account and an
    identifier with none. Against per-identifier throttling both are replaced together
    (a new account is registered) before either meets the limit, so both sides always
    carry the same history of failures and the limit never answers instead of the login.
    """

    def __init__(self, ctx: CheckContext, endpoint: Endpoint) -> None:
        self.ctx = ctx
        self.endpoint = endpoint
        self.known = ""
        self.unknown = ""
        self.uses = 0
        self.per: int | None = None
        self.accounts = 0
        self.used: set[str] = set()
        self.reuse = True
        self.reused = False
        self.stale = False
        # Why no further pair may be sent (the target's advertised budget is spent).
        self.spent: str | None = None

    async def rotate(self) -> None:
        if self.accounts >= MAX_TIMING_ACCOUNTS:
            raise SamplingEnds(f"{self.endpoint.label} throttling per identifier (the "
                               f"{MAX_TIMING_ACCOUNTS} accounts registered for timing are "
                               "used up)")
        pool = self.ctx.accounts
        # An account another timing check registered has no failures at this endpoint.
        identifier = next((i for i in pool.timing_accounts if i not in self.used), None) \
            if self.reuse else None
        self.reused = identifier is not None
        if identifier is None:
            identifier = pool.new_identifier()
            response = await pool.register(identifier, strong_password())
            if not response.is_success:
                raise Skip(f"registration refused a timing account ({response.status_code})",
                           needs=Prerequisite.REGISTRATION_REFUSED)
            pool.timing_accounts.append(identifier)
        self.used.add(identifier)
        self.accounts += 1
        self.known, self.unknown, self.uses = identifier, pool.new_identifier(), 0
        self.stale = False

    async def before_pair(self) -> None:
        if self.spent:
            raise SamplingEnds(self.spent)
        if not self.known or self.stale or (self.per is not None and self.uses >= self.per):
            await self.rotate()
        self.uses += 1

    def throttled(self, known: bool) -> NoReturn:
        """A 429: learn how many tries an identifier gets, then sample with new ones."""
        if self.uses <= 1 and known and self.reused:
            # The other timing check's account is throttled here too: register afresh.
            self.reuse, self.stale = False, True
            raise PairDiscarded
        if self.uses <= 1:
            raise Skip(f"{self.endpoint.label} throttled the timing probe (429) for new "
                       "identifiers too (a per-address or global limit)",
                       needs=Prerequisite.THROTTLED)
        self.per = self.uses - 1 if self.per is None else min(self.per, self.uses - 1)
        self.stale = True
        raise PairDiscarded


async def _timing(ctx: CheckContext, endpoint: Endpoint,
                  send: Callable[[str], Awaitable[tuple[httpx.Response, float]]]) -> Outcome:
    pairs = ctx.pairs_affordable()
    if pairs < 30:
        raise Skip("the request budget left cannot pay for a timing comparison",
                   needs=Prerequisite.BUDGET)
    if not ctx.accounts.may_register:
        raise Skip("timing probes fail logins of scanner-owned accounts only; allow --register",
                   needs=Prerequisite.OWNED_ACCOUNT)
    ids = _Identities(ctx, endpoint)
    sent = 0

    def probe(known: bool) -> Callable[[], Awaitable[float]]:
        async def once() -> float:
            nonlocal sent
            response, elapsed = await send(ids.known if known else ids.unknown)
            sent += 1
            spent = _affordable(endpoint, response, MIN_TIMING_PROBES - sent)
            if response.status_code == 429:
                if ids.spent:
                    raise SamplingEnds(ids.spent)
                ids.throttled(known)
            ids.spent = ids.spent or spent
            return elapsed
        return once

    try:
        verdict = await measure(probe(True), probe(False), max_pairs=pairs, rng=ctx.rng,
                                time_limit_s=TIME_LIMIT_S, before_pair=ids.before_pair)
    except PairDiscarded:
        raise Skip(f"{endpoint.label} kept throttling the timing probe (429)",
                   needs=Prerequisite.THROTTLED) from None
    except SamplingEnds as end:
        raise Skip(f"too few timing pairs before {end}", needs=Prerequisite.BUDGET) from None
    evidence = {"a": "existing account", "b": "unknown identifier", **verdict.evidence()}
    if ids.per is not None:
        evidence["identifiers_rotated_every"] = ids.per
    if not verdict.leak:
        cut = f"; stopped by {verdict.stopped_by}, small leaks may hide" \
            if verdict.stopped_by else ""
        return passed(f"{endpoint.label}: no significant timing difference over {verdict.pairs} "
                      f"pairs (median {evidence['median_diff_ms']} ms, "
                      f"p={evidence['p_value']}{cut})")
    direction = "longer" if verdict.median_diff_s > 0 else "shorter"
    title = f"{endpoint.label} takes measurably {direction} for existing accounts"
    return failed(f"{endpoint.label}: timing tells existing accounts apart",
                  ctx.finding(endpoint.label, evidence, title=title, cwe=(208, 204),
                              severity=_severity(verdict.effect_size)))


def _affordable(endpoint: Endpoint, response: httpx.Response, more: int) -> str | None:
    """Skip at once when the target's advertised rate limit cannot pay for ``more`` probes;
    when it is spent, why sampling ends after this pair (None: it goes on). A target that
    advertises none is found out by its 429s."""
    budget = remaining_budget(response.headers)
    if budget is None:
        return None
    if budget.remaining < more:
        raise Skip(f"{endpoint.label} accepts {budget.describe()}; a timing comparison "
                   f"needs at least {MIN_TIMING_PROBES} requests, {more} more",
                   needs=Prerequisite.THROTTLED)
    if budget.remaining == 0:
        return f"{endpoint.label}'s advertised rate limit ({budget.describe()})"
    return None


def _severity(effect_size: float) -> Severity:
    """How easily the leak enumerates accounts: a large effect shows in a few requests, a
    small one needs hundreds per identifier (standardised median difference)."""
    size = abs(effect_size)
    if size >= HIGH_EFFECT:
        return Severity.HIGH
    return Severity.MEDIUM if size >= MEDIUM_EFFECT else Severity.LOW


@check("enumeration.login_timing", title="Login timing reveals which accounts exist",
       cwe=(208, 204), severity=Severity.MEDIUM, remediation=REMEDIATION, order=95, alone=True)
async def login_timing(ctx: CheckContext) -> Outcome:
    endpoint = ctx.accounts.endpoint("login")
    wrong = strong_password()
    return await _timing(ctx, endpoint, lambda ident: timed_send(
        ctx.http, endpoint, identifier=ident, password=wrong))


@check("enumeration.forgot_timing", title="Password-recovery timing reveals which accounts exist",
       cwe=(208, 204), severity=Severity.MEDIUM, remediation=REMEDIATION, order=96, alone=True)
async def forgot_timing(ctx: CheckContext) -> Outcome:
    endpoint = ctx.accounts.endpoint("forgot")
    return await _timing(ctx, endpoint, lambda ident: timed_send(
        ctx.http, endpoint, identifier=ident))

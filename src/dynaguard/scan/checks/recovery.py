"""Weak password recovery (CWE-640): reset tokens handed back in the forgot answer, tokens
that can be guessed, used twice or that live for days, and sessions a reset leaves alive
(CWE-613). Enumeration at forgot (by message and by timing) is in :mod:`.enumeration`.

Every reset is asked for, and spent on, a scanner-owned account: a real user's account is
never sent a reset mail by these checks. Tokens come from the target's mailbox
(``--mailbox``) or, where the target hands them out, from the forgot answer itself.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass
from typing import Any

import httpx

from dynaguard.scan.accounts import Account, strong_password
from dynaguard.scan.checks.registry import Outcome, check, failed, passed
from dynaguard.scan.checks.session_expiry import live_session
from dynaguard.scan.context import CheckContext
from dynaguard.scan.errors import Skip
from dynaguard.scan.findings import Confidence, Severity
from dynaguard.scan.form_submit import send
from dynaguard.scan.mailbox import extract_token
from dynaguard.scan.prerequisites import Prerequisite
from dynaguard.scan.session import build_body, json_or_none
from dynaguard.scan.token_strength import MIN_BITS, assess_tokens

__all__ = ["stated_lifetime"]

SAMPLES = 4
MAX_LIFETIME_S = 3600
"""Longest reset-token life not reported: OWASP's Forgot Password Cheat Sheet asks for a
short one; dynaguard's default is 20 minutes."""
VERY_LONG_LIFETIME_S = 86_400
WAIT_LIMIT_S = 8.0
"""A stated lifetime this short is waited out and the token tried after it; a longer one
is judged by what the target states (a scan never waits minutes)."""

_TOKEN_KEY = re.compile(r"token|code|otp|secret|nonce|reset", re.IGNORECASE)
_TOKEN_VALUE = re.compile(r"^[A-Za-z0-9._~+/=-]{6,}$")
_UNITS = {"second": 1, "sec": 1, "minute": 60, "min": 60, "hour": 3600, "hr": 3600,
          "day": 86_400, "week": 604_800}
_LIFETIME = re.compile(
    r"(?:expire[sd]?|valid|good|works|active|lasts?)\b[^.\n\d]{0,30}?"
    r"(\d+(?:\.\d+)?)\s*(second|sec|minute|min|hour|hr|day|week)s?\b", re.IGNORECASE)
_NEVER = re.compile(r"(?:does|will)\s+not\s+expire|never\s+expires?|no\s+expiry",
                    re.IGNORECASE)
_LIFETIME_KEYS = ("expires_in", "expiresIn", "ttl", "lifetime", "valid_for")


def stated_lifetime(text: str) -> float | None:
    """The token lifetime a mail or answer states, in seconds; ``inf`` for "never expires",
    None when it states none."""
    if _NEVER.search(text):
        return float("inf")
    match = _LIFETIME.search(text)
    if match is None:
        return None
    return float(match.group(1)) * _UNITS[match.group(2).lower()]


def _strings(data: Any, path: str = "") -> list[tuple[str, str]]:
    if isinstance(data, dict):
        return [item for key, value in data.items()
                for item in _strings(value, f"{path}.{key}" if path else str(key))]
    if isinstance(data, list):
        return [item for i, value in enumerate(data) for item in _strings(value, f"{path}[{i}]")]
    return [(path, data)] if isinstance(data, str) else []



def tokens_in_answer(response: httpx.Response) -> list[tuple[str, str]]:
    """(field, value) pairs of the answer that look like a secret token: a token-like
    field name and a value with a digit or of 20 characters and more."""
    return [(key, value) for key, value in _strings(json_or_none(response))
            if _TOKEN_KEY.search(key.rsplit(".", 1)[-1]) and _TOKEN_VALUE.match(value)
            and (any(c.isdigit() for c in value) or len(value) >= 20)]


@dataclass(frozen=True)
class Issued:
    """One reset request: the answer, the mail (if a mailbox is read) and the token."""

    response: httpx.Response
    mail: str | None
    token: str | None
    requested_at: float


_RESET_WORDS = re.compile(r"reset|password|recover", re.IGNORECASE)


def _is_reset_mail(text: str) -> bool:
    """A mail with a token that speaks of a reset: not a verification mail still in
    flight for an account that could log in without it."""
    return extract_token(text)[0] is not None and _RESET_WORDS.search(text) is not None


async def request_reset(ctx: CheckContext, account: Account, *,
                        need_token: bool = True) -> Issued:
    """Ask for a reset of ``account`` and collect its token from the mail or the answer."""
    forgot = ctx.accounts.endpoint("forgot")
    since = time.time()
    response = await send(ctx.http, forgot, identifier=account.identifier)
    if response.status_code == 429:
        raise Skip(f"{forgot.label} throttled the reset request (429)",
                   needs=Prerequisite.THROTTLED)
    if not response.is_success:
        raise Skip(f"{forgot.label} refused a reset for a scanner account "
                   f"({response.status_code})", needs=Prerequisite.TARGET_REFUSED)
    mailbox = ctx.accounts.mailbox
    mail = token = None
    if mailbox is not None:
        mail = await mailbox.wait_for(account.identifier, since, accept=_is_reset_mail)
        token = extract_token(mail)[0] if mail else None
    if token is None:
        found = tokens_in_answer(response)
        token = found[0][1] if found else None
    if token is None and need_token:
        where = (f"no reset mail with a token arrived in {mailbox.where}" if mailbox
                 else "needs the target's mailbox (--mailbox DIR or smtp://127.0.0.1:PORT)")
        raise Skip(f"no reset token to work with: {where}", needs=Prerequisite.MAILBOX)
    return Issued(response, mail, token, since)


async def reset_password(ctx: CheckContext, token: str, new_password: str) -> httpx.Response:
    reset = ctx.accounts.endpoint("reset")
    return await ctx.http.request(reset.method, reset.path,
                                  **build_body(reset, token=token, new_password=new_password))


FIRST_USE_RETRY_DELAYS = (0.3, 1.0)  # seconds


async def _first_reset(ctx: CheckContext, account: Account, issued: Issued) -> httpx.Response:
    """Spend a fresh token as the owner would; Skip when the target refuses it.

    A token handed out in the forgot answer may be stored only after that answer went out,
    so a refusal is retried twice, a little later each time, before the check gives up."""
    assert issued.token is not None  # noqa: S101 -- request_reset(need_token=True) made sure
    password = strong_password()
    response = await reset_password(ctx, issued.token, password)
    for delay in FIRST_USE_RETRY_DELAYS:
        if response.is_success or response.status_code == 429:
            break
        await asyncio.sleep(delay)
        response = await reset_password(ctx, issued.token, password)
    if not response.is_success:
        raise Skip(f"{ctx.accounts.endpoint('reset').label} refused a fresh token "
                   f"({response.status_code})", needs=Prerequisite.TARGET_REFUSED)
    account.password = password
    ctx.accounts.forget_shared_session(account)
    return response


@check("recovery.token_in_response", title="Password reset token returned in the answer",
       cwe=(640,), severity=Severity.CRITICAL, order=13, remediation=(
           "Send the reset token only to the account's mailbox; the forgot answer must be "
           "the same bare acknowledgement for every address and carry no token or link."))
async def token_in_response(ctx: CheckContext) -> Outcome:
    forgot = ctx.accounts.endpoint("forgot")
    # An account of its own: the mailed token must be this request's, not one another
    # check (forgot_response) asked for at the same time.
    account = await ctx.accounts.disposable()
    issued = await request_reset(ctx, account, need_token=False)
    found = tokens_in_answer(issued.response)
    mailed = extract_token(issued.mail)[0] if issued.mail else None
    if mailed and mailed in issued.response.text:
        field = next((key for key, value in found if value == mailed), "body")
        return failed(f"{forgot.label} hands out the mailed reset token", ctx.finding(
            forgot.label, {"field": field, "matches_mailed_token": True},
            confidence=Confidence.CERTAIN))
    if found and not mailed:
        return failed(f"{forgot.label} answers with a token-like value", ctx.finding(
            forgot.label, {"fields": [key for key, _ in found], "matches_mailed_token":
                           "unknown: no mailbox"}, confidence=Confidence.FIRM))
    return passed(f"{forgot.label} answers without a reset token")


@check("recovery.token_strength", title="Password reset tokens can be guessed",
       cwe=(640, 330), severity=Severity.HIGH, order=14, remediation=(
           "Make reset tokens at least 128 (better 256) bits from a CSPRNG (Python's "
           "`secrets.token_urlsafe(32)`), never derived from the account, the time or a "
           "counter; store only their hash."))
async def token_strength(ctx: CheckContext) -> Outcome:
    forgot = ctx.accounts.endpoint("forgot")
    account = await ctx.accounts.disposable()
    started = time.time()
    tokens = []
    for _ in range(SAMPLES):
        issued = await request_reset(ctx, account)
        assert issued.token is not None  # noqa: S101 -- need_token=True
        tokens.append(issued.token)
    strength = assess_tokens(tokens, account.identifier, (started, time.time()))
    if not strength.weaknesses:
        return passed(f"{len(tokens)} reset tokens: {strength.length} characters of "
                      f"{strength.alphabet}, about {strength.estimated_bits:.0f} bits")
    severity = Severity.CRITICAL if strength.predictable else Severity.HIGH
    detail = "; ".join(strength.weaknesses)
    title = ("Password reset tokens are predictable" if strength.predictable
             else f"Password reset tokens carry under {MIN_BITS} bits")
    return failed(f"{forgot.label}: {detail}", ctx.finding(
        forgot.label, strength.evidence(), title=title, severity=severity,
        confidence=Confidence.CERTAIN if strength.predictable else Confidence.FIRM))


@check("recovery.token_reuse", title="Password reset token works more than once",
       cwe=(640,), severity=Severity.HIGH, order=15, remediation=(
           "Spend a reset token atomically with the password change (a conditional delete "
           "or update in the same transaction) so that it works exactly once."))
async def token_reuse(ctx: CheckContext) -> Outcome:
    reset = ctx.accounts.endpoint("reset")
    account = await ctx.accounts.disposable()
    issued = await request_reset(ctx, account)
    first = await _first_reset(ctx, account, issued)
    assert issued.token is not None  # noqa: S101 -- _first_reset used it
    password = strong_password()
    again = await reset_password(ctx, issued.token, password)
    if again.is_success:
        account.password = password
        ctx.accounts.forget_shared_session(account)
        return failed("a spent reset token set the password a second time", ctx.finding(
            reset.label, {"first_use": first.status_code, "second_use": again.status_code},
            confidence=Confidence.CERTAIN))
    return passed(f"{reset.label} refused the spent token ({again.status_code})")


def _lifetime(issued: Issued) -> tuple[float | None, str]:
    body = json_or_none(issued.response)
    if isinstance(body, dict):
        for key in _LIFETIME_KEYS:
            value = body.get(key)
            if isinstance(value, int | float) and not isinstance(value, bool):
                return float(value), f"the forgot answer's {key}"
    if issued.mail:
        stated = stated_lifetime(issued.mail)
        if stated is not None:
            return stated, "the reset mail"
    return None, ""


@check("recovery.token_expiry", title="Password reset tokens live too long",
       cwe=(640, 613), severity=Severity.MEDIUM, order=16, remediation=(
           "Let reset tokens expire within an hour (15-20 minutes is usual), enforce the "
           "expiry on the server at use, and say in the mail how long the link works."))
async def token_expiry(ctx: CheckContext) -> Outcome:
    forgot = ctx.accounts.endpoint("forgot")
    # The token is spent only if the stated lifetime is waited out: on an account of its
    # own, since a reset may end the sessions of the account other checks hold.
    account = await ctx.accounts.disposable()
    issued = await request_reset(ctx, account, need_token=False)
    lifetime, source = _lifetime(issued)
    if lifetime is None:
        raise Skip("neither the reset mail nor the answer states how long the token works, "
                   "and a scan does not wait minutes to find out",
                   needs=Prerequisite.UNSPECIFIED)
    if lifetime <= WAIT_LIMIT_S and issued.token is not None:
        await asyncio.sleep(max(0.0, issued.requested_at + lifetime + 1 - time.time()))
        password = strong_password()
        late = await reset_password(ctx, issued.token, password)
        if late.is_success:
            account.password = password
            ctx.accounts.forget_shared_session(account)
            return failed("a reset token worked after its stated lifetime", ctx.finding(
                ctx.accounts.endpoint("reset").label, {"stated_lifetime_s": lifetime,
                                                       "stated_in": source,
                                                       "status_after_lifetime": late.status_code},
                title="Password reset token still valid after it expired",
                severity=Severity.HIGH, confidence=Confidence.CERTAIN))
        return passed(f"the token was refused after its stated {lifetime:.0f} s")
    if lifetime <= MAX_LIFETIME_S:
        return passed(f"{source} states a lifetime of {lifetime:.0f} s")
    never = lifetime == float("inf")
    evidence = {"stated_lifetime_s": "never expires" if never else lifetime,
                "stated_in": source, "limit_s": MAX_LIFETIME_S}
    severity = Severity.MEDIUM if never or lifetime > VERY_LONG_LIFETIME_S else Severity.LOW
    told = "never expire" if never else f"work for {lifetime / 3600:.0f} h"
    return failed(f"{source} says reset tokens {told}", ctx.finding(
        forgot.label, evidence, severity=severity, confidence=Confidence.FIRM))


@check("recovery.sessions_survive_reset", title="Sessions survive a password reset",
       cwe=(613, 640), severity=Severity.HIGH, order=17, remediation=(
           "End every session and refresh token of the account when its password is reset "
           "(bump a credentials version checked on every request): a reset is how an owner "
           "throws out someone who stole the password or a session."))
async def sessions_survive_reset(ctx: CheckContext) -> Outcome:
    reset = ctx.accounts.endpoint("reset")
    account = await ctx.accounts.disposable()
    before = await ctx.accounts.session(account)
    judge = await live_session(ctx, before)
    issued = await request_reset(ctx, account)
    done = await _first_reset(ctx, account, issued)
    findings = []
    if await ctx.accounts.is_authenticated(before):
        findings.append(ctx.finding(
            reset.label, {"reset_status": done.status_code, "credential": before.send_as,
                          "identity_endpoint_after_reset": "accepted", "judged_by": judge},
            confidence=Confidence.CERTAIN))
    refresh = ctx.profile.endpoint("refresh")
    if refresh is not None and before.refresh_token:
        renewed = await ctx.http.request(refresh.method, refresh.path,
                                         **build_body(refresh, token=before.refresh_token))
        if renewed.is_success:
            findings.append(ctx.finding(
                refresh.label, {"reset_status": done.status_code,
                                "refresh_status_after_reset": renewed.status_code},
                title="Refresh token from before a password reset still works",
                confidence=Confidence.CERTAIN))
    if findings:
        return failed("a session from before the reset still works", *findings)
    return passed(f"{reset.label} ended the sessions opened before it")

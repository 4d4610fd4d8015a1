"""Broken function level authorization (BFLA, CWE-285, API5:2023): administrative
operations that an ordinary account may call.

A listing that shows an ordinary account only its own record, while another account
exists, is scoped to the caller (as djoser's user listing is), not administrative access.

Safety: reads (``GET`` without path parameters) are sent as they are. An operation that
changes something is only ever aimed at one account, by id, and that account is a
disposable one the scanner registered for the purpose; operations on anything else are
never sent. Both lists are bounded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

import httpx

from dynaguard.scan.accounts import Account
from dynaguard.scan.checks.missing_auth import example_body
from dynaguard.scan.checks.registry import Outcome, check, failed, passed
from dynaguard.scan.context import CheckContext
from dynaguard.scan.errors import Skip
from dynaguard.scan.findings import Confidence, Finding, Severity
from dynaguard.scan.jwtkit import parse_jwt
from dynaguard.scan.prerequisites import Prerequisite
from dynaguard.scan.privileged import AdminOperation, admin_operations, is_admin_scope, user_target
from dynaguard.scan.session import Credential, json_or_none

__all__ = ["account_id", "granted_scopes"]

MAX_READS = 8
MAX_WRITES = 4
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
ID_FIELDS = ("id", "user_id", "userId", "uuid", "sub", "_id")
LIST_FIELDS = ("results", "items", "data", "users", "accounts", "members", "records")


def granted_scopes(credential: Credential) -> set[str]:
    """The scopes (or roles) a JWT credential claims; empty for opaque ones."""
    token = parse_jwt(credential.token or "")
    if token is None:
        return set()
    found: set[str] = set()
    for name in ("scope", "scopes", "scp", "roles", "role", "groups"):
        value = token.claims.get(name)
        if isinstance(value, str):
            found.update(value.split())
        elif isinstance(value, list):
            found.update(str(v) for v in value)
    return found


async def account_id(ctx: CheckContext, credential: Credential) -> str | None:
    """The target's id of the credential's account: from the identity endpoint, else the
    token's ``sub``."""
    me = ctx.profile.endpoint("me")
    if me is not None:
        response = await ctx.http.request(me.method, me.path, headers=credential.headers())
        body = json_or_none(response) if response.is_success else None
        if isinstance(body, dict):
            for name in ID_FIELDS:
                value = body.get(name)
                if isinstance(value, str | int) and not isinstance(value, bool) and str(value):
                    return str(value)
    token = parse_jwt(credential.token or "")
    sub = token.claims.get("sub") if token is not None else None
    return str(sub) if isinstance(sub, str | int) and str(sub) else None


async def _ordinary(ctx: CheckContext) -> tuple[Account, Credential, Confidence]:
    """A scanner-registered account, else the first given one if its token claims no admin
    scope (then the verdict is only tentative: it may hold rights the token does not say)."""
    try:
        account = await ctx.accounts.owned()
        return account, await ctx.accounts.session(account), Confidence.CERTAIN
    except Skip:
        if not ctx.accounts.given:
            raise
    account = ctx.accounts.given[0]
    credential = await ctx.accounts.session(account)
    if any(is_admin_scope(s) for s in granted_scopes(credential)):
        raise Skip("the only account available claims an admin scope; allow --register so "
                   "an ordinary account can be made", needs=Prerequisite.OWNED_ACCOUNT) from None
    return account, credential, Confidence.TENTATIVE



def _judged(candidate: AdminOperation, confidence: Confidence) -> Confidence:
    """Only tentative when the operation was taken for an administrative one by guess: a
    user directory may be open to every signed-in account by design."""
    return confidence if candidate.named_admin else Confidence.TENTATIVE


def _listed(body: object) -> list[object] | None:
    """The records of a listing: a JSON array, or the array of a paginated envelope."""
    if isinstance(body, list):
        return body
    if isinstance(body, dict):
        for name in LIST_FIELDS:
            value = body.get(name)
            if isinstance(value, list):
                return value
    return None


def _record_id(record: dict[str, object]) -> str | None:
    for name in ID_FIELDS:
        value = record.get(name)
        if isinstance(value, str | int) and not isinstance(value, bool) and str(value):
            return str(value)
    return None


@dataclass(frozen=True)
class _Caller:
    """The ordinary account's own record: its id and what the identity endpoint answers."""

    id: str | None
    me: dict[str, object] | None

    def owns(self, record: object) -> bool:
        if not isinstance(record, dict):
            return False
        if self.me is not None and record == self.me:
            return True
        return self.id is not None and _record_id(record) == self.id


async def _caller(ctx: CheckContext, credential: Credential) -> _Caller:
    me = ctx.profile.endpoint("me")
    body = None
    if me is not None:
        response = await ctx.http.request(me.method, me.path, headers=credential.headers())
        body = json_or_none(response) if response.is_success else None
    return _Caller(await account_id(ctx, credential), body if isinstance(body, dict) else None)


def _only_own(answer: httpx.Response, caller: _Caller) -> bool:
    """The listing answered records, every one of them the caller's own."""
    records = _listed(json_or_none(answer))
    return records is not None and bool(records) and all(caller.owns(r) for r in records)


class _Victim:
    """The one disposable account the check registers, made when first needed."""

    def __init__(self, ctx: CheckContext) -> None:
        self._ctx = ctx
        self._account: Account | None = None
        self._tried = False

    async def get(self) -> Account | None:
        if not self._tried:
            self._tried = True
            try:
                self._account = await self._ctx.accounts.disposable()
            except Skip:
                self._account = None
        return self._account


async def _reads(ctx: CheckContext, reads: list[AdminOperation], credential: Credential,
                 confidence: Confidence, victim: _Victim) -> tuple[int, int, list[Finding]]:
    """Each read with the ordinary account; a listing that shows it only its own record
    (read again once another account surely exists) is a scoped listing, not a finding."""
    tried, own_only, findings = 0, 0, []
    caller: _Caller | None = None
    for candidate in reads:
        op = candidate.op
        anonymous = await ctx.http.request("GET", op.path)
        if anonymous.is_success:
            continue  # open to anyone: missing authentication, not a question of roles
        answer = await ctx.http.request("GET", op.path, headers=credential.headers())
        tried += 1
        if not answer.is_success:
            continue
        caller = caller or await _caller(ctx, credential)
        if _only_own(answer, caller):
            await victim.get()
            answer = await ctx.http.request("GET", op.path, headers=credential.headers())
            if not answer.is_success or _only_own(answer, caller):
                own_only += 1
                continue
        findings.append(ctx.finding(op.label, {
                "why_admin": list(candidate.reasons), "caller": "ordinary account",
                "status": answer.status_code, "anonymous_status": anonymous.status_code,
                "body_bytes": len(answer.content)}, confidence=_judged(candidate, confidence)))
    return tried, own_only, findings


async def _writes(ctx: CheckContext, writes: list[AdminOperation], credential: Credential,
                  confidence: Confidence, victim: _Victim) -> tuple[int, list[Finding]]:
    """Every write aimed at one disposable scanner account (deletions last)."""
    if not writes:
        return 0, []
    account = await victim.get()
    if account is None:
        return 0, []
    target = await account_id(ctx, await ctx.accounts.session(account))
    if target is None:
        return 0, []
    tried, findings = 0, []
    for candidate in sorted(writes, key=lambda c: c.op.method == "DELETE"):
        op = candidate.op
        path = re.sub(r"\{[^}/]+\}", lambda _: quote(target, safe=""), op.path)
        answer = await ctx.http.request(op.method, path, headers=credential.headers(),
                                        **example_body(op))
        tried += 1
        if answer.is_success:
            findings.append(ctx.finding(op.label, {
                "why_admin": list(candidate.reasons), "caller": "ordinary account",
                "aimed_at": "another account the scanner registered for this",
                "status": answer.status_code}, confidence=_judged(candidate, confidence)))
    return tried, findings


@check("access.bfla", title="Administrative operation open to an ordinary account",
       cwe=(285,), severity=Severity.HIGH, order=47, remediation=(
           "Check the caller's role or scope in every administrative operation, on the "
           "router or middleware that serves them all rather than route by route, deny by "
           "default, and test that an ordinary account gets 403 from each one."))
async def bfla(ctx: CheckContext) -> Outcome:
    if ctx.surface.spec is None:
        raise Skip("no OpenAPI document: administrative operations cannot be told apart",
                   needs=Prerequisite.SPEC)
    candidates = admin_operations(ctx.surface.operations, ctx.surface.spec)
    reads = [c for c in candidates if c.op.method == "GET" and not c.op.has_path_params]
    writes = [c for c in candidates if c.op.method in WRITE_METHODS and user_target(c.op)]
    if not reads and not writes:
        # None at all in the spec: not applicable; only unsafe ones: untested.
        raise Skip("no administrative-looking operation the scanner may safely call",
                   needs=Prerequisite.UNSPECIFIED if candidates
                   else Prerequisite.NOT_APPLICABLE)
    _, credential, confidence = await _ordinary(ctx)
    victim = _Victim(ctx)
    read_count, own_only, findings = await _reads(ctx, reads[:MAX_READS], credential,
                                                  confidence, victim)
    write_count, more = await _writes(ctx, writes[:MAX_WRITES], credential, confidence,
                                      victim)
    findings += more
    tried = read_count + write_count
    if not tried:
        raise Skip("every administrative-looking read is open to anonymous callers and no "
                   "disposable account could be aimed at by a write",
                   needs=Prerequisite.OWNED_ACCOUNT)
    if findings:
        return failed(f"{len(findings)} of {tried} administrative operation(s) obeyed an "
                      "ordinary account", *findings)
    scoped = (f", {own_only} listing(s) showed it only its own record" if own_only else "")
    return passed(f"{tried - own_only} administrative operation(s) refused an ordinary "
                  f"account{scoped}")

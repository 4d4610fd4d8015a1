"""Session fixation (CWE-384): a login that keeps the session id the client arrived with,
whether the client made it up or it is another account's session (an attacker's own,
planted in the victim's browser).

A login that keeps the caller's session when it already belongs to the same account is
not fixation (Django does so): that probe was dropped for the other account's session."""

from __future__ import annotations

import secrets

import httpx

from dynaguard.scan.checks.registry import Outcome, check, failed, passed
from dynaguard.scan.context import CheckContext
from dynaguard.scan.errors import Skip
from dynaguard.scan.findings import Confidence, Finding, Severity
from dynaguard.scan.prerequisites import Prerequisite
from dynaguard.scan.session import Credential


def _cookies(response: httpx.Response) -> dict[str, str]:
    return {c.name: c.value or "" for c in response.cookies.jar}


async def _other_account_cookies(ctx: CheckContext) -> dict[str, str]:
    """The cookies a login of the second account sets ({} without a second account)."""
    try:
        other = await ctx.accounts.get(1)
    except Skip:
        return {}
    response = await ctx.accounts.login(other)
    return _cookies(response) if response.is_success else {}


@check("session.fixation", title="Login adopts the client's session id", cwe=(384,),
       severity=Severity.HIGH, order=55, remediation=(
           "Issue a new, server-generated session id at every login (and every privilege "
           "change), ignoring any id the request carries; end the old session."))
async def fixation(ctx: CheckContext) -> Outcome:
    login = ctx.accounts.endpoint("login")
    account = await ctx.accounts.get(0)
    first = await ctx.accounts.login(account)
    if not first.is_success:
        raise Skip(f"login of a test account failed ({first.status_code})",
                   needs=Prerequisite.TARGET_REFUSED)
    issued = _cookies(first)
    if not issued:
        raise Skip("login sets no cookie: no cookie session to fix",
                   needs=Prerequisite.NOT_APPLICABLE)
    judge = await ctx.accounts.oracle()
    chosen = {name: "dgscan" + secrets.token_hex(16) for name in issued}
    probes = {"client-chosen id": chosen}
    # Whose session a kept id now is takes an answer that names the account.
    me = ctx.accounts.profile.endpoint("me")
    others = await _other_account_cookies(ctx) if me is not None else {}
    if others:
        probes["another account's session id"] = others
    findings: list[Finding] = []
    for name, planted in probes.items():
        cookie = "; ".join(f"{k}={v}" for k, v in planted.items())
        response = await ctx.accounts.login(account, headers={"Cookie": cookie})
        # Kept: set again to the planted value, or not replaced at all (the session the
        # client brought was signed in where it stood).
        answered = _cookies(response)
        kept = sorted(k for k, v in planted.items() if answered.get(k, v) == v)
        if not response.is_success or not kept:
            continue
        credential = Credential("cookie", ",".join(kept),
                                "; ".join(f"{k}={planted[k]}" for k in kept),
                                owner=account.identifier)
        if name == "client-chosen id":
            if await ctx.accounts.is_authenticated(credential):
                findings.append(ctx.finding(login.label, {
                    "planted": name, "cookies_kept": kept, "planted_id_authenticates": True,
                    "judged_by": judge.label}, confidence=Confidence.CERTAIN))
            continue
        # The other account's session still standing as its own is no fixation: the
        # planted id must now be this account's.
        if me is None:  # others are probed only with an identity answer
            continue
        answer = await ctx.http.request(me.method, me.path, headers=credential.headers())
        if answer.is_success and account.identifier in answer.text:
            findings.append(ctx.finding(login.label, {
                "planted": name, "cookies_kept": kept, "planted_id_authenticates": True,
                "planted_id_now_signs_in_as": "the account that logged in",
                "judged_by": me.label}, confidence=Confidence.CERTAIN))
    if findings:
        return failed("login kept a session id the client sent", *findings)
    return passed(f"login issued new ids for {', '.join(sorted(issued))}")

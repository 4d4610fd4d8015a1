"""Session fixation (CWE-384): a login that keeps the session id the client arrived with,
whether the client made it up or it came from an earlier session."""

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


@check("session.fixation", title="Login adopts the client's session id", cwe=(384,),
       severity=Severity.HIGH, order=55, remediation=(
           "Issue a new, server-generated session id at every login (and every privilege "
           "change), ignoring any id the request carries; end the old session."))
async def fixation(ctx: CheckContext) -> Outcome:
    login = ctx.accounts.endpoint("login")
    ctx.accounts.endpoint("me")
    account = await ctx.accounts.get(0)
    first = await ctx.accounts.login(account)
    if not first.is_success:
        raise Skip(f"login of a test account failed ({first.status_code})",
                   needs=Prerequisite.TARGET_REFUSED)
    issued = _cookies(first)
    if not issued:
        raise Skip("login sets no cookie: no cookie session to fix",
                   needs=Prerequisite.NOT_APPLICABLE)
    chosen = {name: "dgscan" + secrets.token_hex(16) for name in issued}
    probes = {"client-chosen id": chosen, "id of an earlier session": issued}
    findings: list[Finding] = []
    for name, planted in probes.items():
        cookie = "; ".join(f"{k}={v}" for k, v in planted.items())
        response = await ctx.accounts.login(account, headers={"Cookie": cookie})
        kept = sorted(k for k, v in _cookies(response).items() if planted.get(k) == v)
        if not response.is_success or not kept:
            continue
        credential = Credential("cookie", ",".join(kept),
                                "; ".join(f"{k}={planted[k]}" for k in kept))
        if await ctx.accounts.is_authenticated(credential):
            findings.append(ctx.finding(login.label, {
                "planted": name, "cookies_kept": kept,
                "planted_id_authenticates": True}, confidence=Confidence.CERTAIN))
    if findings:
        return failed("login kept a session id the client sent", *findings)
    return passed(f"login issued new ids for {', '.join(sorted(issued))}")

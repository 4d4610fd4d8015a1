"""A wrong password accepted (CWE-287): one login with a made-up password for each known
account, the given ones first.

Given accounts matter here: a flaw that lets in only certain stored items (say, items
written before an attribute existed, read raw inside an ``except`` that fails open) shows
only on such an account, and the scanner cannot create one through the API. One failed
attempt per account counts towards its throttle; nothing more is sent.
"""

from __future__ import annotations

from dynaguard.scan.accounts import Account, strong_password
from dynaguard.scan.checks.registry import Outcome, check, failed, passed
from dynaguard.scan.context import CheckContext
from dynaguard.scan.errors import Skip
from dynaguard.scan.findings import Confidence, Finding, Severity
from dynaguard.scan.session import Credential, read_credential

MAX_ACCOUNTS = 4


async def _accounts(ctx: CheckContext) -> list[Account]:
    accounts = list(ctx.accounts.given[:MAX_ACCOUNTS])
    if not accounts:
        accounts.append(await ctx.accounts.for_failures())
    return accounts


async def _works(ctx: CheckContext, credential: Credential) -> bool:
    """Does the session a wrong password opened let its holder in (True when no
    operation can tell: the login's success is the finding either way)?"""
    try:
        await ctx.accounts.oracle()
    except Skip:
        return True
    return await ctx.accounts.is_authenticated(credential)


@check("auth.wrong_password_accepted", title="Login accepts a wrong password", cwe=(287,),
       severity=Severity.CRITICAL, order=44, remediation=(
           "Let only a positive password match open a session: read every stored attribute "
           "through a schema that treats a missing or mistyped one as a refusal, and never "
           "start from 'authenticated' in code that an exception can cut short."))
async def wrong_password_accepted(ctx: CheckContext) -> Outcome:
    login = ctx.accounts.endpoint("login")
    accounts = await _accounts(ctx)
    findings: list[Finding] = []
    for number, account in enumerate(accounts, start=1):
        response = await ctx.accounts.login(account, strong_password())
        if not response.is_success:
            continue
        credential = read_credential(response, ctx.profile.session)
        works = credential is not None and await _works(ctx, credential)
        findings.append(ctx.finding(login.label, {
            "account": f"{'given' if not account.owned else 'scanner'} account #{number}",
            "password": "made up, never set", "status": response.status_code,
            "session_works": works},
            confidence=Confidence.CERTAIN if works else Confidence.FIRM))
    if findings:
        return failed(f"{len(findings)} of {len(accounts)} account(s) opened with a wrong "
                      "password", *findings)
    return passed(f"{len(accounts)} account(s) refused a wrong password")

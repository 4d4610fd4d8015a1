"""Insufficient session expiration (CWE-613): sessions that survive logout or a password
change, and access tokens that live too long."""

from __future__ import annotations

import time

import httpx
import jwt

from dynaguard.scan.accounts import Account, strong_password
from dynaguard.scan.checks.registry import Outcome, check, failed, passed
from dynaguard.scan.context import CheckContext
from dynaguard.scan.errors import Skip
from dynaguard.scan.findings import Confidence, Finding, Severity
from dynaguard.scan.form_submit import FORM_STATUS, send
from dynaguard.scan.prerequisites import Prerequisite
from dynaguard.scan.session import Credential, build_body

LONG_LIVED_S = 3600
VERY_LONG_LIVED_S = 86_400


async def live_session(ctx: CheckContext, credential: Credential) -> str:
    """Skip unless the credential oracle tells this live session from no session; the
    oracle's operation, which judges the session from then on."""
    oracle = await ctx.accounts.oracle(credential)
    if await ctx.accounts.is_authenticated(None):
        raise Skip(f"{oracle.label} answers without credentials; cannot judge sessions",
                   needs=Prerequisite.PROTECTED_OPERATION)
    if not await ctx.accounts.is_authenticated(credential):
        raise Skip(f"{oracle.label} refuses a fresh session",
                   needs=Prerequisite.PROTECTED_OPERATION)
    return oracle.label


@check("session.logout_invalidation", title="Session still valid after logout",
       cwe=(613,), severity=Severity.MEDIUM, order=70, alone=True, remediation=(
           "Make logout end the session on the server: revoke the session record (checked on "
           "every request) and its refresh token, not just drop the cookie or forget the "
           "token on the client."))
async def logout_invalidation(ctx: CheckContext) -> Outcome:
    logout = ctx.accounts.endpoint("logout")
    credential = await ctx.accounts.session(await ctx.accounts.get(0))
    judge = await live_session(ctx, credential)
    response = await send(ctx.http, logout, headers=credential.headers(),
                          token=credential.refresh_token or "")
    if not (response.is_success or response.is_redirect):
        raise Skip(f"{logout.label} refused the logout ({response.status_code})",
                   needs=Prerequisite.TARGET_REFUSED)
    findings: list[Finding] = []
    if await ctx.accounts.is_authenticated(credential):
        findings.append(ctx.finding(logout.label, {
            "logout_status": response.status_code, "credential": credential.send_as,
            "identity_endpoint_after_logout": "accepted", "judged_by": judge}))
    refresh = ctx.profile.endpoint("refresh")
    if refresh is not None and credential.refresh_token:
        renewed = await ctx.http.request(
            refresh.method, refresh.path,
            **build_body(refresh, token=credential.refresh_token))
        if renewed.is_success:
            findings.append(ctx.finding(refresh.label, {
                "refresh_status_after_logout": renewed.status_code},
                title="Refresh token still works after logout", severity=Severity.HIGH))
    if findings:
        return failed("the session outlived its logout", *findings)
    return passed(f"{logout.label} ended the session at once")


async def _changed_on_the_page(ctx: CheckContext, response: httpx.Response,
                               account: Account, new_password: str) -> bool:
    """A password-change form that answers with its own page again (and a 2xx) may have
    taken the change or not: the new password signing in says which."""
    own_status = response.extensions.get(FORM_STATUS)
    if not isinstance(own_status, int) or own_status >= 400:
        return False
    return (await ctx.accounts.login(account, new_password)).is_success


@check("session.password_change_invalidation",
       title="Other sessions survive a password change", cwe=(613,), severity=Severity.MEDIUM,
       order=75, alone=True, remediation=(
           "End every other session of the account when its password changes (bump a "
           "credentials version checked on every request, revoke refresh tokens)."))
async def password_change_invalidation(ctx: CheckContext) -> Outcome:
    change = ctx.accounts.endpoint("change_password")
    account = await ctx.accounts.owned()
    first = await ctx.accounts.session(account)
    second = await ctx.accounts.session(account)
    judge = await live_session(ctx, second)
    new_password = strong_password()
    response = await send(ctx.http, change, headers=first.headers(),
                          password=account.password, new_password=new_password)
    if not response.is_success and not await _changed_on_the_page(ctx, response, account,
                                                                   new_password):
        raise Skip(f"{change.label} refused the change ({response.status_code})",
                   needs=Prerequisite.TARGET_REFUSED)
    account.password = new_password
    ctx.accounts.forget_shared_session(account)
    if await ctx.accounts.is_authenticated(second):
        return failed("another session stayed valid after the password changed",
                      ctx.finding(change.label, {"change_status": response.status_code,
                                                 "other_session_after_change": "accepted",
                                                 "judged_by": judge}))
    return passed(f"{change.label} ended the account's other sessions")


@check("session.access_token_lifetime", title="Access tokens live too long",
       cwe=(613,), severity=Severity.LOW, order=60, remediation=(
           "Issue short-lived access tokens (minutes, not hours or days) and renew them with "
           "rotating refresh tokens."))
async def access_token_lifetime(ctx: CheckContext) -> Outcome:
    login = ctx.accounts.endpoint("login")
    credential = await ctx.accounts.shared_session(await ctx.accounts.get(0))
    token = credential.token or ""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise Skip("the access credential is opaque; its lifetime cannot be read",
                   needs=Prerequisite.NOT_APPLICABLE) from None
    if "exp" not in claims:
        return failed("the access token has no expiry", ctx.finding(
            login.label, {"claims": sorted(claims)}, title="Access token never expires",
            severity=Severity.HIGH, confidence=Confidence.CERTAIN))
    issued = claims.get("iat", time.time())
    lifetime = int(float(claims["exp"]) - float(issued))
    if lifetime <= LONG_LIVED_S:
        return passed(f"access tokens live {lifetime} s")
    severity = Severity.MEDIUM if lifetime > VERY_LONG_LIVED_S else Severity.LOW
    return failed(f"access tokens live {lifetime} s", ctx.finding(
        login.label, {"lifetime_s": lifetime, "limit_s": LONG_LIVED_S},
        severity=severity, confidence=Confidence.CERTAIN))

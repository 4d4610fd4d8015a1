"""Refresh-token rotation and reuse detection (CWE-613, OAuth 2.0 Security BCP §4.14).

One session of the scanner's own account: refresh once, then replay the first refresh
token, then try the second. A safe server hands out a new refresh token each time, refuses
the replay, and ends the whole session (the token family) because of it.
"""

from __future__ import annotations

from typing import NoReturn

import httpx

from dynaguard.scan.checks.registry import Outcome, check, failed, passed
from dynaguard.scan.context import CheckContext
from dynaguard.scan.errors import Skip
from dynaguard.scan.findings import Confidence, Finding, Severity
from dynaguard.scan.prerequisites import Prerequisite
from dynaguard.scan.profile import Endpoint
from dynaguard.scan.session import build_body, read_credential


async def _refresh(ctx: CheckContext, endpoint: Endpoint, token: str) -> httpx.Response:
    return await ctx.http.request(endpoint.method, endpoint.path,
                                  **build_body(endpoint, token=token))


async def _no_refresh_tokens(ctx: CheckContext) -> NoReturn:
    """No refresh endpoint is known. Not applicable only when the target's OpenAPI document
    was read (it declares none) and a login answer carries no refresh token anywhere, in
    its body or a cookie; otherwise the endpoint may exist unfound."""
    if ctx.surface.spec_url is not None:
        response = await ctx.accounts.login(await ctx.accounts.get(0))
        cookies = " ".join(response.headers.get_list("set-cookie")).lower()
        if response.is_success and "refresh" not in response.text.lower() + cookies:
            raise Skip("no refresh operation in the OpenAPI document and no refresh token in "
                       "the login answer", needs=Prerequisite.NOT_APPLICABLE)
    raise Skip("no refresh endpoint found (give one in a profile)",
               needs=Prerequisite.REFRESH_ENDPOINT)


@check("refresh.rotation_and_reuse", title="Refresh token not rotated or replay not detected",
       cwe=(613,), severity=Severity.HIGH, order=72, alone=True, remediation=(
           "Rotate refresh tokens: hand out a new one on every refresh and mark the old one "
           "used with a conditional write; when a used token comes back, revoke the whole "
           "session (every token of its family), since someone else holds a copy."))
async def rotation_and_reuse(ctx: CheckContext) -> Outcome:
    if ctx.profile.endpoint("refresh") is None:
        await _no_refresh_tokens(ctx)
    endpoint = ctx.accounts.endpoint("refresh")
    credential = await ctx.accounts.session(await ctx.accounts.get(0))
    first = credential.refresh_token
    if not first:
        raise Skip("the login answer holds no refresh token",
                   needs=Prerequisite.SESSION_SHAPE)
    response = await _refresh(ctx, endpoint, first)
    if not response.is_success:
        raise Skip(f"{endpoint.label} refused a fresh refresh token ({response.status_code})",
                   needs=Prerequisite.TARGET_REFUSED)
    renewed = read_credential(response, ctx.profile.session)
    second = renewed.refresh_token if renewed is not None else None
    findings: list[Finding] = []
    if not second or second == first:
        replay = await _refresh(ctx, endpoint, first)
        if replay.is_success:
            findings.append(ctx.finding(endpoint.label, {
                "new_refresh_token_issued": bool(second),
                "same_token_accepted_again": True},
                title="Refresh token not rotated", confidence=Confidence.CERTAIN))
            return failed("the refresh token is handed back unchanged and works again",
                          *findings)
        return passed("no new refresh token, but the used one is refused (single use)")
    replay = await _refresh(ctx, endpoint, first)
    if replay.is_success:
        findings.append(ctx.finding(endpoint.label, {
            "rotated": True, "replayed_token_status": replay.status_code},
            title="Replayed refresh token accepted", confidence=Confidence.CERTAIN))
    successor = await _refresh(ctx, endpoint, second)
    if successor.is_success:
        findings.append(ctx.finding(endpoint.label, {
            "replayed_token_status": replay.status_code,
            "newest_token_after_replay_status": successor.status_code},
            title="Token family not revoked after a refresh token was reused",
            severity=Severity.MEDIUM, confidence=Confidence.FIRM))
    if findings:
        return failed("refresh-token reuse is not contained", *findings)
    return passed("rotated on use; the replay was refused and ended the session")

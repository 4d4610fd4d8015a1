"""Refresh-token rotation and reuse detection (CWE-613, OAuth 2.0 Security BCP §4.14).

One session of the scanner's own account: refresh once, then replay the first refresh
token, then try the second. A safe server hands out a new refresh token each time, refuses
the replay, and ends the whole session (the token family) because of it.
"""

from __future__ import annotations

import httpx

from dynaguard.scan.checks.registry import Outcome, check, failed, passed
from dynaguard.scan.context import CheckContext
from dynaguard.scan.errors import Skip
from dynaguard.scan.findings import Confidence, Finding, Severity
from dynaguard.scan.profile import Endpoint
from dynaguard.scan.session import build_body, read_credential


async def _refresh(ctx: CheckContext, endpoint: Endpoint, token: str) -> httpx.Response:
    return await ctx.http.request(endpoint.method, endpoint.path,
                                  **build_body(endpoint, token=token))


@check("refresh.rotation_and_reuse", title="Refresh token not rotated or replay not detected",
       cwe=(613,), severity=Severity.HIGH, order=72, alone=True, remediation=(
           "Rotate refresh tokens: hand out a new one on every refresh and mark the old one "
           "used with a conditional write; when a used token comes back, revoke the whole "
           "session (every token of its family), since someone else holds a copy."))
async def rotation_and_reuse(ctx: CheckContext) -> Outcome:
    endpoint = ctx.accounts.endpoint("refresh")
    credential = await ctx.accounts.session(await ctx.accounts.get(0))
    first = credential.refresh_token
    if not first:
        raise Skip("the login answer holds no refresh token")
    response = await _refresh(ctx, endpoint, first)
    if not response.is_success:
        raise Skip(f"{endpoint.label} refused a fresh refresh token ({response.status_code})")
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

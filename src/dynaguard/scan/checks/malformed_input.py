"""Malformed input at login (CWE-287, CWE-209): a password or identifier that is not a
string, duplicate keys, a huge body. A 2xx means a login without the password; a 500 or an
answer carrying exception text or the submitted secret is an information leak."""

from __future__ import annotations

import json
import secrets
from typing import Any

from dynaguard.scan.checks.registry import Outcome, check, failed, passed
from dynaguard.scan.context import CheckContext
from dynaguard.scan.errors import Skip
from dynaguard.scan.findings import Confidence, Finding, Severity
from dynaguard.scan.prerequisites import Prerequisite
from dynaguard.scan.profile import Endpoint
from dynaguard.scan.session import build_body

HUGE_BYTES = 1_000_000
LEAK_MARKERS = ("Traceback (most recent call last)", 'File "/', "botocore", "ClientError",
                "KeyError", "TypeError", "AttributeError", "ValueError", "ValidationException",
                "site-packages", "Exception:")


def _leaks(text: str, secret: str) -> list[str]:
    found = [marker for marker in LEAK_MARKERS if marker in text]
    if secret in text:
        found.append("the submitted password")
    return found


@check("input.malformed_login", title="Login accepts a malformed password", cwe=(287,),
       severity=Severity.CRITICAL, order=48, remediation=(
           "Validate the login body with a strict schema (strings only, no extra fields, a "
           "size limit) before any lookup, and let only a positive password match succeed: "
           "an exception or an odd type must end in refusal, never in a session."))
async def malformed_login(ctx: CheckContext) -> Outcome:
    login = ctx.accounts.endpoint("login")
    if login.body != "json" or not login.password or not login.identifier:
        raise Skip("the login endpoint takes no JSON body with identifier and password",
                   needs=Prerequisite.NOT_APPLICABLE if login.body != "json"
                   else Prerequisite.LOGIN_ENDPOINT)
    account = await ctx.accounts.for_failures()
    marker = "dgscan-" + secrets.token_hex(8)
    base = build_body(login, identifier=account.identifier, password=marker)["json"]
    probes: dict[str, dict[str, Any]] = {
        f"password {name}": {"json": {**base, login.password: value}}
        for name, value in _typed_values(marker).items()}
    head = json.dumps({k: v for k, v in base.items() if k != login.password})[:-1]
    probes["duplicate password keys"] = {
        "content": f'{head}, "{login.password}": "{marker}", "{login.password}": true}}',
        "headers": {"Content-Type": "application/json"}}
    probes["huge password"] = {"json": {**base, login.password: marker * (HUGE_BYTES // 23)}}
    # The identifier too: code that trusts its type fails on it before any password check.
    for name, value in {"DynamoDB string": {"S": account.identifier},
                        "array": [account.identifier], "object": {"$ne": marker}}.items():
        probes[f"identifier {name}"] = {"json": {**base, login.identifier: value}}
    return await _run_probes(ctx, login, probes, marker, "login")


def _typed_values(marker: str) -> dict[str, Any]:
    return {"true": True, "false": False, "null": None, "zero": 0, "empty object": {},
            "empty array": [], "array": [marker], "DynamoDB string": {"S": marker},
            "object": {"$ne": marker}}


async def _run_probes(ctx: CheckContext, endpoint: Endpoint,
                      probes: dict[str, dict[str, Any]], marker: str, what: str) -> Outcome:
    """Send each probe: a 2xx is the check's own finding (certain); a 5xx, exception text
    or the marker echoed back is a CWE-209 finding."""
    findings: list[Finding] = []
    for name, kwargs in probes.items():
        response = await ctx.http.request(endpoint.method, endpoint.path, **kwargs)
        if response.is_success:
            findings.append(ctx.finding(endpoint.label, {
                "probe": name, "status": response.status_code},
                confidence=Confidence.CERTAIN))
            continue
        leaked = _leaks(response.text, marker)
        if response.status_code >= 500 or leaked:
            findings.append(ctx.finding(endpoint.label, {
                "probe": name, "status": response.status_code, "leaks": leaked},
                title=f"Malformed {what} input causes an error or leaks details",
                severity=Severity.MEDIUM if leaked else Severity.LOW, cwe=(209,)))
    if findings:
        return failed(f"{len(findings)} of {len(probes)} malformed {what} requests "
                      "misbehaved", *findings)
    return passed(f"{len(probes)} malformed {what} requests refused without errors or leaks")


@check("input.malformed_refresh", title="Token endpoint accepts a malformed refresh token",
       cwe=(287,), severity=Severity.CRITICAL, order=48, remediation=(
           "Validate the refresh body with a strict schema (a bounded string, no extra "
           "fields) before any lookup; an odd type or an exception must end in refusal."))
async def malformed_refresh(ctx: CheckContext) -> Outcome:
    refresh = ctx.accounts.endpoint("refresh")
    if refresh.body != "json" or not refresh.token:
        raise Skip("the refresh endpoint takes no JSON body with a token field",
                   needs=Prerequisite.NOT_APPLICABLE if refresh.body != "json"
                   else Prerequisite.REFRESH_ENDPOINT)
    marker = "dgscan-" + secrets.token_hex(8)
    base = build_body(refresh, token=marker)["json"]
    probes: dict[str, dict[str, Any]] = {
        f"refresh token {name}": {"json": {**base, refresh.token: value}}
        for name, value in _typed_values(marker).items()}
    head = json.dumps({k: v for k, v in base.items() if k != refresh.token})[:-1]
    head = head + ", " if len(head) > 1 else head
    probes["duplicate token keys"] = {
        "content": f'{head}"{refresh.token}": "{marker}", "{refresh.token}": true}}',
        "headers": {"Content-Type": "application/json"}}
    probes["huge refresh token"] = {"json": {**base, refresh.token: marker * (HUGE_BYTES // 23)}}
    return await _run_probes(ctx, refresh, probes, marker, "refresh")

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
        raise Skip("the login endpoint takes no JSON body with identifier and password")
    account = await ctx.accounts.get(0)
    marker = "dgscan-" + secrets.token_hex(8)
    base = build_body(login, identifier=account.identifier, password=marker)["json"]
    values: dict[str, Any] = {"true": True, "false": False, "null": None, "zero": 0,
                              "empty object": {}, "empty array": [], "array": [marker],
                              "DynamoDB string": {"S": marker}, "object": {"$ne": marker}}
    probes: dict[str, dict[str, Any]] = {
        f"password {name}": {"json": {**base, login.password: value}}
        for name, value in values.items()}
    head = json.dumps({k: v for k, v in base.items() if k != login.password})[:-1]
    probes["duplicate password keys"] = {
        "content": f'{head}, "{login.password}": "{marker}", "{login.password}": true}}',
        "headers": {"Content-Type": "application/json"}}
    probes["huge password"] = {"json": {**base, login.password: marker * (HUGE_BYTES // 23)}}
    # The identifier too: code that trusts its type fails on it before any password check.
    for name, value in {"DynamoDB string": {"S": account.identifier},
                        "array": [account.identifier], "object": {"$ne": marker}}.items():
        probes[f"identifier {name}"] = {"json": {**base, login.identifier: value}}
    findings: list[Finding] = []
    for name, kwargs in probes.items():
        response = await ctx.http.request(login.method, login.path, **kwargs)
        if response.is_success:
            findings.append(ctx.finding(login.label, {
                "probe": name, "status": response.status_code},
                confidence=Confidence.CERTAIN))
            continue
        leaked = _leaks(response.text, marker)
        if response.status_code >= 500 or leaked:
            findings.append(ctx.finding(login.label, {
                "probe": name, "status": response.status_code, "leaks": leaked},
                title="Malformed login input causes an error or leaks details",
                severity=Severity.MEDIUM if leaked else Severity.LOW, cwe=(209,)))
    if findings:
        return failed(f"{len(findings)} of {len(probes)} malformed logins misbehaved",
                      *findings)
    return passed(f"{len(probes)} malformed logins refused without errors or leaks")

"""Access control with two scanner accounts: another user's object by id (BOLA, CWE-639,
API1:2023) and OAuth scopes declared but not enforced (CWE-863, API5:2023).

Both create data on the target: one object of the secondary account, one object written
with a read-only token. Both are owned by scanner accounts.
"""

from __future__ import annotations

import re
from typing import Any

from dynaguard.scan.checks.missing_auth import created_id, example_body
from dynaguard.scan.checks.registry import Outcome, check, failed, passed
from dynaguard.scan.context import CheckContext
from dynaguard.scan.discovery import Operation
from dynaguard.scan.errors import Skip
from dynaguard.scan.findings import Confidence, Finding, Severity
from dynaguard.scan.jwtkit import parse_jwt
from dynaguard.scan.prerequisites import Prerequisite, undeclared
from dynaguard.scan.session import Credential, build_body, read_credential

MAX_PAIRS = 5
WRITE_METHODS = ("POST", "PUT", "PATCH")
SCOPE_FIELDS = ("scope", "scopes", "scp")
ID_PARAM = re.compile(r"^(?P<base>/.*)/\{(?P<name>[^}/]+)\}$")



def _object_pairs(ctx: CheckContext) -> list[tuple[Operation, Operation]]:
    """(create, read one) pairs: ``POST /things`` and ``GET /things/{id}``, both secured."""
    creates = {op.path: op for op in ctx.surface.operations
               if op.method == "POST" and op.secured and not op.has_path_params}
    pairs = []
    for op in ctx.surface.operations:
        match = ID_PARAM.match(op.path)
        if op.method == "GET" and op.secured and match and match["base"] in creates:
            pairs.append((creates[match["base"]], op))
    return pairs[:MAX_PAIRS]


@check("access.bola", title="Another user's object readable by id (BOLA)", cwe=(639,),
       severity=Severity.HIGH, order=45, remediation=(
           "Check ownership on every object access: load the object by id and the caller "
           "together (key objects under their owner, or compare the owner attribute) and "
           "answer 404 for objects of other users."))
async def bola(ctx: CheckContext) -> Outcome:
    pairs = _object_pairs(ctx)
    if not pairs:
        raise Skip("no secured create/read-by-id operation pair found in the spec",
                   needs=undeclared(ctx.surface.spec_url))
    owner = await ctx.accounts.shared_session(await ctx.accounts.get(1))
    other = await ctx.accounts.shared_session(await ctx.accounts.get(0))
    findings: list[Finding] = []
    tried = 0
    for create, read in pairs:
        made = await ctx.http.request(create.method, create.path, headers=owner.headers(),
                                      **example_body(create))
        object_id = created_id(made) if made.is_success else None
        if object_id is None:
            continue
        path = re.sub(r"\{[^}/]+\}", object_id, read.path)
        if not (await ctx.http.request("GET", path, headers=owner.headers())).is_success:
            continue  # the owner cannot read it either: nothing to compare
        tried += 1
        response = await ctx.http.request("GET", path, headers=other.headers())
        if response.is_success and object_id in response.text:
            findings.append(ctx.finding(read.label, {
                "object_created_by": "secondary scanner account", "read_by": "primary account",
                "status": response.status_code}, confidence=Confidence.CERTAIN))
    if not tried:
        raise Skip("no object could be created and read back by its owner",
                   needs=Prerequisite.TARGET_REFUSED)
    if findings:
        return failed("objects of one account are readable by another", *findings)
    return passed(f"{tried} object(s) of one account refused to the other")


def _oauth_scopes(spec: dict[str, Any]) -> dict[str, list[str]]:
    """Required OAuth2 scopes by operation label, from the spec's security requirements."""
    schemes = spec.get("components", {}).get("securitySchemes", {}) or {}
    oauth = {name for name, scheme in schemes.items()
             if isinstance(scheme, dict) and scheme.get("type") == "oauth2"}
    found: dict[str, list[str]] = {}
    for path, item in (spec.get("paths") or {}).items():
        if not isinstance(item, dict):
            continue
        for method, op in item.items():
            if not isinstance(op, dict):
                continue
            for requirement in op.get("security", spec.get("security", [])) or []:
                scopes = [str(s) for name, listed in requirement.items() if name in oauth
                          for s in listed]
                if scopes:
                    found[f"{method.upper()} {path}"] = scopes
    return found


def _granted(credential: Credential) -> set[str] | None:
    token = parse_jwt(credential.token or "")
    if token is None:
        return None
    for name in SCOPE_FIELDS:
        value = token.claims.get(name)
        if isinstance(value, str):
            return set(value.split())
        if isinstance(value, list):
            return {str(v) for v in value}
    return None


@check("access.scope_not_enforced", title="Token without the needed scope accepted",
       cwe=(863,), severity=Severity.HIGH, order=46, remediation=(
           "Enforce the scopes each operation declares in the dependency that authenticates "
           "it (FastAPI: read `SecurityScopes` and refuse with 403 when one is missing); "
           "`Security(..., scopes=[...])` alone only documents them."))
async def scope_not_enforced(ctx: CheckContext) -> Outcome:
    login = ctx.accounts.endpoint("login")
    login_op = next((op for op in ctx.surface.operations if op.label == login.label), None)
    scope_field = next((f for f in (login_op.fields if login_op else ()) if f in SCOPE_FIELDS),
                       None)
    required = _oauth_scopes(ctx.surface.spec) if ctx.surface.spec else {}
    by_label = {op.label: op for op in ctx.surface.operations}
    targets = [(by_label[label], scopes) for label, scopes in required.items()
               if label in by_label and by_label[label].method in WRITE_METHODS
               and not by_label[label].has_path_params]
    every = {s for scopes in required.values() for s in scopes}
    if not targets:
        raise Skip("no write operation declares OAuth2 scopes",
                   needs=undeclared(ctx.surface.spec_url))
    if scope_field is None:
        # Scopes are declared, but a token without some of them cannot be asked for.
        raise Skip("the login operation takes no scope field; a narrow token cannot be asked",
                   needs=Prerequisite.SPEC if login_op is None else Prerequisite.SCOPED_LOGIN)
    account = await ctx.accounts.get(0)
    findings: list[Finding] = []
    tried = 0
    for op, needed in targets[:MAX_PAIRS]:
        narrow = sorted(every - set(needed))[:1]
        body = build_body(login, identifier=account.identifier, password=account.password)
        body.setdefault("json" if login.body == "json" else "data", {})[scope_field] = \
            " ".join(narrow)
        response = await ctx.http.request(login.method, login.path, **body)
        credential = read_credential(response, ctx.profile.session) \
            if response.is_success else None
        granted = _granted(credential) if credential is not None else None
        if credential is None or granted is None or set(needed) & granted:
            continue  # no token whose scopes can be read and that lacks the needed ones
        tried += 1
        answer = await ctx.http.request(op.method, op.path, headers=credential.headers(),
                                        **example_body(op))
        if answer.is_success:
            findings.append(ctx.finding(op.label, {
                "needed_scopes": needed, "token_scopes": sorted(granted),
                "status": answer.status_code}, confidence=Confidence.CERTAIN))
    if not tried:
        raise Skip("no token lacking an operation's scopes could be obtained",
                   needs=Prerequisite.TARGET_REFUSED)
    if findings:
        return failed("operations accept tokens without the scopes they declare", *findings)
    return passed(f"{tried} write operation(s) refused a token without their scopes")

"""Missing authentication on an object by id (CWE-306): the scanner creates an object of
its own, then reads, changes or deletes it with no credentials at all.

``auth.missing_authentication`` requests every operation with a made-up id, and a route
that forgot its auth dependency still answers 404 for an object that does not exist; only
a real id shows it. The objects all belong to the scanner's account, and each write or
delete is aimed at the object the scanner made for it.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from dynaguard.scan.checks.missing_auth import created_id, example_body
from dynaguard.scan.checks.registry import Outcome, check, failed, passed
from dynaguard.scan.context import CheckContext
from dynaguard.scan.discovery import Operation
from dynaguard.scan.errors import Skip
from dynaguard.scan.findings import Confidence, Finding, Severity
from dynaguard.scan.prerequisites import Prerequisite, undeclared
from dynaguard.scan.session import Credential

MAX_PROBES = 6
ONE_ID = re.compile(r"^(?P<base>/.*)/\{[^}/]+\}$")



def _probes(ctx: CheckContext) -> list[tuple[Operation, Operation]]:
    """(create, act on one) pairs: ``POST /things`` and ``VERB /things/{id}``, reads first,
    deletions last. Only where creating needs credentials (the objects are someone's, not
    public by design) and the operation is not declared public in the profile."""
    protected, public = set(ctx.profile.protected), set(ctx.profile.public)
    creates = {op.path: op for op in ctx.surface.operations
               if op.method == "POST" and not op.has_path_params
               and (op.secured or op.label in protected)}
    pairs = [(creates[m["base"]], op) for op in ctx.surface.operations
             if (m := ONE_ID.match(op.path)) and m["base"] in creates
             and op.label not in public]
    order = {"GET": 0, "PUT": 1, "PATCH": 1, "POST": 1, "DELETE": 2}
    return sorted(pairs, key=lambda p: order.get(p[1].method, 1))[:MAX_PROBES]


async def _probe(ctx: CheckContext, create: Operation, op: Operation,
                 credential: Credential) -> Finding | bool:
    """A finding, True when refused, False when nothing could be tried."""
    made = await ctx.http.request(create.method, create.path, headers=credential.headers(),
                                  **example_body(create))
    object_id = created_id(made) if made.is_success else None
    if object_id is None:
        return False
    path = re.sub(r"\{[^}/]+\}", lambda _: quote(object_id, safe=""), op.path)
    answer = await ctx.http.request(op.method, path, **example_body(op))
    if not answer.is_success:
        return True
    return ctx.finding(op.label, {
        "object": "created by the scanner's account a moment before",
        "request": "no credentials", "status": answer.status_code},
        severity=Severity.HIGH if op.method == "GET" else Severity.CRITICAL,
        confidence=Confidence.CERTAIN)


@check("auth.object_without_credentials", title="Object reachable by id without credentials",
       cwe=(306,), severity=Severity.CRITICAL, order=31, remediation=(
           "Require authentication by default on every route (a router-level dependency) "
           "and then check ownership; test each route by id with a real object and no "
           "credentials, since a made-up id gets 404 either way."))
async def object_without_credentials(ctx: CheckContext) -> Outcome:
    pairs = _probes(ctx)
    if not pairs:
        raise Skip("no create/act-by-id operation pair found in the spec (creating must "
                   "need credentials)", needs=undeclared(ctx.surface.spec_url))
    try:
        account = await ctx.accounts.owned()  # the scanner's own objects, not a lent account's
    except Skip:
        account = await ctx.accounts.get(0)
    credential = await ctx.accounts.shared_session(account)
    findings: list[Finding] = []
    tried = 0
    for create, op in pairs:
        outcome = await _probe(ctx, create, op, credential)
        if outcome is False:
            continue
        tried += 1
        if isinstance(outcome, Finding):
            findings.append(outcome)
    if not tried:
        raise Skip("no object could be created to aim at", needs=Prerequisite.TARGET_REFUSED)
    if findings:
        return failed(f"{len(findings)} of {tried} operation(s) on an object by id answered "
                      "without credentials", *findings)
    return passed(f"{tried} operation(s) on the scanner's own objects refused a request "
                  "without credentials")

"""Missing authentication (CWE-306): operations that should demand credentials answer
without any. Candidates: operations the spec marks secured, operations a profile lists
as protected, and (tentatively) operations whose path looks sensitive."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from dynaguard.scan.checks.registry import Outcome, check, failed, passed
from dynaguard.scan.context import CheckContext
from dynaguard.scan.discovery import SENSITIVE_WORDS, Operation
from dynaguard.scan.errors import Skip
from dynaguard.scan.findings import Confidence, Finding, Severity

__all__ = ["example_for"]

MAX_OPERATIONS = 60
AUTH_FLOW_WORDS = frozenset({"login", "signin", "register", "signup", "token", "refresh",
                             "verify", "forgot", "reset", "confirm", "logout", "oauth",
                             "callback", "jwks", "openapi", "docs", "health", "well"})
DUMMY_ID = "00000000-0000-4000-8000-000000000001"


def example_for(schema: dict[str, Any], depth: int = 0) -> Any:  # noqa: PLR0911 -- one return per JSON type
    """A small value that satisfies a JSON schema well enough to pass validation."""
    if depth > 4:
        return None
    if schema.get("enum"):
        return schema["enum"][0]
    for key in ("anyOf", "oneOf"):
        if schema.get(key):
            return example_for(schema[key][0], depth + 1)
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        required = schema.get("required", list(props))
        return {name: example_for(props.get(name, {}), depth + 1) for name in required}
    if kind == "array":
        return []
    if kind == "integer":
        return max(1, int(schema.get("minimum", 1)))
    if kind == "number":
        return 1.0
    if kind == "boolean":
        return False
    if schema.get("format") == "email":
        return "dgscan@example.com"
    return "dgscan" + "x" * max(0, int(schema.get("minLength", 0)) - 6)


def _candidates(ctx: CheckContext) -> list[tuple[Operation, bool]]:
    """Operations to probe, each with True when its protection is declared, not guessed."""
    declared = set(ctx.profile.protected)
    public = set(ctx.profile.public)
    found: dict[str, tuple[Operation, bool]] = {}
    for op in ctx.surface.operations:
        if op.label in public:
            continue
        if op.secured or op.label in declared:
            found[op.label] = (op, True)
        elif op.words & SENSITIVE_WORDS and not op.words & AUTH_FLOW_WORDS:
            found[op.label] = (op, False)
    for label in declared - set(found):
        method, _, path = label.partition(" ")
        found[label] = (Operation(method, path, True), True)
    return list(found.values())[:MAX_OPERATIONS]


async def _probe(ctx: CheckContext, op: Operation) -> tuple[int, str]:
    path = re.sub(r"\{[^}]+\}", DUMMY_ID, op.path)
    kwargs: dict[str, Any] = {}
    if op.body == "json":
        kwargs["json"] = example_for(op.schema)
    elif op.body == "form":
        kwargs["data"] = example_for(op.schema)
    response = await ctx.http.request(op.method, path, **kwargs)
    return response.status_code, response.text[:200]


@check("auth.missing_authentication", title="Operation answers without authentication",
       cwe=(306,), severity=Severity.HIGH, order=30, remediation=(
           "Require authentication by default on every route (a router-level dependency) "
           "and keep an explicit, reviewed list of public operations; add a test that "
           "fails on any route outside that list that answers without credentials."))
async def missing_authentication(ctx: CheckContext) -> Outcome:
    candidates = _candidates(ctx)
    if not candidates:
        raise Skip("no secured or sensitive-looking operation known (no OpenAPI document "
                   "and no `protected` list in a profile)")
    answers = await asyncio.gather(*(_probe(ctx, op) for op, _ in candidates))
    findings: list[Finding] = []
    refused = 0
    for (op, declared), (status, body) in zip(candidates, answers, strict=True):
        if status in (401, 403):
            refused += 1
        if 200 <= status < 300:
            findings.append(ctx.finding(
                op.label, {"status": status, "body": body, "declared_secured": declared,
                           "request": "no credentials"},
                severity=Severity.HIGH if declared else Severity.MEDIUM,
                confidence=Confidence.FIRM if declared else Confidence.TENTATIVE,
                title=("Secured operation answers without authentication" if declared else
                       "Sensitive-looking operation answers without authentication")))
    detail = (f"{len(candidates)} operations probed without credentials: {refused} refused, "
              f"{len(findings)} answered 2xx")
    return failed(detail, *findings) if findings else passed(detail)

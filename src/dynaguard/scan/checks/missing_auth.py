"""Missing authentication (CWE-306): operations that should demand credentials answer
without any. Candidates: operations the spec marks secured, operations a profile lists
as protected, writes on a path whose other operations are secured (a forgotten
dependency leaves the spec silent too), and (tentatively) sensitive-looking paths.

Each candidate is first sent without credentials, path ids filled with a dummy. A 401 or
403 is a refusal, a 2xx a finding. Any other answer (a 404 for the dummy id, a 405, a 422)
proves nothing yet: the handler may have run without checking anyone. Those operations
are sent again, without credentials, with the id of an object the scanner's own account
created, and compared with the same request made with the scanner's session:
a success without credentials on the scanner's own object is missing authentication (and
certain); an answer that differs from the session's is a refusal (e.g. 404 hiding an
object); alike answers that are no success say nothing (the session got no further
either) and are reported as inconclusive. Only scanner-owned objects are ever touched.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from typing import Any

import httpx

from dynaguard.scan.checks.enumeration import signature
from dynaguard.scan.checks.registry import Outcome, check, failed, passed
from dynaguard.scan.context import CheckContext
from dynaguard.scan.discovery import SENSITIVE_WORDS, Operation
from dynaguard.scan.errors import Skip
from dynaguard.scan.findings import Confidence, Finding, Severity
from dynaguard.scan.prerequisites import Prerequisite
from dynaguard.scan.session import Credential, json_or_none

__all__ = ["created_id", "example_body", "example_for"]

MAX_OPERATIONS = 60
AUTH_FLOW_WORDS = frozenset({"login", "signin", "register", "signup", "token", "refresh",
                             "verify", "forgot", "reset", "confirm", "logout", "oauth",
                             "callback", "jwks", "openapi", "docs", "health", "well"})
# A well-formed id that no object has: an unauthenticated DELETE must never hit someone's.
DUMMY_ID = "00000000-0000-4000-8000-000000000001"
REFUSALS = frozenset({401, 403, 407})
PUBLIC_ROLES = frozenset({"register", "login", "verify_email", "refresh", "forgot", "reset"})
MAX_OBJECTS = 8
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
TRAILING_PARAM = re.compile(r"^(?P<base>/.*)/\{[^}/]+\}$")
# Writes that may end the scanner's sessions or its account: never sent with its shared
# session (other checks hold it), unless aimed at one of the scanner's own objects.
SESSION_ENDING = re.compile(r"log-?out|sign-?out|revoke|session|password|account|/me\b",
                            re.IGNORECASE)


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
    """Operations to probe, each with True when its protection is known, not guessed.

    Known: the spec or a profile says so, or the operation changes state on a path whose
    other operations are secured (a write left out of its resource's protection is the
    classic forgotten dependency). Guessed: the path looks sensitive."""
    declared = set(ctx.profile.protected)
    public = set(ctx.profile.public)
    secured_paths = {op.path for op in ctx.surface.operations if op.secured}
    # The registration, login and recovery operations discovery found are public by
    # design, whatever their path looks like (`POST /users/` registers).
    sign_in = {endpoint.label for role, endpoint in ctx.profile.endpoints.items()
               if role in PUBLIC_ROLES}
    found: dict[str, tuple[Operation, bool]] = {}
    for op in ctx.surface.operations:
        if op.label in public:
            continue
        if (op.secured or op.label in declared
                or (op.method in WRITE_METHODS and op.path in secured_paths)):
            found[op.label] = (op, True)
        elif (op.words & SENSITIVE_WORDS and not op.words & AUTH_FLOW_WORDS
              and op.label not in sign_in):
            found[op.label] = (op, False)
    for label in declared - set(found):
        method, _, path = label.partition(" ")
        found[label] = (Operation(method, path, True), True)
    return list(found.values())[:MAX_OPERATIONS]


def example_body(op: Operation) -> dict[str, Any]:
    """httpx keyword arguments carrying an example body built from ``op``'s schema."""
    if op.body == "json":
        return {"json": example_for(op.schema)}
    if op.body == "form":
        return {"data": example_for(op.schema)}
    return {}


def _path(op: Operation, object_id: str | None) -> str:
    """The operation's path, its last id ``object_id`` (when given), any other a dummy."""
    path = op.path
    if object_id is not None:
        match = TRAILING_PARAM.match(path)
        if match:
            path = f"{match['base']}/{object_id}"
    return re.sub(r"\{[^}]+\}", DUMMY_ID, path)


async def _send(ctx: CheckContext, op: Operation, object_id: str | None = None,
                credential: Credential | None = None) -> httpx.Response:
    headers = credential.headers() if credential is not None else {}
    return await ctx.http.request(op.method, _path(op, object_id), headers=headers,
                                  **example_body(op))


def _id_in(data: Any) -> str | None:
    if not isinstance(data, dict):
        return None
    for name in ("id", "uuid", "_id", *(k for k in data if k.lower().endswith("id"))):
        value = data.get(name)
        if isinstance(value, str | int) and not isinstance(value, bool) and str(value):
            return str(value)
    return None



def created_id(response: httpx.Response) -> str | None:
    """The id of the object a create operation answered with (``id``, ``uuid``, ``_id``
    or any field ending in ``id``), if its JSON body names one."""
    return _id_in(json_or_none(response))


class _Objects:
    """Ids of objects the scanner's own account creates, one per probed operation.

    Never an id taken from a listing: on a server that lists other users' objects, an
    unauthenticated DELETE could destroy someone else's data."""

    def __init__(self, ctx: CheckContext, credential: Credential) -> None:
        self.ctx = ctx
        self.credential = credential
        self.made = 0

    async def own_id(self, op: Operation) -> str | None:
        """An id for ``op``'s trailing path parameter that names a scanner-owned object."""
        match = TRAILING_PARAM.match(op.path)
        if match is None:
            return None
        base = match["base"]
        by_label = {o.label: o for o in self.ctx.surface.operations}
        create = by_label.get(f"POST {base}")
        if create is not None and self.made < MAX_OBJECTS:
            self.made += 1
            made = await _send(self.ctx, create, credential=self.credential)
            if made.is_success:
                return _id_in(json_or_none(made))
        return None


@dataclass(frozen=True)
class _Verdict:
    op: Operation
    declared: bool
    status: int
    body: str
    how: str
    refused: bool = False
    open: bool = False
    certain: bool = False


async def _resolve(ctx: CheckContext, op: Operation, declared: bool, first: httpx.Response,
                   objects: _Objects | None) -> _Verdict:
    """Settle an answer that was neither a refusal nor a success, as the module says."""
    if objects is None:
        return _Verdict(op, declared, first.status_code, first.text[:200],
                        "inconclusive: no session of a scanner account to compare with")
    object_id = await objects.own_id(op) if op.has_path_params else None
    bare = first
    if object_id is not None:
        bare = await _send(ctx, op, object_id)
        if bare.is_success:
            return _Verdict(op, declared, bare.status_code, bare.text[:200],
                            "no credentials, on an object of the scanner's account",
                            open=True, certain=True)
        if bare.status_code in REFUSALS:
            return _Verdict(op, declared, bare.status_code, "", "refused", refused=True)
    if object_id is None and op.method in WRITE_METHODS and (
            op.method == "DELETE" or SESSION_ENDING.search(op.path)):
        return _Verdict(op, declared, bare.status_code, "",
                        f"inconclusive: {bare.status_code} without credentials; not sent with "
                        "the scanner's session, which it may end")
    authed = await _send(ctx, op, object_id, objects.credential)
    if signature(bare, "") != signature(authed, ""):
        return _Verdict(op, declared, bare.status_code, "",
                        "answers differently with credentials", refused=True)
    # Alike and not a success: even the scanner's own session got no further, so this
    # says nothing about authentication (a server hiding objects behind 404 answers a
    # dummy id alike with and without credentials).
    return _Verdict(op, declared, bare.status_code, "",
                    f"inconclusive: {bare.status_code} with and without credentials")


async def _session(ctx: CheckContext) -> Credential | None:
    try:
        return await ctx.accounts.shared_session(await ctx.accounts.get(0))
    except Skip:
        return None


@check("auth.missing_authentication", title="Operation answers without authentication",
       cwe=(306,), severity=Severity.HIGH, order=30, remediation=(
           "Require authentication by default on every route (a router-level dependency) "
           "and keep an explicit, reviewed list of public operations; add a test that "
           "fails on any route outside that list that answers without credentials."))
async def missing_authentication(ctx: CheckContext) -> Outcome:
    candidates = _candidates(ctx)
    if not candidates:
        raise Skip("no secured or sensitive-looking operation known (no OpenAPI document "
                   "and no `protected` list in a profile)", needs=Prerequisite.SPEC)
    answers = await asyncio.gather(*(_send(ctx, op) for op, _ in candidates))
    verdicts: list[_Verdict] = []
    unsettled: list[tuple[Operation, bool, httpx.Response]] = []
    for (op, declared), response in zip(candidates, answers, strict=True):
        if response.status_code in REFUSALS:
            verdicts.append(_Verdict(op, declared, response.status_code, "", "refused",
                                     refused=True))
        elif response.is_success:
            verdicts.append(_Verdict(op, declared, response.status_code, response.text[:200],
                                     "no credentials", open=True))
        elif declared:
            unsettled.append((op, declared, response))
    if unsettled:
        credential = await _session(ctx)
        objects = _Objects(ctx, credential) if credential is not None else None
        # One at a time: a probe may delete the object another one was about to use.
        for op, declared, response in unsettled:
            verdicts.append(await _resolve(ctx, op, declared, response, objects))
    findings = [_finding(ctx, v) for v in verdicts if v.open]
    refused = sum(v.refused for v in verdicts)
    open_ended = [f"{v.op.label} ({v.how})" for v in verdicts
                  if v.how.startswith("inconclusive")]
    detail = (f"{len(candidates)} operations probed without credentials: {refused} refused, "
              f"{len(findings)} answered as if authenticated")
    if open_ended:
        detail += "; " + "; ".join(open_ended[:5])
    return failed(detail, *findings) if findings else passed(detail)


def _finding(ctx: CheckContext, verdict: _Verdict) -> Finding:
    declared = verdict.declared
    return ctx.finding(
        verdict.op.label, {"status": verdict.status, "body": verdict.body,
                           "declared_secured": verdict.op.secured,
                           "protection": "known" if declared else "guessed from the path",
                           "request": verdict.how},
        severity=Severity.HIGH if declared else Severity.MEDIUM,
        confidence=(Confidence.CERTAIN if verdict.certain else Confidence.FIRM) if declared
        else Confidence.TENTATIVE,
        title=("Secured operation answers without authentication" if declared else
               "Sensitive-looking operation answers without authentication"))

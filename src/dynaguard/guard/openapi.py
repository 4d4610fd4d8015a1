"""The error answers of our routes, declared to OpenAPI as RFC 9457 problem documents.

Every error leaves through ``guard.problems`` as ``application/problem+json``; declaring
the same shape here keeps the published schema true, so clients and schema-driven tests
(schemathesis in our suite) can hold the API to it.
"""

from __future__ import annotations

from typing import Any

from dynaguard.guard.problems import PROBLEM_JSON

__all__ = ["PROBLEM_RESPONSES", "PROBLEM_SCHEMA", "RATE_LIMIT_HEADERS", "rate_limited"]

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "reasons": {"type": "array", "items": {"type": "string"}},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["loc", "msg"],
                "properties": {"loc": {"type": "array", "items": {"type": "string"}},
                               "msg": {"type": "string"}},
            },
        },
    },
}

_WHY = {
    400: "The request was refused (an invalid or spent token, a weak password).",
    401: "Missing, invalid or revoked credentials.",
    403: "Authenticated, but a required scope is missing.",
    404: "No such resource (or not yours).",
    413: "The request body is too large.",
    422: "The request does not match the schema.",
    429: "Too many attempts; retry after the `Retry-After` seconds. `RateLimit` says what "
         "is left of the client address's budget (`r=0` when that budget is spent).",
    503: "The store is unavailable; nothing was decided. Retry after `Retry-After`.",
}


# draft-ietf-httpapi-ratelimit-headers, for the per-address budget (guard/ratelimit.py).
RATE_LIMIT_HEADERS: dict[str, Any] = {
    "RateLimit-Policy": {
        "description": 'The client address\'s failure budget, e.g. `"address";q=30;w=600`: '
                       "`q` failures per `w` seconds.",
        "schema": {"type": "string"}},
    "RateLimit": {
        "description": 'What is left of it, e.g. `"address";r=12;t=540`: `r` more failures '
                       "may be counted in the next `t` seconds.",
        "schema": {"type": "string"}},
}


def _problem(status: int) -> dict[str, Any]:
    declared: dict[str, Any] = {"description": _WHY[status],
                                "content": {PROBLEM_JSON: {"schema": PROBLEM_SCHEMA}}}
    if status == 429:  # every 429 comes from the throttle, which advertises the budget
        declared["headers"] = RATE_LIMIT_HEADERS
    return declared


# Declared once per router: the errors any of its routes can answer with.
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {s: _problem(s) for s in sorted(_WHY)}


def rate_limited(success: int, *refusals: int) -> dict[int | str, dict[str, Any]]:
    """Responses of a route whose answers carry the per-address budget: its success and
    its ``refusals`` (problem documents) declare the RateLimit fields."""
    declared: dict[int | str, dict[str, Any]] = {success: {"headers": RATE_LIMIT_HEADERS}}
    for status in refusals:
        declared[status] = {**_problem(status), "headers": RATE_LIMIT_HEADERS}
    return declared

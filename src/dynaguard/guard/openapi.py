"""The error answers of our routes, declared to OpenAPI as RFC 9457 problem documents.

Every error leaves through ``guard.problems`` as ``application/problem+json``; declaring
the same shape here keeps the published schema true, so clients and schema-driven tests
(schemathesis in our suite) can hold the API to it.
"""

from __future__ import annotations

from typing import Any

from dynaguard.guard.problems import PROBLEM_JSON

__all__ = ["PROBLEM_RESPONSES", "PROBLEM_SCHEMA"]

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
    429: "Too many attempts; retry after the `Retry-After` seconds.",
    503: "The store is unavailable; nothing was decided. Retry after `Retry-After`.",
}


def _problem(status: int) -> dict[str, Any]:
    return {"description": _WHY[status],
            "content": {PROBLEM_JSON: {"schema": PROBLEM_SCHEMA}}}


# Declared once per router: the errors any of its routes can answer with.
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {s: _problem(s) for s in sorted(_WHY)}

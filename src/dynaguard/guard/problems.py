"""The one place where errors become HTTP: RFC 9457 problem details.

No response built here carries an exception name, a traceback, a DynamoDB message or
any value the client sent (validation errors list where and why, never the input).
"""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from dynaguard.errors import AuthenticationFailed, GuardError, StoreUnavailable, TooManyRequests

__all__ = ["PROBLEM_JSON", "install_problem_handlers", "problem"]

PROBLEM_JSON = "application/problem+json"
log = structlog.get_logger("dynaguard.http")


def problem(
    status: int, title: str, detail: str = "", *, headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra or {})
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_JSON)


def _guard_error(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, GuardError)  # noqa: S101 -- registered for GuardError only
    headers: dict[str, str] = {}
    if error.status == 401:
        headers["WWW-Authenticate"] = (
            error.challenge if isinstance(error, AuthenticationFailed) else "Bearer")
    if isinstance(error, TooManyRequests):
        headers["Retry-After"] = str(error.retry_after)
    if isinstance(error, StoreUnavailable) or error.status == 503:
        headers["Retry-After"] = str(StoreUnavailable.retry_after)
    extra = {"reasons": error.reasons} if error.reasons else None
    return problem(error.status, error.title, error.detail, headers=headers, extra=extra)


def _validation_error(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)  # noqa: S101
    errors = [
        {"loc": [str(p) for p in item.get("loc", ())], "msg": str(item.get("msg", ""))}
        for item in error.errors()
    ]
    return problem(422, "Invalid request body", "The request does not match the schema.",
                   extra={"errors": errors})


def _allowed_methods(request: Request) -> str:
    """Every method some route serves at this path (Starlette names only the first route's)."""
    allowed = []
    for method in ("DELETE", "GET", "HEAD", "PATCH", "POST", "PUT"):
        scope = {**request.scope, "method": method}
        if any(route.matches(scope)[0] == Match.FULL for route in request.app.router.routes):
            allowed.append(method)
    return ", ".join(allowed)


def _http_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)  # noqa: S101
    title = {404: "Not found", 405: "Method not allowed"}.get(error.status_code, "Error")
    headers = dict(error.headers or {})
    if error.status_code == 405:
        headers["Allow"] = _allowed_methods(request) or headers.get("Allow", "")
    return problem(error.status_code, title, headers=headers)


def _unexpected(request: Request, error: Exception) -> JSONResponse:
    # Logged by type only: messages of library exceptions can contain request data.
    log.error("unhandled_error", error=type(error).__name__, path=request.url.path)
    return problem(500, "Internal error")


def install_problem_handlers(app: FastAPI) -> None:
    """Make every error of ``app`` a problem document."""
    app.add_exception_handler(GuardError, _guard_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)

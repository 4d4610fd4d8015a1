"""How the lab turns errors into HTTP answers, and the ``error_leak`` flaw.

Safe: RFC 9457 problem documents naming no exception, no DynamoDB message, no input.
``error_leak``: the exception's class, message and traceback go to the client, and
validation errors echo the submitted values (FastAPI's default handler), passwords too.
"""

from __future__ import annotations

import traceback
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from fastapi import FastAPI, Request, Response
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from dynaguard.errors import StoreUnavailable

__all__ = ["LabError", "install_error_handlers", "problem"]

PROBLEM_JSON = "application/problem+json"
log = structlog.get_logger("dynaguard.lab")


class LabError(Exception):
    """An answer the lab gives on purpose: status, title, detail and headers."""

    def __init__(self, status: int, title: str, detail: str = "",
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(detail or title)
        self.status = status
        self.title = title
        self.detail = detail
        self.headers = headers or {}


def problem(status: int, title: str, detail: str = "", *, headers: dict[str, str] | None = None,
            extra: dict[str, Any] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra or {})
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_JSON)


async def _lab_error(_: Request, error: Exception) -> Response:
    assert isinstance(error, LabError)  # noqa: S101 -- registered for LabError only
    return problem(error.status, error.title, error.detail, headers=error.headers)


async def _store_unavailable(_: Request, __: Exception) -> Response:
    return problem(503, "Service unavailable", headers={"Retry-After": "1"})


async def _http_error(_: Request, error: Exception) -> Response:
    assert isinstance(error, StarletteHTTPException)  # noqa: S101
    return problem(error.status_code, str(error.detail), headers=dict(error.headers or {}))


async def _safe_validation_error(_: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)  # noqa: S101
    errors = [{"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", ""))}
              for e in error.errors()]
    return problem(422, "Invalid request body", extra={"errors": errors})


async def _leaky_validation_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)  # noqa: S101
    # FastAPI's default answer echoes every submitted value, passwords included.
    return await request_validation_exception_handler(request, error)


def _leaky_body(error: Exception) -> dict[str, Any]:
    return {"detail": str(error), "exception": f"{type(error).__module__}.{type(error).__name__}",
            "traceback": traceback.format_exception(error)}


def install_error_handlers(app: FastAPI, *, leak: bool) -> None:
    """Register the lab's handlers; ``leak`` switches on the ``error_leak`` flaw."""
    app.add_exception_handler(LabError, _lab_error)
    app.add_exception_handler(StoreUnavailable, _store_unavailable)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(
        RequestValidationError, _leaky_validation_error if leak else _safe_validation_error
    )

    @app.middleware("http")
    async def last_barrier(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        try:
            return await call_next(request)
        except Exception as error:  # noqa: BLE001 -- the last barrier: every crash is a 500
            log.error("unhandled_error", error=type(error).__name__, path=request.url.path)
            if leak:
                return problem(500, "Internal error", extra=_leaky_body(error))
            return problem(500, "Internal error")

"""Request ids: every request gets one, every log line inside it carries it, and the
response returns it as ``X-Request-ID``; one ``request`` line is logged when it ends.

An incoming ``X-Request-ID`` (from a proxy) is kept only if it is short and plain, so a
client cannot inject text into logs. The query string is never logged: links in mails
carry tokens there.
"""

from __future__ import annotations

import re
import time
import uuid

import structlog
from starlette.datastructures import MutableHeaders
from starlette.types import Message, Receive, Scope, Send

from dynaguard.guard.middleware import HttpMiddleware

__all__ = ["REQUEST_ID_HEADER", "RequestIdMiddleware"]

REQUEST_ID_HEADER = "X-Request-ID"
_PLAIN_ID = re.compile(r"[A-Za-z0-9._:-]{8,64}")
log = structlog.get_logger("dynaguard.http")


class RequestIdMiddleware(HttpMiddleware):
    """Names each request (the client's plain X-Request-ID, else a new one) in its log
    lines and on its answer."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        given = ""
        for name, value in scope.get("headers", []):
            if name == b"x-request-id":
                given = value.decode("latin-1")
        request_id = given if _PLAIN_ID.fullmatch(given) else uuid.uuid4().hex
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message).append(REQUEST_ID_HEADER, request_id)
            await send(message)

        with structlog.contextvars.bound_contextvars(request_id=request_id):
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                log.info("request", method=scope.get("method", ""),
                         path=str(scope.get("path", ""))[:256], status=status,
                         duration_ms=round((time.perf_counter() - started) * 1000, 1))

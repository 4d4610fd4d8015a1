"""ASGI middleware of the service: a request-body ceiling and protective response headers,
and the base every pure ASGI middleware here shares."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["BodyLimit", "HttpMiddleware", "SecurityHeaders"]

PROBLEM_413 = json.dumps({"type": "about:blank", "title": "Request body too large",
                          "status": 413}).encode()


class HttpMiddleware:
    """Pure ASGI middleware for HTTP requests (no response buffering, context variables
    stay visible); other scopes (lifespan) pass straight through to the app."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.handle(scope, receive, send)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        raise NotImplementedError


class BodyLimit(HttpMiddleware):
    """Refuse bodies over ``limit`` bytes before the application sees any (413 problem).

    A declared ``Content-Length`` over the limit is refused at once. Whatever is declared,
    the body is then read here, counting the bytes that actually arrive, up to the limit,
    and handed on whole: a request may carry both ``Content-Length`` and chunked
    ``Transfer-Encoding`` (the server then reads the chunks and ignores the length), and
    failing a read half-way through the application would surface as whatever it makes of
    a broken body (a 400 or a 500), not as a 413."""

    def __init__(self, app: ASGIApp, limit: int = 64 * 1024) -> None:
        super().__init__(app)
        self.limit = limit

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await self._refuse(send)
            return
        buffered = await self._read_bounded(receive)
        if buffered is None:
            await self._refuse(send)
            return
        await self.app(scope, _replay(buffered, receive), send)

    async def _read_bounded(self, receive: Receive) -> list[Message] | None:
        """The request's body messages, or None once they pass the limit."""
        messages: list[Message] = []
        seen = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                return messages  # the client went away; the app will see it
            seen += len(message.get("body", b""))
            if seen > self.limit:
                return None
            if not message.get("more_body", False):
                return messages

    @staticmethod
    async def _refuse(send: Send) -> None:
        await send({"type": "http.response.start", "status": 413, "headers": [
            (b"content-type", b"application/problem+json"),
            (b"content-length", str(len(PROBLEM_413)).encode())]})
        await send({"type": "http.response.body", "body": PROBLEM_413})


def _replay(messages: list[Message], receive: Receive) -> Receive:
    """A ``receive`` that hands out ``messages`` first, then the connection's own."""
    pending = list(messages)

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay


class SecurityHeaders(HttpMiddleware):
    """Headers every answer of an auth service should carry; ``/auth`` answers are never
    cached."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        no_store = str(scope.get("path", "")).startswith("/auth/")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                extra = [(b"x-content-type-options", b"nosniff"),
                         (b"referrer-policy", b"no-referrer")]
                if no_store:
                    extra.append((b"cache-control", b"no-store"))
                headers += [(k, v) for k, v in extra if k not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)

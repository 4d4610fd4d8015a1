"""BodyLimit counts the bytes that arrive, whatever the request declared."""

from __future__ import annotations

from starlette.types import Message, Receive, Scope, Send

from dynaguard.guard.middleware import BodyLimit


class _Recorder:
    """A downstream app that reads the whole body and records what it saw."""

    def __init__(self) -> None:
        self.body = b""
        self.called = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.called = True
        while True:
            message = await receive()
            self.body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


async def _call(headers: list[tuple[bytes, bytes]], chunks: list[bytes],
                limit: int = 1024) -> tuple[int, _Recorder]:
    pending: list[Message] = [
        {"type": "http.request", "body": chunk, "more_body": i < len(chunks) - 1}
        for i, chunk in enumerate(chunks)]
    sent: list[Message] = []

    async def receive() -> Message:
        return pending.pop(0) if pending else {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    app = _Recorder()
    scope: Scope = {"type": "http", "method": "POST", "path": "/", "headers": headers}
    await BodyLimit(app, limit=limit)(scope, receive, send)
    return sent[0]["status"], app


async def test_a_small_declared_length_does_not_let_a_large_body_through() -> None:
    """Content-Length 5 with chunked bytes far beyond the limit (a server reading the
    chunks ignores the length): refused, and the application never runs."""
    status, app = await _call([(b"content-length", b"5"), (b"transfer-encoding", b"chunked")],
                              [b"x" * 512] * 8)
    assert status == 413
    assert not app.called


async def test_bodies_within_the_limit_reach_the_application_whole() -> None:
    chunks = [b"a" * 300, b"b" * 300, b"c" * 300]
    status, app = await _call([(b"content-length", b"900")], chunks)
    assert status == 200
    assert app.body == b"".join(chunks)
    status, app = await _call([], chunks)  # no length declared
    assert (status, app.body) == (200, b"".join(chunks))


async def test_a_declared_length_over_the_limit_or_not_a_number_is_refused_at_once() -> None:
    for declared in (b"1025", b"-1", b"12x"):
        status, app = await _call([(b"content-length", declared)], [b"x"])
        assert status == 413
        assert not app.called

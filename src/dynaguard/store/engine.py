"""The embedded DynamoDB engine: moto's DynamoDB API on a loopback port, data in memory.

moto's own server runs requests on concurrent threads without isolating them, so two
conditional writes or transactions racing for one item can both pass their conditions.
DynamoDB itself never allows that, and the guard relies on it (one account per email,
one use per refresh token). The engine therefore serves connections concurrently but
runs moto's request handling one request at a time. It is served by waitress, which keeps
connections open between requests (moto's own werkzeug server closes every one, so each
store call paid for a new TCP connection on both sides).

DynamoDB also makes ``TransactWriteItems`` idempotent on its ``ClientRequestToken`` (which
botocore fills in and keeps across its own retries): a retry of a transaction whose reply
was lost returns the first success instead of failing its own conditions. moto ignores the
token, so the engine remembers successful transactions by token for DynamoDB's ten-minute
window and answers a repeat from memory (a repeat with other parameters is refused, as
DynamoDB refuses it).

Run standalone: ``python -m dynaguard.store.engine --port 8001``.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

import httpx
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from waitress.server import BaseWSGIServer, create_server
from waitress.wasyncore import close_all

from dynaguard.ports import free_port

__all__ = ["LocalEngine", "free_port"]


TRANSACT_WRITE = "DynamoDB_20120810.TransactWriteItems"
IDEMPOTENCY_WINDOW = 600.0  # seconds, as DynamoDB documents for ClientRequestToken


class _Reply:
    """A finished WSGI response, kept to answer a repeated transaction."""

    def __init__(self, status: str, headers: list[tuple[str, str]], body: bytes,
                 digest: str) -> None:
        self.status = status
        self.headers = headers
        self.body = body
        self.digest = digest
        self.at = time.monotonic()


def _mismatch(start_response: Callable[..., Any]) -> list[bytes]:
    body = json.dumps({
        "__type": "com.amazonaws.dynamodb.v20120810#IdempotentParameterMismatchException",
        "message": "ClientRequestToken was reused with different parameters",
    }).encode()
    start_response("400 Bad Request", [("Content-Type", "application/x-amz-json-1.0"),
                                       ("Content-Length", str(len(body)))])
    return [body]


class _Serialized:
    """A WSGI app that lets one request at a time into the wrapped app, and answers a
    repeated ``TransactWriteItems`` token with the reply of its first success."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self._app = app
        self._lock = threading.Lock()
        self._replies: dict[str, _Reply] = {}

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        with self._lock:
            if environ.get("HTTP_X_AMZ_TARGET") != TRANSACT_WRITE:
                return list(self._app(environ, start_response))
            return self._transact(environ, start_response)

    def _transact(self, environ: dict[str, Any],
                  start_response: Callable[..., Any]) -> list[bytes]:
        declared = str(environ.get("CONTENT_LENGTH") or "")
        if not declared.isdigit():  # botocore always sends a length; anything else: moto's
            return list(self._app(environ, start_response))
        raw = environ["wsgi.input"].read(int(declared))
        environ["wsgi.input"] = io.BytesIO(raw)
        try:
            request = json.loads(raw)
        except ValueError:
            request = None
        token = request.get("ClientRequestToken") if isinstance(request, dict) else None
        if not isinstance(token, str):
            return list(self._app(environ, start_response))
        assert isinstance(request, dict)  # noqa: S101 -- narrowed above with the token
        params = {k: v for k, v in request.items() if k != "ClientRequestToken"}
        digest = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()
        now = time.monotonic()
        while self._replies:  # insertion order is age order: drop the expired from the front
            oldest = next(iter(self._replies))
            if now - self._replies[oldest].at < IDEMPOTENCY_WINDOW:
                break
            del self._replies[oldest]
        kept = self._replies.get(token)
        if kept is not None:
            if kept.digest != digest:
                return _mismatch(start_response)
            start_response(kept.status, kept.headers)
            return [kept.body]
        captured: list[tuple[str, list[tuple[str, str]]]] = []

        def capture(status: str, headers: list[tuple[str, str]],
                    exc_info: Any = None) -> Callable[[bytes], object]:
            captured.append((status, headers))
            return start_response(status, headers, exc_info)  # type: ignore[no-any-return]

        body = b"".join(self._app(environ, capture))
        if captured and captured[-1][0].startswith("200"):
            status, headers = captured[-1]
            self._replies[token] = _Reply(status, list(headers), body, digest)
        return [body]


class LocalEngine:
    """A DynamoDB-API engine in this process, listening on 127.0.0.1 only."""

    # Connections served at once; moto runs one request at a time behind them.
    THREADS = 8

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self._server: BaseWSGIServer | None = None
        self._channels: dict[int, Any] = {}
        self._thread: threading.Thread | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 10.0) -> None:
        """Start serving and wait until the engine answers."""
        app = _Serialized(DomainDispatcherApplication(create_backend_app))
        # Requests wait their turn by design (moto runs one at a time): a queue of them is
        # no news worth a warning on every burst.
        logging.getLogger("waitress.queue").setLevel(logging.ERROR)
        server = create_server(app, map=self._channels, host="127.0.0.1", port=self.port,
                               threads=self.THREADS, ident="dynaguard-engine")
        assert isinstance(server, BaseWSGIServer)  # noqa: S101 -- one address, one socket
        self._server = server
        self._thread = threading.Thread(target=self._server.run, daemon=True,
                                        name="dynamodb-engine")
        self._thread.start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                httpx.get(self.endpoint + "/moto-api/", timeout=1.0)
            except httpx.TransportError:
                time.sleep(0.05)
            else:
                return
        raise RuntimeError(f"local DynamoDB engine did not start on {self.endpoint}")

    def stop(self) -> None:
        if self._server is not None:
            # Every channel, the listening one and the kept-alive ones, closed in the
            # serving loop's own thread: the loop ends when none is left.
            channels = self._channels
            wake: Any = self._server.trigger  # waitress's trigger (its stubs say int)
            wake.pull_trigger(lambda: close_all(channels))
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._server is not None:
            self._server.task_dispatcher.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the local DynamoDB engine.")
    parser.add_argument("--port", type=int, default=8001)
    args = parser.parse_args()
    engine = LocalEngine(args.port)
    engine.start()
    print(f"local DynamoDB engine on {engine.endpoint} (in memory)", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        engine.stop()


if __name__ == "__main__":
    main()

"""The embedded DynamoDB engine: moto's DynamoDB API on a loopback port, data in memory.

moto's own server runs requests on concurrent threads without isolating them, so two
conditional writes or transactions racing for one item can both pass their conditions.
DynamoDB itself never allows that, and the guard relies on it (one account per email,
one use per refresh token). The engine therefore serves connections concurrently but
runs moto's request handling one request at a time.

Run standalone: ``python -m dynaguard.store.engine --port 8001``.
"""

from __future__ import annotations

import argparse
import socket
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

import httpx
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import BaseWSGIServer, make_server

__all__ = ["LocalEngine", "free_port"]


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Serialized:
    """A WSGI app that lets one request at a time into the wrapped app."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self._app = app
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        with self._lock:
            return list(self._app(environ, start_response))


class LocalEngine:
    """A DynamoDB-API engine in this process, listening on 127.0.0.1 only."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 10.0) -> None:
        """Start serving and wait until the engine answers."""
        app = _Serialized(DomainDispatcherApplication(create_backend_app))
        self._server = make_server("127.0.0.1", self.port, app, threaded=True,
                                   request_handler=MotoRequestHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True,
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
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)


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

"""The embedded DynamoDB engine: moto's server on a loopback port, data in memory.

moto's DynamoDB backend takes no locks, and its server answers requests on several
threads: two conditional writes or transactions on one item could both succeed (two
accounts for one email, one refresh token spent twice), which DynamoDB never allows.
The engine therefore answers one request at a time. Do not remove that lock.
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

__all__ = ["LocalEngine", "free_port", "main"]

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serialized(app: WsgiApp) -> WsgiApp:
    """``app`` answering one request at a time, as isolated as DynamoDB's own writes."""
    lock = threading.Lock()

    def one_at_a_time(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        with lock:
            return list(app(environ, start_response))

    return one_at_a_time


class LocalEngine:
    """A DynamoDB-API engine in this process, listening on loopback only."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 10.0) -> None:
        """Start serving and wait until the engine answers."""
        app = serialized(DomainDispatcherApplication(create_backend_app))
        self._server = make_server("127.0.0.1", self.port, app, threaded=True,
                                   request_handler=MotoRequestHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
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
        if self._thread is not None:
            self._thread.join()

    def wait(self) -> None:
        """Serve until the process is stopped."""
        if self._thread is not None:
            self._thread.join()


def main() -> None:
    """``python -m dynaguard.store.engine --port N``: the engine alone, in the foreground."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--port", type=int, required=True)
    engine = LocalEngine(parser.parse_args().port)
    engine.start()
    try:
        engine.wait()
    except KeyboardInterrupt:
        engine.stop()


if __name__ == "__main__":
    main()

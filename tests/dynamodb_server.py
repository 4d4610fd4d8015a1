"""moto's DynamoDB server for the test suite, with each request applied atomically.

moto's DynamoDB backend takes no lock and its server is threaded, so two conditional
writes to one item (two refreshes with one token, two registrations of one email) can
both pass their condition when they arrive together; DynamoDB never allows that. Here
every request runs to completion before the next one starts, as on DynamoDB, while
connections are still accepted concurrently.

    python tests/dynamodb_server.py HOST PORT
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable, Iterable
from typing import Any

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import run_simple


def serialized(app: Callable[..., Iterable[bytes]]) -> Callable[..., list[bytes]]:
    lock = threading.Lock()

    def handle(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        with lock:
            return list(app(environ, start_response))

    return handle


def main() -> None:
    host, port = sys.argv[1], int(sys.argv[2])
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    app = serialized(DomainDispatcherApplication(create_backend_app))
    run_simple(host, port, app, threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()

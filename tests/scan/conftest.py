"""Scanner fixtures: targets served by a real uvicorn on 127.0.0.1 in a thread."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import uvicorn

from dynaguard.guard.app import create_app
from dynaguard.settings import Settings
from dynaguard.store.engine import free_port

Serve = Callable[[Any], str]


class ServerThread:
    """One ASGI app on a loopback port, lifespan included, until ``stop``."""

    def __init__(self, app: Any) -> None:
        self.port = free_port()
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning",
                                lifespan="on", access_log=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("test server did not start")
            time.sleep(0.02)
        return self.url

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture
def serve() -> Iterator[Serve]:
    """Start apps on loopback ports; all are stopped at the end of the test."""
    servers: list[ServerThread] = []

    def start(app: Any) -> str:
        server = ServerThread(app)
        servers.append(server)
        return server.start()

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def guard_url(settings: Settings, serve: Serve) -> str:
    """The guard service (``dynaguard serve``'s app) on a real loopback server."""
    return serve(create_app(settings))


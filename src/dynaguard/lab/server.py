"""Serving the lab: loopback only, and in a background thread for other test suites.

    from dynaguard.lab.server import running_lab

    with running_lab(settings, flaws="all") as base_url:   # "http://127.0.0.1:<port>"
        httpx.get(base_url + "/auth/me")                   # 401

``running_lab`` starts uvicorn on a free loopback port (an embedded DynamoDB engine too
when ``settings`` names none) and stops both on exit.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterable, Iterator

import uvicorn

from dynaguard.lab.app import create_lab_app
from dynaguard.lab.loopback import NotLoopback, base_url, ensure_loopback
from dynaguard.lab.state import Clock
from dynaguard.ports import free_port
from dynaguard.settings import Settings

__all__ = ["NotLoopback", "base_url", "ensure_loopback", "running_lab"]

START_TIMEOUT = 20.0


@contextlib.contextmanager
def running_lab(
    settings: Settings, flaws: Iterable[str] | str = "none", *, host: str = "127.0.0.1",
    port: int | None = None, clock: Clock = time.time,
) -> Iterator[str]:
    """Serve the lab with uvicorn in a daemon thread; yields its base URL."""
    ensure_loopback(host)
    host = host.strip("[]")
    port = port or free_port()
    app = create_lab_app(settings, flaws, clock=clock)
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning",
                                           lifespan="on"))
    thread = threading.Thread(target=server.run, name=f"dynaguard-lab-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError(f"the lab did not start on {host}:{port}")
        time.sleep(0.02)
    try:
        yield base_url(host, port)
    finally:
        server.should_exit = True
        thread.join(START_TIMEOUT)

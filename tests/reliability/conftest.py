"""Fixtures of the reliability suite: a fault-injecting proxy in front of the engine, an
engine process of a test's own that can be stopped and started again, and apps on them."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from bench.dynamo_proxy import DynamoProxy

from dynaguard.guard.app import create_app
from dynaguard.settings import Settings
from dynaguard.store.engine import free_port
from tests.conftest import Harness


class EngineProcess:
    """``python -m dynaguard.store.engine`` on a fixed loopback port, stoppable."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> None:
        self.proc = subprocess.Popen(  # noqa: S603 -- our own interpreter, fixed arguments
            [sys.executable, "-m", "dynaguard.store.engine", "--port", str(self.port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while True:
            try:
                httpx.get(self.endpoint + "/moto-api/", timeout=1)
            except httpx.TransportError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    self.stop()
                    raise RuntimeError("engine did not start") from None
                time.sleep(0.05)
            else:
                return

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.proc = None


def settings_for(endpoint: str, tmp_path: Path, **overrides: object) -> Settings:
    """Test settings (cheap Argon2, own table and outbox) on the engine at ``endpoint``."""
    values: dict[str, object] = {
        "dynamodb_endpoint": endpoint, "table": f"r-{uuid.uuid4().hex[:12]}",
        "argon2_profile": "insecure-test-only", "mail_url": f"file://{tmp_path / 'outbox'}",
        "data_dir": tmp_path / "data", "hash_concurrency": 4, **overrides,
    }
    return Settings(**values, _env_file=None)  # type: ignore[arg-type]


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[Harness]:
    """The guard app on ``settings``, started, with a client speaking to it."""
    app = create_app(settings)
    guard = app.state.guard
    async with guard.lifespan(app):
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver",
                                     timeout=30) as client:
            yield Harness(client=client, svc=guard.services(), settings=settings, app=app)


@pytest.fixture
async def proxy(dynamodb_endpoint: str) -> AsyncIterator[DynamoProxy]:
    """A proxy in front of the shared engine, injecting nothing until told."""
    async with DynamoProxy(dynamodb_endpoint, seed=11) as started:
        yield started


@pytest.fixture
async def faulty(proxy: DynamoProxy, tmp_path: Path) -> AsyncIterator[Harness]:
    """The app talking to DynamoDB through ``proxy``."""
    async with running(settings_for(proxy.endpoint, tmp_path)) as harness:
        yield harness


@pytest.fixture
def own_engine() -> Iterator[EngineProcess]:
    """An engine process of this test's own, which the test may stop and start."""
    engine = EngineProcess()
    engine.start()
    yield engine
    engine.stop()


class ServeProcess:
    """``dynaguard serve`` in its own process on a loopback port."""

    def __init__(self, env: dict[str, str]) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(  # noqa: S603 -- our own interpreter and command
            [sys.executable, "-m", "dynaguard", "serve", "--port", str(self.port), "--no-demo"],
            env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )

    async def wait_up(self, within: float = 30.0) -> None:
        deadline = time.monotonic() + within
        async with httpx.AsyncClient() as client:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    pytest.fail("service exited at start")
                try:
                    r = await client.get(self.base + "/.well-known/jwks.json", timeout=1)
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
                else:
                    if r.status_code == 200:
                        return
        pytest.fail("service did not start")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)

"""DynamoDB unreachable: the guard fails closed with 503 and ``Retry-After``.

The app runs against a moto server of its own, which is stopped while the app keeps
serving; every answer must then be a problem document that says "try again", with no
internals, and neither a token nor a mail may come out of it.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from dynaguard.guard.app import create_app
from dynaguard.settings import Settings
from dynaguard.store.engine import free_port
from tests.conftest import TEST_PASSWORD, Harness, bearer
from tests.guard.support import assert_no_internals, create_user


@contextmanager
def moto_server() -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A moto server subprocess of this test's own, killed at the end whatever happens."""
    port = free_port()
    proc = subprocess.Popen(  # noqa: S603 -- our own interpreter, fixed arguments
        [sys.executable, "-m", "dynaguard.store.engine", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(endpoint + "/moto-api/", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "moto server did not start"
                assert proc.poll() is None, "moto server exited"
                time.sleep(0.1)
        yield endpoint, proc
    finally:
        proc.kill()
        proc.wait(10)


@pytest.fixture
async def doomed(tmp_path: Path) -> AsyncIterator[tuple[Harness, subprocess.Popen[bytes]]]:
    """A running app whose DynamoDB engine the test can stop."""
    with moto_server() as (endpoint, proc):
        settings = Settings(
            dynamodb_endpoint=endpoint, table=f"t-{uuid.uuid4().hex[:12]}",
            argon2_profile="insecure-test-only", mail_url=f"file://{tmp_path / 'outbox'}",
            data_dir=tmp_path / "data", hash_concurrency=2,
            _env_file=None,  # type: ignore[call-arg]
        )
        app = create_app(settings)
        async with app.state.guard.lifespan(app):
            transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
            async with httpx.AsyncClient(transport=transport,
                                         base_url="http://testserver") as client:
                yield Harness(client=client, svc=app.state.guard.services(),
                              settings=settings, app=app), proc


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert int(response.headers["retry-after"]) >= 1
    assert response.json()["status"] == 503
    assert "token" not in response.text
    assert_no_internals(response)


async def test_store_outage_answers_503_and_issues_nothing(
    doomed: tuple[Harness, subprocess.Popen[bytes]],
) -> None:
    """With DynamoDB gone, login, refresh and an authenticated request all answer 503."""
    harness, engine = doomed
    c = harness.client
    user = await create_user(harness)
    other = await create_user(harness)
    pair = await harness.login(user.email)
    assert (await c.get("/auth/me", headers=bearer(pair["access_token"]))).status_code == 200
    mails_before = sorted(harness.outbox.glob("*.eml")) if harness.outbox.exists() else []

    engine.terminate()
    engine.wait(10)

    answers = await asyncio.gather(
        c.post("/auth/login", json={"email": other.email, "password": TEST_PASSWORD}),
        c.post("/auth/token", data={"username": other.email, "password": TEST_PASSWORD}),
        c.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]}),
        c.get("/auth/me", headers=bearer(pair["access_token"])),
        c.get("/notes", headers=bearer(pair["access_token"])),
        c.post("/auth/register", json={"email": "new-user@example.com",
                                       "password": TEST_PASSWORD}),
    )
    for answer in answers:
        assert_unavailable(answer)
    await harness.svc.drain_mail()
    mails_after = sorted(harness.outbox.glob("*.eml")) if harness.outbox.exists() else []
    assert mails_after == mails_before

"""Shared fixtures: a real DynamoDB engine (moto's server) spoken to over HTTP, a fresh
table per test, and the guard app driven through ``httpx.ASGITransport``."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from email import message_from_bytes
from email.message import Message
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from dynaguard.guard.app import create_app
from dynaguard.guard.services import Services
from dynaguard.settings import Settings
from dynaguard.store.engine import free_port
from dynaguard.store.items import UserItem

TEST_PASSWORD = "quiet-harbor-lantern-97"


@pytest.fixture(autouse=True)
def _throwaway_history(tmp_path_factory: pytest.TempPathFactory,
                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Scans and audits made by tests record into a throwaway history, never the user's."""
    path = tmp_path_factory.mktemp("history") / "history.sqlite3"
    monkeypatch.setenv("DYNAGUARD_HISTORY", str(path))


@pytest.fixture(autouse=True, scope="session")
def _patient_engine_client() -> Iterator[None]:
    """The suite's engine is moto in one process, serving every test on a machine that may
    be busy: a call can take seconds there, which DynamoDB's never should. Every guard the
    suite starts (in process or as `dynaguard serve`) waits for it as long as the client
    used to (four attempts of 5 s); tests/reliability/test_engine_outage.py sets the
    production defaults back and holds the service to their bounds."""
    with pytest.MonkeyPatch.context() as patch:  # session-wide: module fixtures too
        patch.setenv("DYNAGUARD_DYNAMODB_READ_TIMEOUT", "5")
        patch.setenv("DYNAGUARD_DYNAMODB_MAX_ATTEMPTS", "4")
        patch.setenv("DYNAGUARD_DYNAMODB_CALL_TIMEOUT", "25")
        yield


@pytest.fixture(scope="session")
def dynamodb_endpoint() -> Iterator[str]:
    """moto's DynamoDB in its own process (dynaguard's engine wrapper, which makes its
    conditional writes atomic), or the engine named by DYNAGUARD_TEST_DYNAMODB."""
    given = os.environ.get("DYNAGUARD_TEST_DYNAMODB")
    if given:
        yield given
        return
    port = free_port()
    proc = subprocess.Popen(  # noqa: S603 -- our own interpreter, fixed arguments
        [sys.executable, "-m", "dynaguard.store.engine", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(endpoint + "/moto-api/", timeout=1)
            break
        except httpx.TransportError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise RuntimeError("moto server did not start") from None
            time.sleep(0.1)
    yield endpoint
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:  # freeing a large in-memory store can outlast this
        proc.kill()
        proc.wait(10)


@pytest.fixture
def settings(dynamodb_endpoint: str, tmp_path: Path) -> Settings:
    """Settings for one test: its own table, outbox and data directory; cheap Argon2."""
    return Settings(
        dynamodb_endpoint=dynamodb_endpoint,
        table=f"t-{uuid.uuid4().hex[:12]}",
        argon2_profile="insecure-test-only",
        mail_url=f"file://{tmp_path / 'outbox'}",
        data_dir=tmp_path / "data",
        hash_concurrency=4,
        _env_file=None,  # type: ignore[call-arg]
    )


@dataclass
class Harness:
    """A running app, its services and an HTTP client speaking to it."""

    client: httpx.AsyncClient
    svc: Services
    settings: Settings
    app: FastAPI

    @property
    def outbox(self) -> Path:
        assert self.settings.outbox_dir is not None
        return self.settings.outbox_dir

    async def mails_to(self, address: str, count: int = 1, wait_s: float = 5.0) -> list[Message]:
        """Wait for ``count`` mails to ``address`` in the file outbox."""
        await self.svc.drain_mail()
        deadline = time.monotonic() + wait_s
        while True:
            found = []
            if self.outbox.exists():
                for path in sorted(self.outbox.glob("*.eml")):
                    mail = message_from_bytes(path.read_bytes())
                    if mail["To"] == address:
                        found.append(mail)
            if len(found) >= count or time.monotonic() > deadline:
                return found
            await asyncio.sleep(0.05)

    async def login(self, email: str, password: str = TEST_PASSWORD) -> dict[str, object]:
        response = await self.client.post("/auth/login", json={"email": email,
                                                               "password": password})
        assert response.status_code == 200, response.text
        body: dict[str, object] = response.json()
        return body


def mail_text(mail: Message) -> str:
    """The text/plain body of a mail, whether single-part or multipart/alternative."""
    for part in mail.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload.decode(part.get_content_charset() or "utf-8")
    raise AssertionError("the mail has no text/plain part")


# Headers that differ on every response by design: a timestamp, a request correlation id,
# the address's rate-limit budget counting down.
PER_RESPONSE_HEADERS = frozenset({"date", "x-request-id", "ratelimit"})


def wire(response: httpx.Response) -> tuple[int, list[tuple[str, str]], bytes]:
    """What a client can compare between two answers: status, stable headers, body."""
    headers = sorted((k, v) for k, v in response.headers.items() if k not in PER_RESPONSE_HEADERS)
    return response.status_code, headers, response.content


def bearer(token: object) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
async def harness(settings: Settings) -> AsyncIterator[Harness]:
    app = create_app(settings)
    guard = app.state.guard
    async with guard.lifespan(app):
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield Harness(client=client, svc=guard.services(), settings=settings, app=app)


MakeUser = Callable[..., Awaitable[UserItem]]


@pytest.fixture
def make_user(harness: Harness) -> MakeUser:
    """Create an account directly in the table (verified and enabled unless told)."""

    async def make(
        email: str | None = None, password: str = TEST_PASSWORD, *, verified: bool = True,
        enabled: bool = True, scopes: list[str] | None = None,
    ) -> UserItem:
        svc = harness.svc
        address = email or f"user-{uuid.uuid4().hex[:8]}@example.com"
        user = svc.users.new_user(address, await svc.passwords.hash(password),
                                  scopes if scopes is not None else ["notes:read", "notes:write"])
        user = user.model_copy(update={"email_verified": verified, "enabled": enabled})
        await svc.users.create(user)
        return user

    return make

"""Fixtures for the lab: a lab app with chosen flaws, on its own table, driven in-process."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from typing import Any

import httpx
import pytest

from dynaguard.lab import create_lab_app
from dynaguard.lab.state import Lab
from dynaguard.settings import Settings
from dynaguard.store.client import open_client
from tests.conftest import TEST_PASSWORD

__all__ = ["LabClient", "OpenLab", "bearer"]


def bearer(token: object) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class ShiftableClock:
    """Real time plus an offset, so a test can act "an hour ago"."""

    offset: float = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


@dataclass
class LabClient:
    """A started lab and an HTTP client speaking to it (cookies cleared after logins)."""

    client: httpx.AsyncClient
    lab: Lab
    clock: ShiftableClock
    users: list[str] = field(default_factory=list)

    async def post_login(self, body: dict[str, Any], headers: dict[str, str] | None = None
                         ) -> httpx.Response:
        """POST /auth/login without keeping the session cookie it sets."""
        response = await self.client.post("/auth/login", json=body, headers=headers)
        self.client.cookies.clear()
        return response

    async def login(self, email: str, password: str = TEST_PASSWORD, **extra: Any
                    ) -> dict[str, Any]:
        response = await self.post_login({"email": email, "password": password, **extra})
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def mails_to(self, address: str) -> list[str]:
        outbox = self.lab.settings.outbox_dir
        assert outbox is not None
        texts = []
        for path in sorted(outbox.glob("*.eml")) if outbox.exists() else []:
            mail = message_from_bytes(path.read_bytes())
            if mail["To"] == address:
                texts.append(str(mail.get_payload()))
        return texts

    def last_token_to(self, address: str) -> str:
        match = re.search(r"Token: (\S+)", self.mails_to(address)[-1])
        assert match
        return match.group(1)

    async def register(self, password: str = TEST_PASSWORD, *, confirm: bool = True) -> str:
        """Sign up through the API (and confirm the email); returns the address."""
        email = f"user-{uuid.uuid4().hex[:10]}@example.com"
        response = await self.client.post("/auth/register",
                                          json={"email": email, "password": password})
        assert response.status_code == 202, response.text
        if confirm:
            token = self.last_token_to(email)
            verified = await self.client.post("/auth/verify-email", json={"token": token})
            assert verified.status_code == 204, verified.text
        return email


OpenLab = Callable[..., AbstractAsyncContextManager[LabClient]]


@pytest.fixture(scope="session")
async def dynamodb_client(dynamodb_endpoint: str) -> AsyncIterator[Any]:
    """One DynamoDB client shared by every lab of the session (opening one costs ~0.3 s)."""
    async with open_client(dynamodb_endpoint, "us-east-1") as client:
        yield client


@pytest.fixture
def open_lab(settings: Settings, dynamodb_client: Any) -> OpenLab:
    """``async with open_lab(flaws, **settings) as lab_client``: a lab on a fresh table."""

    @asynccontextmanager
    async def open_(flaws: Any = (), **overrides: Any) -> AsyncIterator[LabClient]:
        lab_settings = settings.model_copy(update={"table": f"lab-{uuid.uuid4().hex[:12]}",
                                                   **overrides})
        clock = ShiftableClock()
        app = create_lab_app(lab_settings, flaws, clock=clock, dynamodb=dynamodb_client)
        lab: Lab = app.state.lab
        async with lab.lifespan():
            transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
            async with httpx.AsyncClient(transport=transport, base_url="http://lab.test") as c:
                yield LabClient(client=c, lab=lab, clock=clock)

    return open_

"""Fixtures for sessions, administration, audit, keys and introspection: more app
instances on the test's table, and tokens of a chosen strength (``amr``)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

import httpx
import pytest

from dynaguard.guard.app import create_app
from dynaguard.guard.flows.login import Client, TokenPair, start_session
from dynaguard.settings import Settings
from dynaguard.store.items import SessionItem, UserItem
from tests.conftest import Harness, MakeUser

BROWSER = ("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0")


@contextlib.asynccontextmanager
async def running(settings: Settings, address: str = "127.0.0.1") -> AsyncIterator[Harness]:
    """One more instance of the service on ``settings``' table, driven in-process."""
    app = create_app(settings)
    guard = app.state.guard
    async with guard.lifespan(app):
        transport = httpx.ASGITransport(app=app, client=(address, 50001))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield Harness(client=client, svc=guard.services(), settings=settings, app=app)


SignIn = Callable[..., Awaitable[tuple[SessionItem, TokenPair]]]


@pytest.fixture
def sign_in(harness: Harness) -> SignIn:
    """Start a session for ``user`` as if it had signed in with the factors in ``amr``."""

    async def start(
        user: UserItem, amr: Sequence[str] = ("pwd", "otp"), *, user_agent: str = BROWSER,
        address: str = "198.51.100.7",
    ) -> tuple[SessionItem, TokenPair]:
        return await start_session(harness.svc, user, Client(address, user_agent),
                                   scopes=None, amr=list(amr))

    return start


@pytest.fixture
async def admin(make_user: MakeUser, sign_in: SignIn) -> tuple[UserItem, str]:
    """An administrator signed in with a password and TOTP, and their access token."""
    user = await make_user(scopes=["admin", "notes:read", "notes:write"])
    _, pair = await sign_in(user, ["pwd", "otp"])
    return user, pair.access_token

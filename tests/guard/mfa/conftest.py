"""MFA fixtures: a route of another app that demands the ``admin`` scope, a TOTP app that
never hands out the same time step twice, and helpers to enrol factors."""

# No `from __future__ import annotations`: FastAPI must see the probe route's annotation.

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated, Any

import httpx
import jwt
import pyotp
import pytest
from fastapi import FastAPI

from dynaguard.guard.deps import authenticator, bearer_scheme, require
from dynaguard.guard.mfa.passkeys import relying_party
from dynaguard.guard.principal import Principal
from dynaguard.guard.problems import install_problem_handlers
from dynaguard.settings import Settings
from dynaguard.store.items import UserItem
from tests.conftest import TEST_PASSWORD, Harness, bearer
from tests.guard.mfa.softauthn import SoftAuthenticator

AdminProbe = Callable[[object], Awaitable[httpx.Response]]


def claims(access_token: object) -> dict[str, Any]:
    """The claims of one of our access tokens (the signature is checked by the server)."""
    decoded: dict[str, Any] = jwt.decode(str(access_token), options={"verify_signature": False})
    return decoded


class TotpApp:
    """An authenticator app; ``next_code`` never repeats a time step (as a person would
    after waiting for the next code) and stays inside the server's drift window."""

    def __init__(self, secret: str) -> None:
        self.totp = pyotp.TOTP(secret)
        self.last_step = -1

    async def next_code(self) -> str:
        if 30 - time.time() % 30 < 1.5:
            await asyncio.sleep(1.6)  # not across a step boundary mid-request
        current = int(time.time() // 30)
        step = max(current - 1, self.last_step + 1)
        if step > current + 1:
            await asyncio.sleep(30 - time.time() % 30 + 0.1)
            return await self.next_code()
        self.last_step = step
        return self.totp.generate_otp(step)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "settings(**changes): settings this test runs with")


@pytest.fixture
def settings(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    """The root settings, changed by a ``settings`` marker; defaults MFA tests rely on are
    checked here so a change to them is seen."""
    assert settings.mfa_required_scopes == ["admin"]
    assert settings.throttle_free_failures == 5
    marker = request.node.get_closest_marker("settings")
    return settings.model_copy(update=marker.kwargs) if marker else settings


@pytest.fixture
async def admin_probe(harness: Harness) -> AsyncIterator[AdminProbe]:
    """``GET /reports`` of another app on the same services, demanding the ``admin`` scope
    as an application protecting its own routes with the guard would."""
    svc = harness.svc
    app = FastAPI()
    install_problem_handlers(app)
    authenticate = authenticator(lambda: svc, bearer_scheme("/auth/token"))
    Admin = Annotated[Principal, require(authenticate, ["admin"])]  # noqa: N806 -- a type alias

    @app.get("/reports")
    async def reports(user: Admin) -> dict[str, str]:
        return {"admin": user.id}

    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50001))
    async with httpx.AsyncClient(transport=transport, base_url="http://reports") as client:

        async def get(access_token: object) -> httpx.Response:
            return await client.get("/reports", headers=bearer(access_token))

        yield get


async def login_step(harness: Harness, email: str, scope: str | None = None) -> dict[str, Any]:
    """POST /auth/login and return the body (a token pair or a step-up answer)."""
    body: dict[str, Any] = {"email": email, "password": TEST_PASSWORD}
    if scope is not None:
        body["scope"] = scope
    response = await harness.client.post("/auth/login", json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def enrol_totp(harness: Harness, user: UserItem) -> tuple[TotpApp, list[str], str]:
    """Enrol TOTP for ``user``: the app, the recovery codes and the access token used."""
    pair = await login_step(harness, user.email)
    access = pair["access_token"]
    r = await harness.client.post("/auth/mfa/totp/setup", json={"password": TEST_PASSWORD},
                                  headers=bearer(access))
    assert r.status_code == 200, r.text
    app = TotpApp(r.json()["secret"])
    r = await harness.client.post("/auth/mfa/totp/confirm", json={"code": await app.next_code()},
                                  headers=bearer(access))
    assert r.status_code == 200, r.text
    codes = r.json()["recovery_codes"]
    assert codes is not None
    return app, codes, access


async def step_up(harness: Harness, user: UserItem, app: TotpApp) -> str:
    """Log in with password and TOTP; the access token of the new session."""
    step = await login_step(harness, user.email)
    r = await harness.client.post("/auth/mfa/verify", json={"mfa_token": step["mfa_token"],
                                                           "code": await app.next_code()})
    assert r.status_code == 200, r.text
    access: str = r.json()["access_token"]
    return access


async def register_passkey(
    harness: Harness, access: str
) -> tuple[SoftAuthenticator, dict[str, Any]]:
    """Register a software passkey with the signed-in user's token."""
    _, origins = relying_party(harness.settings)
    authenticator = SoftAuthenticator(origins[0])
    r = await harness.client.post("/auth/mfa/passkeys/register/options",
                                  json={"password": TEST_PASSWORD}, headers=bearer(access))
    assert r.status_code == 200, r.text
    credential = authenticator.create(r.json())
    r = await harness.client.post("/auth/mfa/passkeys", json={"credential": credential,
                                                              "name": "laptop"},
                                  headers=bearer(access))
    assert r.status_code == 201, r.text
    return authenticator, r.json()

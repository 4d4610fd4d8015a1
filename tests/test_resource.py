"""The resource-server helper against a real dynaguard service on loopback (uvicorn):
JWKS verification with key rotation, introspection that sees revocation, a short and
bounded answer cache, and the FastAPI dependency."""

# No `from __future__ import annotations`: the test routes' dependencies are local names.

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

import httpx
import pytest
import uvicorn
from fastapi import Depends, FastAPI
from pydantic import SecretStr

from dynaguard.guard.app import create_app
from dynaguard.guard.services import Services
from dynaguard.resource import (
    IntrospectionClient,
    TokenRejected,
    TokenVerifier,
    VerifiedToken,
    VerifierUnavailable,
)
from dynaguard.settings import Settings
from dynaguard.store.engine import free_port
from tests.conftest import TEST_PASSWORD, bearer

CLIENT = IntrospectionClient("notes-api", "resource-server-secret-0123456789abcdef")


@dataclass
class Live:
    url: str
    svc: Services
    settings: Settings

    async def token_for(self, scopes: list[str] | None = None) -> dict[str, str]:
        user = self.svc.users.new_user(f"rs-{free_port()}@example.com",
                                       await self.svc.passwords.hash(TEST_PASSWORD),
                                       scopes or ["notes:read"])
        await self.svc.users.create(user.model_copy(update={"email_verified": True}))
        async with httpx.AsyncClient(base_url=self.url) as client:
            r = await client.post("/auth/login", json={"email": user.email,
                                                       "password": TEST_PASSWORD})
            assert r.status_code == 200
            body: dict[str, str] = r.json()
            return body

    def verifier(self, **options: object) -> TokenVerifier:
        return TokenVerifier(issuer=self.settings.issuer, audience=self.settings.audience,
                             base_url=self.url, **options)  # type: ignore[arg-type]

    async def logout(self, access: str) -> None:
        async with httpx.AsyncClient(base_url=self.url) as client:
            assert (await client.post("/auth/logout", headers=bearer(access))).status_code == 204


@pytest.fixture
async def live(settings: Settings) -> AsyncIterator[Live]:
    """dynaguard served by uvicorn on a free loopback port."""
    settings = settings.model_copy(update={
        "introspection_client_id": CLIENT.client_id,
        "introspection_client_secret": SecretStr(CLIENT.client_secret)})
    app = create_app(settings)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="on"))
    task = asyncio.create_task(server.serve())
    for _ in range(200):
        if server.started or task.done():
            break
        await asyncio.sleep(0.05)
    assert server.started, "uvicorn did not start"
    yield Live(f"http://127.0.0.1:{port}", app.state.guard.services(), settings)
    server.should_exit = True
    await asyncio.wait_for(task, 20)


async def test_jwks_verification_and_its_limits(live: Live) -> None:
    """Good tokens pass; tampered, foreign-audience and scope-less ones do not; a logged-out
    token still passes a signature-only check (until it expires) but not introspection."""
    pair = await live.token_for(["notes:read"])
    token = pair["access_token"]
    local = live.verifier()
    checked = live.verifier(introspection=CLIENT, cache_ttl=0)
    try:
        verified = await local.verify(token)
        assert verified.scopes == {"notes:read"}
        head, body, sig = token.split(".")
        for bad in (f"{head}.{body}.{sig[:-4]}AAAA", f"{head}.{body[:-2]}xx.{sig}", "junk"):
            with pytest.raises(TokenRejected):
                await local.verify(bad)
        with pytest.raises(TokenRejected):
            await local.verify(token, frozenset({"notes:write"}))
        foreign = TokenVerifier(issuer=live.settings.issuer, audience="another-api",
                                base_url=live.url)
        with pytest.raises(TokenRejected):
            await foreign.verify(token)
        await foreign.aclose()

        assert (await checked.verify(token)).sub == verified.sub
        await live.logout(token)
        assert (await local.verify(token)).sub == verified.sub
        with pytest.raises(TokenRejected):
            await checked.verify(token)
    finally:
        await local.aclose()
        await checked.aclose()


async def test_rotated_keys_are_fetched_once_needed(live: Live) -> None:
    verifier = live.verifier()
    try:
        before = await live.token_for()
        await verifier.verify(before["access_token"])
        await live.svc.tokens.ring.rotate(retire_after=600)
        after = await live.token_for()
        assert after["access_token"].split(".")[0] != before["access_token"].split(".")[0]
        await verifier.verify(after["access_token"])
        await verifier.verify(before["access_token"])
    finally:
        await verifier.aclose()


async def test_introspection_answers_are_cached_briefly_and_boundedly(live: Live) -> None:
    calls: list[str] = []

    async def count(request: httpx.Request) -> None:
        if request.url.path == "/auth/introspect":
            calls.append(request.url.path)

    http = httpx.AsyncClient(event_hooks={"request": [count]})
    verifier = live.verifier(introspection=CLIENT, cache_ttl=0.5, cache_size=2, http=http)
    try:
        tokens = [(await live.token_for())["access_token"] for _ in range(3)]
        for _ in range(5):
            await verifier.verify(tokens[0])
        assert len(calls) == 1
        for token in tokens:
            await verifier.verify(token)
        assert len(verifier._answers) == 2

        await live.logout(tokens[2])
        await verifier.verify(tokens[2])  # the cached answer, for at most cache_ttl
        await asyncio.sleep(0.6)
        with pytest.raises(TokenRejected):
            await verifier.verify(tokens[2])
    finally:
        await http.aclose()


async def test_fastapi_dependency(live: Live) -> None:
    verifier = live.verifier(introspection=CLIENT, cache_ttl=0)
    down = TokenVerifier(issuer=live.settings.issuer, audience=live.settings.audience,
                         base_url=f"http://127.0.0.1:{free_port()}")
    api = FastAPI()

    @api.get("/notes")
    async def notes(
        token: Annotated[VerifiedToken, Depends(verifier.require("notes:read"))]
    ) -> dict[str, str]:
        return {"owner": token.sub}

    @api.get("/admin")
    async def admin(token: Annotated[VerifiedToken, Depends(verifier.require("admin"))]) -> None:
        del token

    @api.get("/down")
    async def unreachable(token: Annotated[VerifiedToken, Depends(down.require())]) -> None:
        del token

    pair = await live.token_for(["notes:read"])
    h = bearer(pair["access_token"])
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api),
                                     base_url="http://resource") as c:
            assert (await c.get("/notes", headers=h)).status_code == 200
            assert (await c.get("/notes")).status_code == 401
            assert (await c.get("/admin", headers=h)).status_code == 403
            r = await c.get("/down", headers=h)
            assert (r.status_code, r.headers["retry-after"]) == (503, "1")
            await live.logout(pair["access_token"])
            assert (await c.get("/notes", headers=h)).status_code == 401
        with pytest.raises(VerifierUnavailable):
            await down.verify(pair["access_token"])
    finally:
        await verifier.aclose()
        await down.aclose()

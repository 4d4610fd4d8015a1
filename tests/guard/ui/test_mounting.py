"""The pages can be turned off, and come with the guard into an application of its own."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from dynaguard.guard.app import create_app
from dynaguard.guard.core import Guard
from dynaguard.settings import Settings


async def test_a_setting_turns_the_pages_off(settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"ui": False}))
    async with app.state.guard.lifespan(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as c:
            assert (await c.get("/ui/sign-in")).status_code == 404
            assert (await c.get("/ui/static/webauthn.js")).status_code == 404
            done = await c.get("/auth/pages/verify-email?token=x" + "y" * 40)
            assert done.status_code == 200
            assert "/ui/sign-in" not in done.text


async def test_library_mode_mounts_the_pages(settings: Settings) -> None:
    guard = Guard(settings)
    app = FastAPI(lifespan=guard.lifespan)
    guard.install(app)
    async with guard.lifespan(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as c:
            page = await c.get("/ui/sign-in")
            assert page.status_code == 200
            assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
            assert (await c.get("/ui/static/ui.css")).status_code == 200

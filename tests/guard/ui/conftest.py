"""Fixtures of the sign-in pages: a browser-like client (its own cookie jar, forms read
from the pages it was given) over the module's shared app."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from html import unescape

import httpx
import pytest

from dynaguard.guard.ui.cookie import COOKIE
from dynaguard.store.items import UserItem
from tests.conftest import TEST_PASSWORD, Harness, MakeUser
from tests.guard.conftest import SharedApp

BASE = "https://testserver"


@dataclass
class Browser:
    """An httpx client that posts the pages' forms as a same-origin browser would."""

    client: httpx.AsyncClient
    harness: Harness

    @property
    def cookie(self) -> str | None:
        return self.client.cookies.get(COOKIE)

    def hold(self, value: str) -> None:
        """Make the browser hold ``value`` as its only cookie (a replayed or planted one)."""
        self.client.cookies.clear()
        self.client.cookies.set(COOKIE, value)

    async def get(self, path: str) -> httpx.Response:
        return await self.client.get(path)

    async def post(self, path: str, data: dict[str, str], *, csrf_from: str | None = None,
                   headers: dict[str, str] | None = None) -> httpx.Response:
        """Post ``data`` to ``path`` with the CSRF token of the page at ``csrf_from``
        (default: ``path`` itself)."""
        page = await self.client.get(csrf_from or path)
        token = csrf_token(page.text)
        sent = {"Origin": BASE, "Sec-Fetch-Site": "same-origin", **(headers or {})}
        return await self.client.post(path, data={"csrf": token, **data}, headers=sent)


def csrf_token(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None, "the page has no form"
    return unescape(found.group(1))


@pytest.fixture
def make_account(shared_app: SharedApp) -> MakeUser:
    """A verified, enabled account in the module's table."""
    svc = shared_app.svc

    async def make(email: str | None = None, password: str = TEST_PASSWORD) -> UserItem:
        address = email or f"ui-{uuid.uuid4().hex[:10]}@example.com"
        user = svc.users.new_user(address, await svc.passwords.hash(password), ["notes:read"])
        await svc.users.create(user.model_copy(update={"email_verified": True}))
        return user

    return make


@pytest.fixture
async def ui_browser(shared_app: SharedApp) -> AsyncIterator[Browser]:
    async with shared_app.harness() as harness:
        transport = harness.client._transport  # the harness's own client address
        async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
            yield Browser(client=client, harness=harness)


@pytest.fixture
async def second_browser(ui_browser: Browser) -> AsyncIterator[Browser]:
    """Another browser (a cookie jar of its own) from the same address."""
    transport = ui_browser.client._transport
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
        yield Browser(client=client, harness=ui_browser.harness)

"""The optional session micro-cache: off by default (every request reads DynamoDB); when
on, bounded in time and size, and revocations made here take effect at once."""

from __future__ import annotations

import asyncio

from dynaguard.guard.admin import revoke_user_sessions
from dynaguard.guard.session_cache import SessionCache
from dynaguard.settings import Settings
from tests.conftest import Harness, MakeUser, bearer
from tests.guard.admin.conftest import running


async def test_off_by_default_a_revocation_elsewhere_counts_at_once(
    harness: Harness, make_user: MakeUser
) -> None:
    assert harness.settings.session_cache_ttl == 0
    user = await make_user()
    pair = await harness.login(user.email)
    c = harness.client
    assert (await c.get("/auth/me", headers=bearer(pair["access_token"]))).status_code == 200
    # As another instance would: the change is pushed to the sessions before it is answered.
    await revoke_user_sessions(harness.svc, user.id, actor="test")
    assert (await c.get("/auth/me", headers=bearer(pair["access_token"]))).status_code == 401


async def test_on_it_saves_reads_and_forgets_local_revocations(
    settings: Settings, make_user: MakeUser
) -> None:
    user = await make_user()
    cached = settings.model_copy(update={"session_cache_ttl": 0.5})
    async with running(cached) as h:
        pair = await h.login(user.email)
        c = h.client
        headers = bearer(pair["access_token"])
        assert (await c.get("/auth/me", headers=headers)).status_code == 200
        before = h.svc.db.calls
        for _ in range(5):
            assert (await c.get("/auth/me", headers=headers)).status_code == 200
        assert h.svc.db.calls == before, "cached checks must not read DynamoDB"

        # Elsewhere (straight to the table, not through this process): seen within the ttl.
        await h.svc.users.bump_credentials_version(user.id)
        await h.svc.account_sync.push(user.id)
        await asyncio.sleep(0.6)
        assert (await c.get("/auth/me", headers=headers)).status_code == 401

        again = await h.login(user.email)
        assert (await c.get("/auth/me", headers=bearer(again["access_token"]))).status_code == 200
        await c.post("/auth/logout", headers=bearer(again["access_token"]))
        assert (await c.get("/auth/me", headers=bearer(again["access_token"]))).status_code == 401


async def test_entries_are_bounded(harness: Harness, make_user: MakeUser) -> None:
    user = await make_user()
    cache = SessionCache(harness.svc.sessions, ttl=5.0, max_entries=3)
    for i in range(10):
        await cache.state(user.id, f"sid{i}")
    assert len(cache._entries) == 3

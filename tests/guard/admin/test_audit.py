"""Every security event of the issue leaves an audit record under the right account,
queryable by user and by time, kept by TTL, and free of secrets."""

from __future__ import annotations

import time

import pytest

from dynaguard.guard.admin import rotate_signing_key
from dynaguard.settings import Settings
from dynaguard.store.audit import ANONYMOUS
from tests.conftest import TEST_PASSWORD, Harness, MakeUser, bearer, mail_text
from tests.guard.admin.conftest import running


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Back-off starts after three failures."""
    return settings.model_copy(update={"throttle_free_failures": 3})


async def _events(harness: Harness, user_id: str) -> list[str]:
    return [r.event for r in await harness.svc.audit.for_user(user_id)]


async def test_sign_in_events_are_recorded(harness: Harness, make_user: MakeUser) -> None:
    """Success, failure and the start of back-off, each under the account it concerns."""
    user = await make_user()
    c = harness.client
    await harness.login(user.email)
    for _ in range(3):
        r = await c.post("/auth/login", json={"email": user.email, "password": "wrong-" * 3})
        assert r.status_code == 401
    r = await c.post("/auth/login", json={"email": user.email, "password": TEST_PASSWORD})
    assert r.status_code == 429
    events = await _events(harness, user.id)
    assert events.count("login_failed") == 3
    assert events.count("login_throttled") == 1
    assert events[-1] == "login_succeeded"
    throttled = next(r for r in await harness.svc.audit.for_user(user.id)
                     if r.event == "login_throttled")
    assert throttled.address == "127.0.0.1"
    assert throttled.detail == {"failures": "3"}


async def test_lock_and_unlock_are_recorded(settings: Settings, make_user: MakeUser) -> None:
    user = await make_user()
    strict = settings.model_copy(update={"throttle_free_failures": 20, "throttle_lock_after": 10})
    async with running(strict) as h:
        for _ in range(10):
            r = await h.client.post("/auth/login", json={"email": user.email, "password": "no"})
            assert r.status_code == 401
        (mail,) = await h.mails_to(user.email)
        token = mail_text(mail).split("Token: ")[1].split()[0]
        assert (await h.client.post("/auth/unlock", json={"token": token})).status_code == 204
        events = await _events(h, user.id)
    assert "account_locked" in events
    assert events[0] == "account_unlocked"


async def test_session_events_are_recorded(harness: Harness, make_user: MakeUser) -> None:
    """Logout, ending one session, logout-all and a replayed refresh token."""
    user = await make_user()
    c = harness.client
    a, _ = [await harness.login(user.email) for _ in range(2)]
    sessions = (await c.get("/auth/sessions", headers=bearer(a["access_token"]))).json()
    other = next(s["id"] for s in sessions if not s["current"])
    assert (await c.delete(f"/auth/sessions/{other}",
                           headers=bearer(a["access_token"]))).status_code == 204
    assert (await c.post("/auth/logout", headers=bearer(a["access_token"]))).status_code == 204
    d = await harness.login(user.email)
    r = await c.post("/auth/refresh", json={"refresh_token": d["refresh_token"]})
    assert r.status_code == 200
    r = await c.post("/auth/refresh", json={"refresh_token": d["refresh_token"]})
    assert r.status_code == 401
    e = await harness.login(user.email)
    assert (await c.post("/auth/logout-all", headers=bearer(e["access_token"]))).status_code == 204
    events = await _events(harness, user.id)
    for event in ("session_revoked", "logout", "refresh_token_reuse", "logout_all"):
        assert event in events, event


async def test_admin_actions_are_recorded_with_their_actor(
    harness: Harness, make_user: MakeUser, admin: tuple[object, str]
) -> None:
    me, token = admin
    admin_id = me.id  # type: ignore[attr-defined]
    user = await make_user()
    h = bearer(token)
    c = harness.client
    for method, path in [
        ("POST", f"/admin/users/{user.id}/disable"), ("POST", f"/admin/users/{user.id}/enable"),
        ("POST", f"/admin/users/{user.id}/revoke-sessions"),
        ("PUT", f"/admin/users/{user.id}/scopes/reports:read"),
        ("DELETE", f"/admin/users/{user.id}/scopes/reports:read"),
    ]:
        assert (await c.request(method, path, headers=h)).status_code in (200, 204)
    records = await harness.svc.audit.for_user(user.id)
    assert [r.event for r in reversed(records)] == [
        "admin_user_disabled", "admin_user_enabled", "admin_sessions_revoked",
        "admin_scope_granted", "admin_scope_removed"]
    assert {r.detail["actor"] for r in records} == {f"user:{admin_id}"}
    assert [r.detail.get("scope") for r in records[:2]] == ["reports:read"] * 2

    key = await rotate_signing_key(harness.svc, actor="cli")
    rotated = [r for r in await harness.svc.audit.for_user(ANONYMOUS)
               if r.event == "signing_key_rotated"]
    assert [(r.detail["kid"], r.detail["actor"]) for r in rotated] == [(key.kid, "cli")]


async def test_records_are_found_by_time_kept_by_ttl_and_hold_no_secret(
    harness: Harness, make_user: MakeUser
) -> None:
    user = await make_user()
    before = time.time()
    pair = await harness.login(user.email)
    await harness.client.post("/auth/login", json={"email": user.email, "password": "bad" * 5})
    after = time.time()
    window = await harness.svc.audit.between(before, after)
    assert {r.event for r in window} == {"login_succeeded", "login_failed"}
    assert await harness.svc.audit.for_user(user.id, until=before) == []
    for record in window:
        assert record.expires_at == record.at + harness.settings.audit_retention
        text = record.model_dump_json()
        for secret in (TEST_PASSWORD, "bad" * 5, str(pair["access_token"]),
                       str(pair["refresh_token"]), user.password_hash):
            assert secret not in text

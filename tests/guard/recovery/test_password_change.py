"""Changing the password of a signed-in account."""

from __future__ import annotations

from tests.conftest import TEST_PASSWORD, Harness, MakeUser, bearer

NEW_PASSWORD = "amber-glacier-piano-3308"


async def _change(harness: Harness, access: object, current: str, new: str) -> int:
    r = await harness.client.post(
        "/auth/password/change", headers=bearer(access),
        json={"current_password": current, "new_password": new})
    return r.status_code


async def test_change_ends_other_sessions_and_keeps_this_one(
    harness: Harness, make_user: MakeUser
) -> None:
    """Tokens of other sessions fail at once; the changing session's access and refresh
    tokens keep working; the new password signs in and the old one does not."""
    user = await make_user()
    mine, other = await harness.login(user.email), await harness.login(user.email)
    assert await _change(harness, mine["access_token"], TEST_PASSWORD, NEW_PASSWORD) == 204

    c = harness.client
    assert (await c.get("/auth/me", headers=bearer(other["access_token"]))).status_code == 401
    r = await c.post("/auth/refresh", json={"refresh_token": other["refresh_token"]})
    assert r.status_code == 401
    assert (await c.get("/auth/me", headers=bearer(mine["access_token"]))).status_code == 200
    r = await c.post("/auth/refresh", json={"refresh_token": mine["refresh_token"]})
    assert r.status_code == 200
    assert (await c.get("/auth/me", headers=bearer(r.json()["access_token"]))).status_code == 200
    sessions = await c.get("/auth/sessions", headers=bearer(mine["access_token"]))
    assert len(sessions.json()) == 1

    old = await c.post("/auth/login", json={"email": user.email, "password": TEST_PASSWORD})
    assert old.status_code == 401
    await harness.login(user.email, NEW_PASSWORD)
    (notice,) = await harness.mails_to(user.email)
    assert notice["Subject"] == "Your password was changed"
    events = [r.event for r in await harness.svc.audit.for_user(user.id)]
    assert "password_changed" in events


async def test_change_needs_the_current_password_and_is_throttled(
    harness: Harness, make_user: MakeUser
) -> None:
    """Wrong current passwords change nothing and back off like logins do."""
    user = await make_user()
    pair = await harness.login(user.email)
    free = harness.settings.throttle_free_failures
    statuses: list[int] = []
    # Backoff starts at 1 s after `free` failures and doubles; stored times are whole
    # seconds, so the first delayed try may slip through, but not the third.
    while 429 not in statuses and len(statuses) < free + 3:
        statuses.append(await _change(harness, pair["access_token"], "wrong", NEW_PASSWORD))
    assert statuses[:free] == [400] * free
    assert statuses[-1] == 429
    # Even the right password waits now: the backoff is decided before any check.
    assert await _change(harness, pair["access_token"], TEST_PASSWORD, NEW_PASSWORD) == 429
    assert (await harness.client.get("/auth/me",
                                     headers=bearer(pair["access_token"]))).status_code == 200
    await harness.login(user.email)
    events = [r.event for r in await harness.svc.audit.for_user(user.id)]
    assert events.count("password_check_failed") == len(statuses) - 1


async def test_change_applies_the_password_policy(harness: Harness, make_user: MakeUser) -> None:
    user = await make_user()
    pair = await harness.login(user.email)
    r = await harness.client.post(
        "/auth/password/change", headers=bearer(pair["access_token"]),
        json={"current_password": TEST_PASSWORD, "new_password": "short"})
    assert r.status_code == 400
    assert r.json()["reasons"]
    await harness.login(user.email)


async def test_change_needs_a_live_token(harness: Harness, make_user: MakeUser) -> None:
    user = await make_user()
    pair = await harness.login(user.email)
    await harness.client.post("/auth/logout", headers=bearer(pair["access_token"]))
    assert await _change(harness, pair["access_token"], TEST_PASSWORD, NEW_PASSWORD) == 401
    r = await harness.client.post("/auth/password/change", json={
        "current_password": TEST_PASSWORD, "new_password": NEW_PASSWORD})
    assert r.status_code == 401

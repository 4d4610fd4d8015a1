"""The /admin routes: refused without the admin scope or a second factor; disable, enable,
revoke, scopes, listing and the audit log, as an operator would use them."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from tests.conftest import Harness, MakeUser, bearer
from tests.guard.admin.conftest import SignIn

ADMIN_OPERATIONS = [
    ("GET", "/admin/users", 200),
    ("GET", "/admin/users/{user_id}", 200),
    ("POST", "/admin/users/{user_id}/disable", 204),
    ("POST", "/admin/users/{user_id}/enable", 204),
    ("POST", "/admin/users/{user_id}/revoke-sessions", 204),
    ("PUT", "/admin/users/{user_id}/scopes/{scope}", 200),
    ("DELETE", "/admin/users/{user_id}/scopes/{scope}", 200),
    ("GET", "/admin/audit", 200),
]


async def test_every_admin_operation_needs_the_scope_and_a_second_factor(
    harness: Harness, make_user: MakeUser, sign_in: SignIn
) -> None:
    """No token: 401. No admin scope: 403. Admin scope with a password only: 403.
    Admin scope after TOTP: the operation runs."""
    paths = (await harness.client.get("/openapi.json")).json()["paths"]
    routes = {(method.upper(), path) for path, ops in paths.items()
              if path.startswith("/admin") for method in ops}
    assert routes == {(m, p) for m, p, _ in ADMIN_OPERATIONS}, "an admin route is untested"

    target = await make_user()
    plain = await make_user()
    boss = await make_user(scopes=["admin", "notes:read"])
    _, plain_mfa = await sign_in(plain, ["pwd", "otp"])
    _, boss_password_only = await sign_in(boss, ["pwd"])
    _, boss_mfa = await sign_in(boss, ["pwd", "hwk"])
    c = harness.client
    for method, template, ok in ADMIN_OPERATIONS:
        path = template.format(user_id=target.id, scope="reports:read")
        assert (await c.request(method, path)).status_code == 401, path
        for refused in (plain_mfa, boss_password_only):
            r = await c.request(method, path, headers=bearer(refused.access_token))
            assert r.status_code == 403, (method, path)
            assert r.headers["content-type"] == "application/problem+json"
        r = await c.request(method, path, headers=bearer(boss_mfa.access_token))
        assert r.status_code == ok, (method, path, r.text)


async def test_disabled_users_existing_token_fails_on_the_next_request(
    harness: Harness, make_user: MakeUser, admin: tuple[object, str]
) -> None:
    """Disabling ends every session at once: access tokens 401, refresh 401, login 401;
    enabling again allows a new login but revives no old session."""
    _, admin_token = admin
    user = await make_user()
    first, second = await harness.login(user.email), await harness.login(user.email)
    c = harness.client
    assert (await c.get("/auth/me", headers=bearer(first["access_token"]))).status_code == 200

    r = await c.post(f"/admin/users/{user.id}/disable", headers=bearer(admin_token))
    assert r.status_code == 204
    for pair in (first, second):
        assert (await c.get("/auth/me", headers=bearer(pair["access_token"]))).status_code == 401
        r = await c.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
        assert r.status_code == 401
    r = await c.post("/auth/login", json={"email": user.email, "password": "x" * 12})
    assert r.status_code == 401

    r = await c.post(f"/admin/users/{user.id}/enable", headers=bearer(admin_token))
    assert r.status_code == 204
    assert (await c.get("/auth/me", headers=bearer(first["access_token"]))).status_code == 401
    fresh = await harness.login(user.email)
    assert (await c.get("/auth/me", headers=bearer(fresh["access_token"]))).status_code == 200


async def test_revoke_sessions_ends_every_session_but_not_the_account(
    harness: Harness, make_user: MakeUser, admin: tuple[object, str]
) -> None:
    _, admin_token = admin
    user = await make_user()
    pair = await harness.login(user.email)
    c = harness.client
    r = await c.post(f"/admin/users/{user.id}/revoke-sessions", headers=bearer(admin_token))
    assert r.status_code == 204
    assert (await c.get("/auth/me", headers=bearer(pair["access_token"]))).status_code == 401
    again = await harness.login(user.email)
    assert (await c.get("/auth/me", headers=bearer(again["access_token"]))).status_code == 200


async def test_scopes_are_granted_and_removed_with_effect(
    harness: Harness, make_user: MakeUser, admin: tuple[object, str]
) -> None:
    """A removed scope stops working on the next request; a granted one comes with the
    next login; repeating either changes nothing."""
    _, admin_token = admin
    user = await make_user(scopes=["notes:read", "notes:write"])
    pair = await harness.login(user.email)
    c = harness.client
    h = bearer(admin_token)
    assert (await c.get("/notes", headers=bearer(pair["access_token"]))).status_code == 200

    r = await c.delete(f"/admin/users/{user.id}/scopes/notes:read", headers=h)
    assert (r.status_code, r.json()["scopes"]) == (200, ["notes:write"])
    assert (await c.get("/notes", headers=bearer(pair["access_token"]))).status_code == 403
    r = await c.delete(f"/admin/users/{user.id}/scopes/notes:read", headers=h)
    assert (r.status_code, r.json()["scopes"]) == (200, ["notes:write"])

    r = await c.put(f"/admin/users/{user.id}/scopes/notes:read", headers=h)
    assert r.json()["scopes"] == ["notes:read", "notes:write"]
    r = await c.put(f"/admin/users/{user.id}/scopes/notes:read", headers=h)
    assert r.json()["scopes"] == ["notes:read", "notes:write"]
    fresh = await harness.login(user.email)
    assert (await c.get("/notes", headers=bearer(fresh["access_token"]))).status_code == 200

    assert (await c.put(f"/admin/users/{user.id}/scopes/bad%20scope",
                        headers=h)).status_code == 422
    assert (await c.put("/admin/users/nobody/scopes/x", headers=h)).status_code == 404


async def test_concurrent_scope_changes_all_land(
    harness: Harness, make_user: MakeUser, admin: tuple[object, str]
) -> None:
    """Ten administrators granting different scopes at once lose none of them, and
    concurrent removals each remove their own (conditional writes, no lost update)."""
    _, admin_token = admin
    user = await make_user(scopes=[])
    h = bearer(admin_token)
    c = harness.client
    scopes = [f"s{i}" for i in range(10)]
    responses = await asyncio.gather(*(
        c.put(f"/admin/users/{user.id}/scopes/{s}", headers=h) for s in scopes))
    assert {r.status_code for r in responses} == {200}
    stored = await harness.svc.users.get(user.id)
    assert stored is not None
    assert sorted(stored.scopes) == sorted(scopes)

    responses = await asyncio.gather(*(
        c.delete(f"/admin/users/{user.id}/scopes/{s}", headers=h) for s in scopes[:5]))
    assert {r.status_code for r in responses} == {200}
    stored = await harness.svc.users.get(user.id)
    assert stored is not None
    assert sorted(stored.scopes) == scopes[5:]


async def test_admins_cannot_lock_themselves_out(
    harness: Harness, admin: tuple[object, str]
) -> None:
    me, token = admin
    c = harness.client
    me_id = me.id  # type: ignore[attr-defined]
    assert (await c.post(f"/admin/users/{me_id}/disable",
                         headers=bearer(token))).status_code == 409
    assert (await c.delete(f"/admin/users/{me_id}/scopes/admin",
                           headers=bearer(token))).status_code == 409


async def test_users_are_listed_searched_and_paged(
    harness: Harness, make_user: MakeUser, admin: tuple[object, str], sign_in: SignIn
) -> None:
    """Search by email prefix, page through with the cursor, never see a password hash."""
    _, token = admin
    for name in ("carol", "cathy", "chris", "dave"):
        await make_user(f"{name}@example.com")
    c = harness.client
    h = bearer(token)
    r = await c.get("/admin/users", params={"email_prefix": "CA"}, headers=h)
    assert [u["email"] for u in r.json()["users"]] == ["carol@example.com", "cathy@example.com"]
    assert "password_hash" not in r.text
    assert "$argon2" not in r.text

    seen: list[str] = []
    cursor = None
    for _ in range(10):
        params = {"email_prefix": "c", "limit": 2, **({"cursor": cursor} if cursor else {})}
        body = (await c.get("/admin/users", params=params, headers=h)).json()
        seen += [u["email"] for u in body["users"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == ["carol@example.com", "cathy@example.com", "chris@example.com"]
    assert (await c.get("/admin/users", params={"cursor": "not-ours"},
                        headers=h)).status_code == 400

    dave = (await c.get("/admin/users", params={"email_prefix": "dave"},
                        headers=h)).json()["users"][0]
    user = await harness.svc.users.get(dave["id"])
    assert user is not None
    await sign_in(user, ["pwd"])
    detail = (await c.get(f"/admin/users/{dave['id']}", headers=h)).json()
    assert detail["email"] == "dave@example.com"
    assert [s["device"] for s in detail["sessions"]] == ["Firefox on Linux"]
    assert (await c.get("/admin/users/0123", headers=h)).status_code == 404


async def test_audit_log_is_queried_by_user_and_by_time(
    harness: Harness, make_user: MakeUser, admin: tuple[object, str]
) -> None:
    _, token = admin
    h = bearer(token)
    alice, bob = await make_user(), await make_user()
    c = harness.client
    await c.post(f"/admin/users/{alice.id}/revoke-sessions", headers=h)
    await c.post(f"/admin/users/{bob.id}/revoke-sessions", headers=h)

    mine = (await c.get("/admin/audit", params={"user_id": alice.id}, headers=h)).json()
    assert [(r["event"], r["user_id"]) for r in mine] == [("admin_sessions_revoked", alice.id)]

    now = datetime.now(UTC)
    window = {"since": (now - timedelta(minutes=5)).isoformat(), "until": now.isoformat()}
    everyone = (await c.get("/admin/audit", params=window, headers=h)).json()
    assert {r["user_id"] for r in everyone if r["event"] == "admin_sessions_revoked"} == {
        alice.id, bob.id}
    past = {"since": (now - timedelta(days=2)).isoformat(),
            "until": (now - timedelta(days=1)).isoformat()}
    assert (await c.get("/admin/audit", params=past, headers=h)).json() == []
    too_long = {"since": (now - timedelta(days=40)).isoformat()}
    assert (await c.get("/admin/audit", params=too_long, headers=h)).status_code == 400

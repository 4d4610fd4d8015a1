"""The whole path a user walks: register, verify, login, use, refresh, logout."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator

from dynaguard.guard.admin import disable_user
from tests.conftest import TEST_PASSWORD, Harness, MakeUser, bearer, mail_text


def _token_from(mail_text: str) -> str:
    match = re.search(r"Token: (\S+)", mail_text)
    assert match, mail_text
    return match.group(1)


async def test_register_verify_login_refresh_logout(harness: Harness) -> None:
    """A new user gets a mail, verifies, logs in, refreshes and logs out for good."""
    c = harness.client
    email = "alice@example.com"
    r = await c.post("/auth/register", json={"email": email, "password": TEST_PASSWORD})
    assert (r.status_code, r.json()) == (202, {"status": "accepted"})

    r = await c.post("/auth/login", json={"email": email, "password": TEST_PASSWORD})
    assert r.status_code == 401, "login must wait for the email to be verified"

    (mail,) = await harness.mails_to(email)
    token = _token_from(mail_text(mail))
    assert (await c.post("/auth/verify-email", json={"token": token})).status_code == 204
    assert (await c.post("/auth/verify-email", json={"token": token})).status_code == 400

    pair = await harness.login(email)
    assert pair["token_type"] == "bearer"
    me = await c.get("/auth/me", headers=bearer(pair["access_token"]))
    assert me.status_code == 200
    assert me.json()["email"] == email
    assert me.json()["email_verified"] is True

    r = await c.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert r.status_code == 200
    new_pair = r.json()
    assert new_pair["refresh_token"] != pair["refresh_token"]

    access = new_pair["access_token"]
    assert (await c.post("/auth/logout", headers=bearer(access))).status_code == 204
    assert (await c.get("/auth/me", headers=bearer(access))).status_code == 401
    r = await c.post("/auth/refresh", json={"refresh_token": new_pair["refresh_token"]})
    assert r.status_code == 401


async def test_replayed_refresh_token_revokes_its_family(
    harness: Harness, make_user: MakeUser
) -> None:
    """Replaying a rotated refresh token fails and kills the newest token of the family."""
    user = await make_user()
    first = await harness.login(user.email)
    c = harness.client
    second = (await c.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})).json()

    replay = await c.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert replay.status_code == 401
    newest = await c.post("/auth/refresh", json={"refresh_token": second["refresh_token"]})
    assert newest.status_code == 401
    me = await c.get("/auth/me", headers=bearer(second["access_token"]))
    assert me.status_code == 401


async def test_existing_email_gets_a_notice_not_a_second_account(
    harness: Harness, make_user: MakeUser
) -> None:
    """Registering a taken email answers 202 and mails the owner a notice."""
    user = await make_user()
    body = {"email": user.email, "password": "another-" + TEST_PASSWORD}
    r = await harness.client.post("/auth/register", json=body)
    assert (r.status_code, r.json()) == (202, {"status": "accepted"})
    (mail,) = await harness.mails_to(user.email)
    assert "already exists" in mail_text(mail)
    assert "Token:" not in mail_text(mail)


async def test_concurrent_registrations_make_one_account(harness: Harness) -> None:
    """20 concurrent registrations of one email create exactly one account."""
    email = "race@example.com"
    responses = await asyncio.gather(*(
        harness.client.post("/auth/register",
                            json={"email": email, "password": f"{TEST_PASSWORD}-{i}"})
        for i in range(20)
    ))
    assert {r.status_code for r in responses} == {202}
    mails = await harness.mails_to(email, count=20)
    verification = [m for m in mails if "Token:" in mail_text(m)]
    assert len(mails) == 20
    assert len(verification) == 1
    page = await harness.svc.db.client.scan(TableName=harness.settings.table)
    users = [i for i in page["Items"]
             if i["sk"]["S"] == "PROFILE" and i["gsi1pk"]["S"] == "USERS"]
    assert len(users) == 1


async def test_concurrent_refreshes_succeed_once(harness: Harness, make_user: MakeUser) -> None:
    """20 concurrent refreshes with one token: exactly one succeeds."""
    user = await make_user()
    pair = await harness.login(user.email)
    responses = await asyncio.gather(*(
        harness.client.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
        for _ in range(20)
    ))
    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(200) == 1
    assert statuses.count(401) == 19


async def test_logout_all_ends_every_session(harness: Harness, make_user: MakeUser) -> None:
    user = await make_user()
    a = await harness.login(user.email)
    b = await harness.login(user.email)
    c = harness.client
    assert (await c.post("/auth/logout-all", headers=bearer(a["access_token"]))).status_code == 204
    for pair in (a, b):
        assert (await c.get("/auth/me", headers=bearer(pair["access_token"]))).status_code == 401
        r = await c.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
        assert r.status_code == 401


async def test_sessions_are_listed_and_only_own_can_be_ended(
    harness: Harness, make_user: MakeUser
) -> None:
    """A user lists their sessions; another user's session id is a 404."""
    alice, bob = await make_user(), await make_user()
    a1 = await harness.login(alice.email)
    a2 = await harness.login(alice.email)
    b1 = await harness.login(bob.email)
    c = harness.client
    listed = (await c.get("/auth/sessions", headers=bearer(a1["access_token"]))).json()
    assert len(listed) == 2
    assert sum(s["current"] for s in listed) == 1
    other = next(s["id"] for s in listed if not s["current"])
    bob_sid = (await c.get("/auth/sessions", headers=bearer(b1["access_token"]))).json()[0]["id"]

    r = await c.delete(f"/auth/sessions/{bob_sid}", headers=bearer(a1["access_token"]))
    assert r.status_code == 404
    assert (await c.get("/auth/me", headers=bearer(b1["access_token"]))).status_code == 200
    r = await c.delete(f"/auth/sessions/{other}", headers=bearer(a1["access_token"]))
    assert r.status_code == 204
    assert (await c.get("/auth/me", headers=bearer(a2["access_token"]))).status_code == 401


async def test_disabled_user_token_fails_on_next_request(
    harness: Harness, make_user: MakeUser
) -> None:
    user = await make_user()
    pair = await harness.login(user.email)
    await disable_user(harness.svc, user.id, actor="test")
    me = await harness.client.get("/auth/me", headers=bearer(pair["access_token"]))
    assert me.status_code == 401


async def test_token_endpoint_accepts_oauth2_form(harness: Harness, make_user: MakeUser) -> None:
    """Swagger's Authorize button posts a form to /auth/token and gets a usable token."""
    user = await make_user(scopes=["notes:read"])
    r = await harness.client.post("/auth/token", data={
        "username": user.email, "password": TEST_PASSWORD, "scope": "notes:read notes:write"})
    assert r.status_code == 200
    assert r.headers["cache-control"] == "no-store"
    access = r.json()["access_token"]
    assert (await harness.client.get("/notes", headers=bearer(access))).status_code == 200
    post = await harness.client.post("/notes", json={"text": "x"}, headers=bearer(access))
    assert post.status_code == 403


async def test_oversized_body_is_refused_before_parsing(harness: Harness) -> None:
    """A body over 64 KiB gets a 413 problem, not a parse of megabytes."""
    huge = {"email": "a@example.com", "password": "x" * 200_000}
    r = await harness.client.post("/auth/login", json=huge)
    assert r.status_code == 413
    assert r.headers["content-type"] == "application/problem+json"


async def test_oversized_chunked_body_is_refused_too(harness: Harness) -> None:
    """Without a Content-Length (chunked upload) the limit holds as well: a 413 problem,
    never a 500 from a body cut off under the application."""

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"email": "a@example.com", "password": "'
        for _ in range(20):
            yield b"x" * 8192
        yield b'"}'

    r = await harness.client.post("/auth/login", content=chunks(),
                                  headers={"content-type": "application/json"})
    assert "content-length" not in r.request.headers
    assert r.status_code == 413
    assert r.headers["content-type"] == "application/problem+json"

    async def small() -> AsyncIterator[bytes]:
        yield b'{"email": "a@example.com",'
        yield b' "password": "not the password at all"}'

    r = await harness.client.post("/auth/login", content=small(),
                                  headers={"content-type": "application/json"})
    assert r.status_code == 401


async def test_auth_answers_are_not_cached(harness: Harness, make_user: MakeUser) -> None:
    """Every /auth answer carries Cache-Control: no-store and nosniff."""
    user = await make_user()
    pair = await harness.login(user.email)
    r = await harness.client.get("/auth/me", headers=bearer(pair["access_token"]))
    assert r.headers["cache-control"] == "no-store"
    assert r.headers["x-content-type-options"] == "nosniff"

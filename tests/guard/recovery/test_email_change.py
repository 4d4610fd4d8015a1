"""Changing the email address: password first, the new address confirms, the old is told."""

from __future__ import annotations

import asyncio

from dynaguard.guard.account_routes import ACCOUNT_PUBLIC_ROUTES
from dynaguard.guard.routes import PUBLIC_ROUTES
from dynaguard.store.schema import claim_key
from tests.conftest import TEST_PASSWORD, Harness, MakeUser, bearer, mail_text
from tests.guard.recovery.conftest import token_from


async def _request(harness: Harness, access: object, new_email: str,
                   password: str = TEST_PASSWORD) -> int:
    r = await harness.client.post("/auth/email/change", headers=bearer(access),
                                  json={"password": password, "new_email": new_email})
    return r.status_code


async def _confirm(harness: Harness, token: str) -> int:
    r = await harness.client.post("/auth/email/confirm", json={"token": token})
    return r.status_code


async def test_email_switches_only_after_the_new_address_confirms(
    harness: Harness, make_user: MakeUser
) -> None:
    user = await make_user()
    pair = await harness.login(user.email)
    new_email = "fresh-address@example.org"
    assert await _request(harness, pair["access_token"], new_email) == 202
    (confirm,) = await harness.mails_to(new_email)
    token = token_from(confirm)
    assert f"/auth/pages/email-confirm?token={token}" in mail_text(confirm)
    me = await harness.client.get("/auth/me", headers=bearer(pair["access_token"]))
    assert me.json()["email"] == user.email, "nothing changes before confirmation"

    assert await _confirm(harness, token) == 204
    assert await _confirm(harness, token) == 400
    me = await harness.client.get("/auth/me", headers=bearer(pair["access_token"]))
    assert (me.json()["email"], me.json()["email_verified"]) == (new_email, True)
    await harness.login(new_email)
    old = await harness.client.post("/auth/login", json={"email": user.email,
                                                         "password": TEST_PASSWORD})
    assert old.status_code == 401
    (notice,) = await harness.mails_to(user.email)
    assert notice["Subject"] == "Your email address was changed"
    assert "f***@example.org" in mail_text(notice)
    table = harness.settings.table
    released = await harness.svc.db.client.get_item(TableName=table, Key=claim_key(user.email))
    assert "Item" not in released
    events = [r.event for r in await harness.svc.audit.for_user(user.id)]
    assert {"email_change_requested", "email_changed"} <= set(events)


async def test_email_change_needs_the_password(harness: Harness, make_user: MakeUser) -> None:
    user = await make_user()
    pair = await harness.login(user.email)
    assert await _request(harness, pair["access_token"], "x@example.org", "not-it") == 400
    assert await harness.mails_to("x@example.org", wait_s=0) == []


async def test_taken_address_is_refused_at_confirmation(
    harness: Harness, make_user: MakeUser
) -> None:
    """The requester learns nothing; the confirmation fails and nothing moves."""
    user, owner = await make_user(), await make_user()
    pair = await harness.login(user.email)
    assert await _request(harness, pair["access_token"], owner.email) == 202
    (mail,) = await harness.mails_to(owner.email)
    assert await _confirm(harness, token_from(mail)) == 409
    await harness.login(user.email)
    await harness.login(owner.email)


async def test_concurrent_claims_of_one_address_succeed_once(
    harness: Harness, make_user: MakeUser
) -> None:
    """Two accounts confirming the same new address at once: exactly one gets it."""
    wanted = "contested@example.org"
    tokens = []
    for user in (await make_user(), await make_user()):
        pair = await harness.login(user.email)
        assert await _request(harness, pair["access_token"], wanted) == 202
    tokens = [token_from(m) for m in await harness.mails_to(wanted, count=2)]
    statuses = await asyncio.gather(*(_confirm(harness, t) for t in tokens))
    assert sorted(statuses)[0] == 204
    assert sorted(statuses)[1] in (400, 409)
    page = await harness.svc.db.client.scan(TableName=harness.settings.table)
    owners = [i for i in page["Items"] if i.get("email", {}).get("S") == wanted]
    assert len(owners) == 1


async def test_email_change_ends_a_pending_reset_and_an_older_request(
    harness: Harness, make_user: MakeUser
) -> None:
    """A reset link mailed to the old address dies with the change; so does the link of
    an earlier change request."""
    user = await make_user()
    await harness.client.post("/auth/password/forgot", json={"email": user.email})
    reset_token = token_from((await harness.mails_to(user.email))[0])
    pair = await harness.login(user.email)
    assert await _request(harness, pair["access_token"], "first@example.org") == 202
    assert await _request(harness, pair["access_token"], "second@example.org") == 202
    first = token_from((await harness.mails_to("first@example.org"))[0])
    second = token_from((await harness.mails_to("second@example.org"))[0])
    assert await _confirm(harness, first) == 400
    assert await _confirm(harness, second) == 204
    r = await harness.client.post("/auth/password/reset", json={
        "token": reset_token, "new_password": "copper-meadow-signal-4410"})
    assert r.status_code == 400


async def test_account_routes_without_a_token_are_exactly_the_public_ones(
    harness: Harness,
) -> None:
    """Every account route outside ACCOUNT_PUBLIC_ROUTES refuses a request without a token
    (CWE-306), and the public ones are listed in the guard's PUBLIC_ROUTES."""
    assert ACCOUNT_PUBLIC_ROUTES <= PUBLIC_ROUTES
    for path in ("/auth/password/change", "/auth/email/change"):
        assert ("POST", path) not in PUBLIC_ROUTES
        r = await harness.client.post(path, json={})
        assert r.status_code == 401, path


async def test_credentials_change_voids_a_pending_email_change(
    harness: Harness, make_user: MakeUser
) -> None:
    """A password change (or any credentials change) after the request kills its link, so
    someone holding a stolen password cannot finish moving the account afterwards."""
    user = await make_user()
    pair = await harness.login(user.email)
    assert await _request(harness, pair["access_token"], "attacker@example.org") == 202
    (confirm,) = await harness.mails_to("attacker@example.org")
    r = await harness.client.post(
        "/auth/password/change", headers=bearer(pair["access_token"]),
        json={"current_password": TEST_PASSWORD, "new_password": "brand-new-" + TEST_PASSWORD})
    assert r.status_code == 204
    assert await _confirm(harness, token_from(confirm)) == 400
    me = await harness.client.get("/auth/me", headers=bearer(pair["access_token"]))
    assert me.json()["email"] == user.email

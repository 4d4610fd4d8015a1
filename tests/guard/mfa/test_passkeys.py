"""Passkeys with a software authenticator: registration, second factor, passwordless."""

from __future__ import annotations

from tests.conftest import TEST_PASSWORD, Harness, MakeUser, bearer
from tests.guard.mfa.conftest import (
    AdminProbe,
    claims,
    enrol_totp,
    login_step,
    register_passkey,
    step_up,
)
from tests.guard.mfa.softauthn import SoftAuthenticator


async def test_register_and_use_as_second_factor(harness: Harness, make_user: MakeUser) -> None:
    """A registered passkey turns MFA on and redeems a step-up ticket (amr pwd+hwk)."""
    user = await make_user(scopes=["notes:read", "admin"])
    first = await login_step(harness, user.email)
    authenticator, passkey = await register_passkey(harness, first["access_token"])
    assert passkey["id"] == authenticator.id
    assert passkey["recovery_codes"] is not None
    assert len(passkey["recovery_codes"]) == 10

    step = await login_step(harness, user.email, scope="admin")
    assert step["mfa_required"] is True
    assert "passkey" in step["methods"]
    r = await harness.client.post("/auth/mfa/passkey/options",
                                  json={"mfa_token": step["mfa_token"]})
    assert r.status_code == 200
    options = r.json()
    assert [c["id"] for c in options["allowCredentials"]] == [authenticator.id]
    assertion = authenticator.get(options)
    r = await harness.client.post("/auth/mfa/verify", json={"mfa_token": step["mfa_token"],
                                                           "credential": assertion})
    assert r.status_code == 200, r.text
    token = claims(r.json()["access_token"])
    assert token["amr"] == ["pwd", "hwk"]
    assert token["scope"] == "admin"
    assert token["sid"] != claims(first["access_token"])["sid"]

    replay = await login_step(harness, user.email)
    r = await harness.client.post("/auth/mfa/verify", json={"mfa_token": replay["mfa_token"],
                                                           "credential": assertion})
    assert r.status_code == 401, "an assertion answers one challenge only"

    (notice,) = await harness.mails_to(user.email)
    assert "passkey" in notice["Subject"]
    events = [a.event for a in await harness.svc.audit.for_user(user.id)]
    assert "passkey_added" in events


async def test_passwordless_login(
    harness: Harness, make_user: MakeUser, admin_probe: AdminProbe
) -> None:
    """A discoverable passkey with user verification signs in alone, counts as MFA for the
    admin policy, and each assertion works once."""
    user = await make_user(scopes=["notes:read", "admin"])
    pair = await login_step(harness, user.email)
    authenticator, _ = await register_passkey(harness, pair["access_token"])

    r = await harness.client.post("/auth/passkey/login/options")
    assert r.status_code == 200
    options = r.json()
    assert options["userVerification"] == "required"
    assert "allowCredentials" not in options or options["allowCredentials"] == []
    assertion = authenticator.get(options)
    r = await harness.client.post("/auth/passkey/login", json={"credential": assertion})
    assert r.status_code == 200, r.text
    access = r.json()["access_token"]
    assert claims(access)["amr"] == ["hwk", "mfa"]
    assert claims(access)["sub"] == user.id
    assert (await admin_probe(access)).status_code == 200

    again = await harness.client.post("/auth/passkey/login", json={"credential": assertion})
    assert again.status_code == 401


async def test_passwordless_refuses_bad_assertions(harness: Harness, make_user: MakeUser) -> None:
    """Wrong origin, no user verification, an unknown key or a forged signature: 401."""
    user = await make_user()
    pair = await login_step(harness, user.email)
    authenticator, _ = await register_passkey(harness, pair["access_token"])

    async def attempt(**kwargs: object) -> int:
        options = (await harness.client.post("/auth/passkey/login/options")).json()
        source = kwargs.pop("source", authenticator)
        assert isinstance(source, SoftAuthenticator)
        assertion = source.get(options, **kwargs)  # type: ignore[arg-type]
        r = await harness.client.post("/auth/passkey/login", json={"credential": assertion})
        return r.status_code

    assert await attempt(origin="https://evil.example") == 401
    stranger = SoftAuthenticator(authenticator.origin)
    stranger.credential_id = authenticator.credential_id  # same id, another key
    stranger.user_handle = authenticator.user_handle
    assert await attempt(source=stranger) == 401
    authenticator.user_verification = False
    assert await attempt() == 401
    authenticator.user_verification = True
    assert await attempt() == 200


async def test_remove_passkey_needs_password_and_code(
    harness: Harness, make_user: MakeUser
) -> None:
    """With TOTP and a passkey, removing the passkey leaves MFA on; it needs a current code."""
    user = await make_user()
    app, codes, pre_mfa = await enrol_totp(harness, user)
    r = await harness.client.post("/auth/mfa/passkeys/register/options",
                                  json={"password": TEST_PASSWORD}, headers=bearer(pre_mfa))
    assert r.status_code == 403, "a password-only session cannot add a second factor"
    access = await step_up(harness, user, app)
    authenticator, passkey = await register_passkey(harness, access)
    assert passkey["recovery_codes"] is None, "codes are issued with the first factor only"
    c = harness.client
    path = f"/auth/mfa/passkeys/{passkey['id']}"
    r = await c.request("DELETE", path, headers=bearer(access),
                        json={"password": TEST_PASSWORD, "code": "000000"})
    assert r.status_code == 400
    r = await c.request("DELETE", path, headers=bearer(access),
                        json={"password": TEST_PASSWORD, "code": await app.next_code()})
    assert r.status_code == 204
    status = (await c.get("/auth/mfa", headers=bearer(access))).json()
    assert status["enabled"] is True
    assert status["totp"] is True
    assert status["passkeys"] == []
    options = (await c.post("/auth/passkey/login/options")).json()
    r = await c.post("/auth/passkey/login", json={"credential": authenticator.get(options)})
    assert r.status_code == 401
    events = [a.event for a in await harness.svc.audit.for_user(user.id)]
    assert "passkey_removed" in events
    assert len(codes) == 10


async def test_passkey_filed_under_another_user_signs_in_nobody(
    harness: Harness, make_user: MakeUser
) -> None:
    """A passkey item whose owner field names someone else than the key it is stored under
    is corrupt: the passwordless login fails instead of opening either account."""
    alice, mallory = await make_user(), await make_user()
    pair = await login_step(harness, alice.email)
    authenticator, _ = await register_passkey(harness, pair["access_token"])
    table, client = harness.settings.table, harness.svc.db.client
    page = await client.scan(TableName=table)
    (item,) = [i for i in page["Items"] if i["sk"]["S"].startswith("MFA#PASSKEY#")]
    item["user_id"] = {"S": mallory.id}
    await client.put_item(TableName=table, Item=item)
    options = (await harness.client.post("/auth/passkey/login/options")).json()
    r = await harness.client.post("/auth/passkey/login",
                                  json={"credential": authenticator.get(options)})
    assert r.status_code == 401

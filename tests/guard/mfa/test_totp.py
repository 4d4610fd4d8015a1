"""TOTP enrolment, step-up login, replay, throttling, the admin policy and disabling."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from dynaguard.guard.tokens import hash_token
from tests.conftest import TEST_PASSWORD, Harness, MakeUser, bearer, mail_text
from tests.guard.mfa.conftest import AdminProbe, claims, enrol_totp, login_step, step_up


async def test_enrol_then_login_needs_the_second_factor(
    harness: Harness, make_user: MakeUser
) -> None:
    """After enrolment a correct password earns a step-up ticket, and the ticket plus a
    code earns tokens with amr pwd+otp on a session id never seen before."""
    user = await make_user()
    before = await login_step(harness, user.email)
    app, codes, access = await enrol_totp(harness, user)
    assert len(codes) == 10
    assert len(set(codes)) == 10

    me = (await harness.client.get("/auth/me", headers=bearer(access))).json()
    assert me["mfa_enabled"] is True
    old = await harness.client.get("/auth/me", headers=bearer(before["access_token"]))
    assert old.status_code == 401, "password-only sessions end when MFA is turned on"
    step = await login_step(harness, user.email)
    assert step["mfa_required"] is True
    assert "access_token" not in step
    assert step["methods"] == ["totp", "recovery_code"]

    r = await harness.client.post("/auth/mfa/verify", json={"mfa_token": step["mfa_token"],
                                                           "code": await app.next_code()})
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "no-store"
    pair = r.json()
    token = claims(pair["access_token"])
    assert token["amr"] == ["pwd", "otp"]
    earlier = {claims(before["access_token"])["sid"], claims(access)["sid"]}
    assert token["sid"] not in earlier
    assert (await harness.client.get("/auth/me", headers=bearer(pair["access_token"]))).is_success

    again = await harness.client.post("/auth/mfa/verify", json={
        "mfa_token": step["mfa_token"], "code": await app.next_code()})
    assert again.status_code == 401, "a ticket is single use"

    (notice,) = await harness.mails_to(user.email)
    assert "authenticator app was added" in mail_text(notice)
    assert "other sessions were signed out" in mail_text(notice)
    events = [a.event for a in await harness.svc.audit.for_user(user.id)]
    assert "totp_enabled" in events
    assert "mfa_challenged" in events


async def test_same_code_cannot_be_used_twice(harness: Harness, make_user: MakeUser) -> None:
    """A TOTP code accepted once is refused on the next login (its time step is spent)."""
    user = await make_user()
    app, _, _ = await enrol_totp(harness, user)
    code = await app.next_code()
    first = await login_step(harness, user.email)
    r = await harness.client.post("/auth/mfa/verify", json={"mfa_token": first["mfa_token"],
                                                           "code": code})
    assert r.status_code == 200
    second = await login_step(harness, user.email)
    replay = await harness.client.post("/auth/mfa/verify", json={
        "mfa_token": second["mfa_token"], "code": code})
    assert replay.status_code == 401
    fresh = await harness.client.post("/auth/mfa/verify", json={
        "mfa_token": second["mfa_token"], "code": await app.next_code()})
    assert fresh.status_code == 200, "a replay must not burn the ticket"


async def test_wrong_codes_are_throttled(harness: Harness, make_user: MakeUser) -> None:
    """After the free failures, wrong codes get 429 with Retry-After, and so does the
    right one until the delay has passed; then the right one works (a delay, not a lock)."""
    user = await make_user()
    app, _, _ = await enrol_totp(harness, user)
    step = await login_step(harness, user.email)

    async def verify(code: str) -> httpx.Response:
        return await harness.client.post("/auth/mfa/verify", json={
            "mfa_token": step["mfa_token"], "code": code})

    statuses = []
    for _ in range(8):
        r = await verify("000000")
        statuses.append(r.status_code)
        if r.status_code == 429:
            break
    # Five free failures; the delay after the fifth is one second (whole seconds are stored,
    # so the sixth may slip through), after the sixth it is two: the 429 comes at 6 or 7.
    assert statuses[:5] == [401] * 5
    assert statuses[-1] == 429
    assert len(statuses) in (6, 7)
    failures = len(statuses) - 1
    for _ in range(6):  # to seven failures, each after waiting out the delay it earned
        if failures == 7:
            break
        if r.status_code == 429:
            assert 1 <= int(r.headers["retry-after"]) <= 3
            await asyncio.sleep(int(r.headers["retry-after"]))
        r = await verify("000000")
        failures += r.status_code == 401
    assert failures == 7
    # Seven failures: four seconds of delay, so the right code now is certainly too early.
    r = await verify(await app.next_code())
    assert r.status_code == 429
    retry_after = int(r.headers["retry-after"])
    assert 2 <= retry_after <= 5
    await asyncio.sleep(retry_after)
    r = await verify(await app.next_code())
    assert r.status_code == 200, r.text
    events = [a.event for a in await harness.svc.audit.for_user(user.id)]
    assert events.count("mfa_failed") == 7


async def test_recovery_code_works_exactly_once(harness: Harness, make_user: MakeUser) -> None:
    """A recovery code signs in once (amr pwd+rc, notice mailed), never twice."""
    user = await make_user()
    _, codes, _ = await enrol_totp(harness, user)
    first = await login_step(harness, user.email)
    r = await harness.client.post("/auth/mfa/verify", json={"mfa_token": first["mfa_token"],
                                                           "code": codes[0].lower()})
    assert r.status_code == 200, r.text
    assert claims(r.json()["access_token"])["amr"] == ["pwd", "rc"]

    second = await login_step(harness, user.email)
    r = await harness.client.post("/auth/mfa/verify", json={"mfa_token": second["mfa_token"],
                                                           "code": codes[0]})
    assert r.status_code == 401
    r = await harness.client.post("/auth/mfa/verify", json={"mfa_token": second["mfa_token"],
                                                           "code": codes[1]})
    assert r.status_code == 200
    mails = await harness.mails_to(user.email, count=3)
    used = [m for m in mails if "recovery code" in m["Subject"]]
    assert len(used) == 2
    assert "8 remain" in mail_text(used[-1]) or "8 remain" in mail_text(used[0])


async def test_regenerated_codes_replace_the_old_ones(
    harness: Harness, make_user: MakeUser
) -> None:
    """Regeneration needs the password and a code; afterwards only the new codes work."""
    user = await make_user()
    app, old, access = await enrol_totp(harness, user)
    r = await harness.client.post("/auth/mfa/recovery-codes", headers=bearer(access),
                                  json={"password": "wrong-" + TEST_PASSWORD,
                                        "code": await app.next_code()})
    assert r.status_code == 401
    r = await harness.client.post("/auth/mfa/recovery-codes", headers=bearer(access),
                                  json={"password": TEST_PASSWORD, "code": await app.next_code()})
    assert r.status_code == 200, r.text
    new = r.json()["recovery_codes"]
    assert len(new) == 10
    assert not set(new) & set(old)
    step = await login_step(harness, user.email)
    refused = await harness.client.post("/auth/mfa/verify", json={
        "mfa_token": step["mfa_token"], "code": old[5]})
    assert refused.status_code == 401
    accepted = await harness.client.post("/auth/mfa/verify", json={
        "mfa_token": step["mfa_token"], "code": new[5]})
    assert accepted.status_code == 200


async def test_admin_scope_needs_a_second_factor(
    harness: Harness, make_user: MakeUser, admin_probe: AdminProbe
) -> None:
    """An admin without MFA gets a token without `admin`; after step-up the token has it."""
    user = await make_user(scopes=["notes:read", "admin"])
    pair = await login_step(harness, user.email, scope="admin notes:read")
    assert claims(pair["access_token"])["scope"] == "notes:read"
    assert (await admin_probe(pair["access_token"])).status_code == 403
    form = await harness.client.post("/auth/token", data={
        "username": user.email, "password": TEST_PASSWORD, "scope": "admin"})
    assert form.status_code == 200
    assert claims(form.json()["access_token"])["scope"] == ""
    refreshed = await harness.client.post("/auth/refresh",
                                          json={"refresh_token": pair["refresh_token"]})
    assert "admin" not in claims(refreshed.json()["access_token"])["scope"]

    app, _, _ = await enrol_totp(harness, user)
    form = await harness.client.post("/auth/token", data={
        "username": user.email, "password": TEST_PASSWORD, "scope": "admin"})
    assert form.json()["mfa_required"] is True
    step = await login_step(harness, user.email, scope="admin notes:read")
    r = await harness.client.post("/auth/mfa/verify", json={"mfa_token": step["mfa_token"],
                                                           "code": await app.next_code()})
    assert r.status_code == 200
    access = r.json()["access_token"]
    assert claims(access)["scope"] == "admin notes:read"
    probe = await admin_probe(access)
    assert (probe.status_code, probe.json()) == (200, {"admin": user.id})


async def test_disabling_needs_password_and_code(harness: Harness, make_user: MakeUser) -> None:
    """Turning TOTP off needs both; then login gives tokens directly and a notice is mailed."""
    user = await make_user()
    app, codes, access = await enrol_totp(harness, user)
    c = harness.client
    r = await c.request("DELETE", "/auth/mfa/totp", headers=bearer(access),
                        json={"password": TEST_PASSWORD, "code": "123456"})
    assert r.status_code == 400
    r = await c.request("DELETE", "/auth/mfa/totp", headers=bearer(access),
                        json={"password": "wrong-" + TEST_PASSWORD, "code": codes[0]})
    assert r.status_code == 401
    r = await c.request("DELETE", "/auth/mfa/totp", headers=bearer(access),
                        json={"password": TEST_PASSWORD, "code": await app.next_code()})
    assert r.status_code == 204
    status = (await c.get("/auth/mfa", headers=bearer(access))).json()
    assert status == {"enabled": False, "totp": False, "passkeys": [], "recovery_codes_left": 0}
    pair = await login_step(harness, user.email)
    assert "access_token" in pair
    mails = await harness.mails_to(user.email, count=2)
    assert any("removed" in m["Subject"] for m in mails)
    events = [a.event for a in await harness.svc.audit.for_user(user.id)]
    assert "totp_disabled" in events


async def test_setup_needs_the_password_and_cannot_replace_an_active_secret(
    harness: Harness, make_user: MakeUser
) -> None:
    user = await make_user()
    pair = await login_step(harness, user.email)
    r = await harness.client.post("/auth/mfa/totp/setup", headers=bearer(pair["access_token"]),
                                  json={"password": "wrong-" + TEST_PASSWORD})
    assert r.status_code == 401
    assert (await harness.client.post("/auth/mfa/totp/setup", json={"password": TEST_PASSWORD})
            ).status_code == 401
    app, _, pre_mfa = await enrol_totp(harness, user)
    r = await harness.client.post("/auth/mfa/totp/setup", headers=bearer(pre_mfa),
                                  json={"password": TEST_PASSWORD})
    assert r.status_code == 403, "a password-only session cannot touch an enrolled account"
    r = await harness.client.post("/auth/mfa/totp/setup", json={"password": TEST_PASSWORD},
                                  headers=bearer(await step_up(harness, user, app)))
    assert r.status_code == 409


async def test_setup_answer_and_secret_at_rest(harness: Harness, make_user: MakeUser) -> None:
    """Setup returns an otpauth:// URI and an SVG QR code; the table holds no clear secret."""
    user = await make_user()
    pair = await login_step(harness, user.email)
    r = await harness.client.post("/auth/mfa/totp/setup", headers=bearer(pair["access_token"]),
                                  json={"password": TEST_PASSWORD})
    body = r.json()
    assert body["otpauth_uri"].startswith("otpauth://totp/")
    assert f"secret={body['secret']}" in body["otpauth_uri"]
    assert body["qr_svg"].startswith("<svg")
    page = await harness.svc.db.client.scan(TableName=harness.settings.table)
    (item,) = [i for i in page["Items"] if i["sk"]["S"] == "MFA#TOTP"]
    sealed = item["secret_sealed"]["B"]
    assert body["secret"].encode() not in sealed
    assert body["secret"] not in str(page["Items"])


@pytest.mark.settings(throttle_free_failures=50)
async def test_one_code_used_concurrently_succeeds_once(
    harness: Harness, make_user: MakeUser
) -> None:
    """Eight step-ups racing with one TOTP code and eight with one recovery code: exactly
    one of each wins (the conditional write decides, not a read before it). Throttling is
    eased here so that only the race decides."""
    user = await make_user()
    app, codes, _ = await enrol_totp(harness, user)
    code = await app.next_code()
    for secret in (code, codes[0]):
        tickets = [(await login_step(harness, user.email))["mfa_token"] for _ in range(8)]
        responses = await asyncio.gather(*(
            harness.client.post("/auth/mfa/verify", json={"mfa_token": t, "code": secret})
            for t in tickets
        ))
        statuses = [r.status_code for r in responses]
        assert sorted(statuses) == [200] + [401] * 7


async def test_ticket_dies_with_its_time_or_the_credentials(
    harness: Harness, make_user: MakeUser
) -> None:
    """An expired ticket, or one issued before logout-all, no longer redeems a good code."""
    user = await make_user()
    app, _, access = await enrol_totp(harness, user)
    stale = "stale-" + TEST_PASSWORD
    await harness.svc.mfa.put_ticket(hash_token(stale), user, None, -1)
    r = await harness.client.post("/auth/mfa/verify", json={"mfa_token": stale,
                                                           "code": await app.next_code()})
    assert r.status_code == 401
    step = await login_step(harness, user.email)
    assert (await harness.client.post("/auth/logout-all", headers=bearer(access))
            ).status_code == 204
    r = await harness.client.post("/auth/mfa/verify", json={"mfa_token": step["mfa_token"],
                                                           "code": await app.next_code()})
    assert r.status_code == 401

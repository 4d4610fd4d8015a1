"""The lab works as an app, with every flaw on and with none: the safe paths are real."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

import pyotp
import pytest

from dynaguard.guard.mail import build_message
from dynaguard.lab.seed import ADMIN_EMAIL, ADMIN_PASSWORD, ADMIN_TOTP_SECRET
from tests.conftest import TEST_PASSWORD
from tests.lab.conftest import LabClient, OpenLab, bearer

# With every flaw on, tokens are signed with a 6-byte key; PyJWT rightly warns about it.
pytestmark = pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")


@pytest.mark.parametrize("flaws", ["none", "all"])
async def test_register_login_notes_refresh_logout(open_lab: OpenLab, flaws: str) -> None:
    """A user signs up, confirms, writes and reads notes, refreshes and logs out."""
    async with open_lab(flaws) as t:
        c = t.client
        email = await t.register()
        pair = await t.login(email)
        assert pair["token_type"] == "bearer"
        me = await c.get("/auth/me", headers=bearer(pair["access_token"]))
        assert (me.status_code, me.json()["email"], me.json()["email_verified"]) == \
            (200, email, True)
        note = await c.post("/notes", json={"text": "hello"},
                            headers=bearer(pair["access_token"]))
        assert note.status_code == 201
        listed = await c.get("/notes", headers=bearer(pair["access_token"]))
        assert [n["text"] for n in listed.json()] == ["hello"]
        fresh = await c.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
        assert fresh.status_code == 200
        token = fresh.json()["access_token"]
        assert (await c.get(f"/notes/{note.json()['id']}", headers=bearer(token))).status_code \
            == 200
        assert (await c.post("/auth/logout", headers=bearer(token))).status_code == 204


async def test_safe_login_of_an_unknown_email_costs_one_verification(open_lab: OpenLab) -> None:
    """The work, not the clock: with timing_enum off an unknown email costs a hash."""
    for flaws, expected in (("none", 1), ({"timing_enum"}, 0)):
        async with open_lab(flaws) as t:
            before = t.lab.passwords.verifications
            r = await t.post_login({"email": "nobody@example.com", "password": TEST_PASSWORD})
            assert r.status_code == 401
            assert t.lab.passwords.verifications - before == expected


async def test_admin_with_a_second_factor_gets_in_when_safe(open_lab: OpenLab) -> None:
    """Safe: the admin's password yields an MFA challenge; the TOTP code yields access."""
    async with open_lab("none") as t:
        r = await t.post_login({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
        assert r.json()["mfa_required"] is True
        assert "access_token" not in r.json()
        code = pyotp.TOTP(ADMIN_TOTP_SECRET).now()
        verified = await t.client.post("/auth/mfa/verify",
                                       json={"mfa_token": r.json()["mfa_token"], "code": code})
        assert verified.status_code == 200
        users = await t.client.get("/admin/users",
                                   headers=bearer(verified.json()["access_token"]))
        assert users.status_code == 200
        assert ADMIN_EMAIL in users.text
        assert "decoy" not in users.text  # the decoy account is nobody's to list


async def test_safe_mfa_codes_are_throttled(open_lab: OpenLab) -> None:
    """Five wrong TOTP codes, then 429 even for the right one."""
    async with open_lab("none") as t:
        r = await t.post_login({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
        mfa_token = r.json()["mfa_token"]
        right = pyotp.TOTP(ADMIN_TOTP_SECRET).now()
        wrong = f"{(int(right) + 500_000) % 1_000_000:06d}"
        statuses = [(await t.client.post("/auth/mfa/verify",
                                          json={"mfa_token": mfa_token, "code": code})).status_code
                    for code in [wrong] * 5 + [right]]
        assert statuses == [401] * 5 + [429]


async def test_safe_throttle_answers_429_with_retry_after(open_lab: OpenLab) -> None:
    """Five failures for an email, existing or not, then 429 with Retry-After."""
    async with open_lab("none") as t:
        for email in ("nobody@example.com", await t.register()):
            statuses = [(await t.post_login({"email": email, "password": "wrong-000000"}))
                        for _ in range(6)]
            assert [r.status_code for r in statuses] == [401] * 5 + [429]
            assert int(statuses[-1].headers["Retry-After"]) > 0


async def test_replayed_refresh_token_ends_the_session_when_safe(open_lab: OpenLab) -> None:
    async with open_lab("none") as t:
        pair = await t.login(await t.register())
        c = t.client
        second = (await c.post("/auth/refresh",
                               json={"refresh_token": pair["refresh_token"]})).json()
        replay = await c.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
        assert replay.status_code == 401
        assert (await c.get("/auth/me", headers=bearer(second["access_token"]))).status_code \
            == 401


async def test_safe_errors_say_nothing_about_the_input(open_lab: OpenLab) -> None:
    """A 422 names the field, never echoes the submitted password."""
    async with open_lab("none") as t:
        r = await t.client.post("/auth/register",
                                json={"email": "a@example.com", "password": 123456789})
        assert r.status_code == 422
        assert "123456789" not in r.text
    async with open_lab({"error_leak"}) as t:
        r = await t.client.post("/auth/register",
                                json={"email": "a@example.com", "password": 123456789})
        assert "123456789" in r.text


async def _reset_tokens(t: LabClient) -> int:
    db = t.lab.store.db
    found = await db.client.scan(TableName=db.table, Select="COUNT", FilterExpression="sk = :k",
                                 ExpressionAttributeValues={":k": {"S": "RESET"}})
    return int(found["Count"])


async def test_safe_forgot_leaves_the_same_work_behind_for_an_unknown_email(
        open_lab: OpenLab, monkeypatch: pytest.MonkeyPatch) -> None:
    """Work an answer leaves behind slows the next request on the connection, so the safe
    forgot stores a token and composes a letter for an unknown email too; only the owner
    is mailed."""
    composed: list[str] = []

    def counting(sender: str, to: str, *args: Any, **kwargs: Any) -> EmailMessage:
        composed.append(to)
        return build_message(sender, to, *args, **kwargs)

    async with open_lab("none") as t:
        email = await t.register()
        monkeypatch.setattr("dynaguard.lab.state.build_message", counting)
        for address in (email, "nobody@example.com"):
            before = await _reset_tokens(t)
            answer = await t.client.post("/auth/password/forgot", json={"email": address})
            assert (answer.status_code, answer.json()) == (202, {"status": "accepted"})
            assert await _reset_tokens(t) == before + 1
        assert composed == [email, "nobody@example.com"]
        assert t.mails_to("nobody@example.com") == []
        assert len(t.mails_to(email)) == 2  # the verification, then the reset

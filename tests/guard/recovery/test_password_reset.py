"""Password recovery: forgot → mailed token → reset (CWE-640)."""

from __future__ import annotations

import asyncio
from email.message import EmailMessage
from typing import Any

import pytest

from dynaguard.guard.mail import build_message
from dynaguard.guard.tokens import hash_token
from dynaguard.settings import Settings
from dynaguard.store.schema import token_key
from tests.conftest import TEST_PASSWORD, Harness, MakeUser, bearer, mail_text, wire
from tests.guard.recovery.conftest import add_user, expire_token, running, token_from

NEW_PASSWORD = "violet-canyon-ferry-5521"


async def _forgot(harness: Harness, email: str) -> str:
    """Ask for a reset and return the token mailed for it."""
    before = len(await harness.mails_to(email, count=0))
    r = await harness.client.post("/auth/password/forgot", json={"email": email})
    assert r.status_code == 202
    mails = await harness.mails_to(email, count=before + 1)
    assert len(mails) == before + 1
    return token_from(mails[-1])


async def _reset(harness: Harness, token: str, password: str = NEW_PASSWORD) -> int:
    r = await harness.client.post("/auth/password/reset",
                                  json={"token": token, "new_password": password})
    return r.status_code


async def test_forgot_answers_alike_for_every_address(
    harness: Harness, make_user: MakeUser
) -> None:
    """Existing, unverified, disabled and unknown emails get byte-identical answers after
    the same number of DynamoDB round trips, and only accounts that can use it get a mail."""
    existing = await make_user()
    unverified = await make_user(verified=False)
    disabled = await make_user(enabled=False)
    answers, round_trips = [], []
    for email in (existing.email, unverified.email, disabled.email, "nobody@example.com"):
        await harness.svc.drain_mail()
        before = harness.svc.db.calls
        r = await harness.client.post("/auth/password/forgot", json={"email": email})
        await harness.svc.drain_mail()
        answers.append(wire(r))
        round_trips.append(harness.svc.db.calls - before)
    assert answers[0][0] == 202
    assert all(answer == answers[0] for answer in answers)
    assert len(set(round_trips)) == 1, f"DynamoDB calls differ: {round_trips}"
    assert len(await harness.mails_to(existing.email)) == 1
    assert len(await harness.mails_to(unverified.email)) == 1
    assert await harness.mails_to(disabled.email, wait_s=0) == []
    assert await harness.mails_to("nobody@example.com", wait_s=0) == []


async def test_forgot_composes_a_letter_for_every_address(
    harness: Harness, make_user: MakeUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Work a forgot leaves behind slows the next request, so every address gets a letter
    composed, whether or not it is delivered."""
    composed: list[str] = []

    def counting(sender: str, to: str, *args: Any, **kwargs: Any) -> EmailMessage:
        composed.append(to)
        return build_message(sender, to, *args, **kwargs)

    monkeypatch.setattr("dynaguard.guard.services.build_message", counting)
    existing, disabled = await make_user(), await make_user(enabled=False)
    addresses = [existing.email, disabled.email, "nobody@example.com"]
    for email in addresses:
        r = await harness.client.post("/auth/password/forgot", json={"email": email})
        assert r.status_code == 202
        await harness.svc.drain_mail()  # the background task composes after the answer
    assert composed == addresses
    assert await harness.mails_to("nobody@example.com", wait_s=0) == []


async def test_reset_mail_links_to_the_public_url(harness: Harness, make_user: MakeUser) -> None:
    """The mail has a text and an HTML part; both carry a link under DYNAGUARD_PUBLIC_URL."""
    user = await make_user()
    token = await _forgot(harness, user.email)
    assert len(token) >= 43  # 32 random bytes, URL-safe base64
    (mail,) = await harness.mails_to(user.email)
    link = f"{harness.settings.public_url}/auth/pages/password-reset?token={token}"
    assert link in mail_text(mail)
    html = next(p for p in mail.walk() if p.get_content_type() == "text/html")
    html_payload = html.get_payload(decode=True)
    assert isinstance(html_payload, bytes)
    assert link in html_payload.decode()
    stored = await harness.svc.db.client.get_item(TableName=harness.settings.table,
                                                  Key=token_key(hash_token(token)))
    assert token not in str(stored["Item"]), "only the token's hash may be stored"


async def test_reset_ends_every_session_and_sets_the_password(
    harness: Harness, make_user: MakeUser
) -> None:
    """Access and refresh tokens from before the reset fail; only the new password works."""
    user = await make_user()
    first, second = await harness.login(user.email), await harness.login(user.email)
    token = await _forgot(harness, user.email)
    assert await _reset(harness, token) == 204

    c = harness.client
    for pair in (first, second):
        assert (await c.get("/auth/me", headers=bearer(pair["access_token"]))).status_code == 401
        r = await c.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
        assert r.status_code == 401
    old = await c.post("/auth/login", json={"email": user.email, "password": TEST_PASSWORD})
    assert old.status_code == 401
    await harness.login(user.email, NEW_PASSWORD)
    notices = await harness.mails_to(user.email, count=2)
    assert "Your password was changed" in [m["Subject"] for m in notices]
    events = [r.event for r in await harness.svc.audit.for_user(user.id)]
    assert "password_reset" in events


async def test_concurrent_uses_of_one_token_succeed_once(
    harness: Harness, make_user: MakeUser
) -> None:
    """10 concurrent resets with one token: one 204, nine refusals, and the winner's
    password is the account's."""
    user = await make_user()
    token = await _forgot(harness, user.email)
    passwords = [f"{NEW_PASSWORD}-{i}" for i in range(10)]
    statuses = await asyncio.gather(*(_reset(harness, token, p) for p in passwords))
    assert sorted(statuses) == [204] + [400] * 9
    winner = passwords[statuses.index(204)]
    await harness.login(user.email, winner)
    loser = next(p for p in passwords if p != winner)
    r = await harness.client.post("/auth/login", json={"email": user.email, "password": loser})
    assert r.status_code == 401


async def test_used_and_expired_tokens_are_refused(harness: Harness, make_user: MakeUser) -> None:
    user = await make_user()
    token = await _forgot(harness, user.email)
    assert await _reset(harness, token) == 204
    assert await _reset(harness, token, NEW_PASSWORD + "-again") == 400

    other = await make_user()
    stale = await _forgot(harness, other.email)
    await expire_token(harness, stale)
    assert await _reset(harness, stale) == 400
    await harness.login(other.email)  # the password did not change


async def test_reset_token_lifetime_follows_the_settings(settings: Settings) -> None:
    """The default is 20 minutes; DYNAGUARD_RESET_TTL changes it."""
    assert settings.reset_ttl == 1200
    async with running(settings.model_copy(update={"reset_ttl": 300})) as harness:
        user = await add_user(harness)
        token = await _forgot(harness, user.email)
        found = await harness.svc.onetime.peek(hash_token(token), "password-reset")
        assert found.expires_at is not None
        assert found.expires_at - found.created_at == 300
        (mail,) = await harness.mails_to(user.email)
        assert "expires in 5 minutes" in mail_text(mail)


async def test_a_newer_reset_token_ends_the_older_one(
    harness: Harness, make_user: MakeUser
) -> None:
    user = await make_user()
    older = await _forgot(harness, user.email)
    newer = await _forgot(harness, user.email)
    assert older != newer
    assert await _reset(harness, older) == 400
    assert await _reset(harness, newer) == 204


async def test_credential_changes_end_a_pending_reset(
    harness: Harness, make_user: MakeUser
) -> None:
    """A token is honoured only under the credentials version it was issued for: a password
    change or a logout-all after it was mailed makes it useless."""
    changer, leaver = await make_user(), await make_user()
    changer_token = await _forgot(harness, changer.email)
    leaver_token = await _forgot(harness, leaver.email)
    pair = await harness.login(changer.email)
    r = await harness.client.post(
        "/auth/password/change", headers=bearer(pair["access_token"]),
        json={"current_password": TEST_PASSWORD, "new_password": NEW_PASSWORD})
    assert r.status_code == 204
    pair = await harness.login(leaver.email)
    r = await harness.client.post("/auth/logout-all", headers=bearer(pair["access_token"]))
    assert r.status_code == 204

    assert await _reset(harness, changer_token, NEW_PASSWORD + "-2") == 400
    assert await _reset(harness, leaver_token) == 400
    await harness.login(changer.email, NEW_PASSWORD)
    await harness.login(leaver.email)


async def test_weak_password_is_refused_and_the_token_kept(
    harness: Harness, make_user: MakeUser
) -> None:
    user = await make_user()
    token = await _forgot(harness, user.email)
    r = await harness.client.post("/auth/password/reset",
                                  json={"token": token, "new_password": "password1234"})
    assert r.status_code == 400
    assert r.json()["reasons"]
    assert await _reset(harness, token) == 204


async def test_reset_verifies_the_address_and_lifts_a_lock(
    harness: Harness, make_user: MakeUser
) -> None:
    """Following the link proves the mailbox: an unverified account becomes verified and
    sign-in failures are cleared."""
    user = await make_user(verified=False)
    for _ in range(3):
        await harness.client.post("/auth/login", json={"email": user.email, "password": "x"})
    token = await _forgot(harness, user.email)
    assert await _reset(harness, token) == 204
    await harness.login(user.email, NEW_PASSWORD)


async def test_guessing_reset_tokens_is_throttled_per_address(settings: Settings) -> None:
    async with running(settings.model_copy(update={"address_failure_limit": 3})) as harness:
        user = await add_user(harness)
        token = await _forgot(harness, user.email)
        statuses = [await _reset(harness, f"guess-{i}") for i in range(4)]
        assert statuses == [400, 400, 400, 429]
        assert await _reset(harness, token) == 429

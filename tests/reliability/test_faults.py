"""Fail-closed under DynamoDB faults: an engine that stops, throttling and 5xx answers."""

from __future__ import annotations

import asyncio
import hashlib
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from bench.dynamo_proxy import DynamoProxy, Faults

from dynaguard.store.codec import decode_item
from dynaguard.store.items import UserItem
from dynaguard.store.schema import ensure_table
from tests.conftest import TEST_PASSWORD, Harness, bearer
from tests.reliability.conftest import EngineProcess, running, settings_for


def _attempt_bound(h: Harness) -> int:
    """Attempts per call (the first try included) that the client's retry policy allows."""
    bound = h.svc.db.limits.max_attempts
    assert bound == h.settings.dynamodb_max_attempts
    assert 1 < bound <= 5
    return bound


async def _add_user(h: Harness, email: str) -> UserItem:
    user = h.svc.users.new_user(email, await h.svc.passwords.hash(TEST_PASSWORD),
                                ["notes:read", "notes:write"])
    user = user.model_copy(update={"email_verified": True})
    await h.svc.users.create(user)
    return user


async def _scan(h: Harness) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"TableName": h.settings.table, "ConsistentRead": True}
    while True:
        page = await h.svc.db.client.scan(**kwargs)
        items += [decode_item(raw) for raw in page.get("Items", [])]
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


async def _until_not_503(send: Any, tries: int = 8) -> httpx.Response:
    """What a well-behaved client does: honour Retry-After (shortened here) and retry."""
    for _ in range(tries):
        response: httpx.Response = await send()
        if response.status_code != 503:
            return response
        assert response.headers.get("retry-after", "").isdigit()
        await asyncio.sleep(0.05)
    return response


async def test_engine_stopped_mid_run_fails_closed_then_recovers(
    own_engine: EngineProcess, tmp_path: Path
) -> None:
    """While DynamoDB is down nothing is issued or accepted (503 with Retry-After); once it
    is back on the same port, with its state re-seeded, logins work again within 5 s.

    The engine keeps its data in memory, so a restart loses the table: the test recreates
    the table and the account, and checks that the session from before the outage is not
    believed afterwards (it no longer exists).
    """
    async with running(settings_for(own_engine.endpoint, tmp_path)) as h:
        c = h.client
        user = await _add_user(h, "steady@example.com")
        before = await h.login(user.email)
        assert (await c.get("/auth/me", headers=bearer(before["access_token"]))).status_code == 200

        own_engine.stop()
        login, me, refreshed = await asyncio.gather(
            c.post("/auth/login", json={"email": user.email, "password": TEST_PASSWORD}),
            c.get("/auth/me", headers=bearer(before["access_token"])),
            c.post("/auth/refresh", json={"refresh_token": before["refresh_token"]}),
        )
        for response in (login, me, refreshed):
            assert response.status_code == 503, response.text
            assert response.headers["retry-after"] == "1"
            assert response.headers["content-type"] == "application/problem+json"
            assert "access_token" not in response.text
            assert "refresh_token" not in response.text

        own_engine.start()
        back = time.monotonic()
        await ensure_table(h.svc.db)
        await _add_user(h, user.email)
        while True:
            r = await c.post("/auth/login", json={"email": user.email, "password": TEST_PASSWORD})
            if r.status_code == 200 or time.monotonic() - back > 5:
                break
            await asyncio.sleep(0.1)
        recovered_after = time.monotonic() - back
        assert r.status_code == 200, r.text
        assert recovered_after <= 5
        fresh = await c.get("/auth/me", headers=bearer(r.json()["access_token"]))
        assert fresh.status_code == 200
        stale = await c.get("/auth/me", headers=bearer(before["access_token"]))
        assert stale.status_code == 401


async def test_concurrent_registrations_under_throttling_and_5xx(
    proxy: DynamoProxy, faulty: Harness
) -> None:
    """16 registrations (8 emails, each twice, all at once) while a quarter of DynamoDB
    calls are throttled or fail: every email ends with exactly one account and one claim,
    and no call was tried more than botocore's bounded number of attempts."""
    emails = [f"reg{i}-{uuid.uuid4().hex[:6]}@example.com" for i in range(8)]
    proxy.faults = Faults(throttle=0.15, error=0.10)
    c = faulty.client

    async def register(email: str) -> httpx.Response:
        return await _until_not_503(
            lambda: c.post("/auth/register", json={"email": email, "password": TEST_PASSWORD}))

    answers = await asyncio.gather(*(register(e) for e in emails * 2))
    proxy.faults = Faults()

    assert [a.status_code for a in answers] == [202] * 16
    assert proxy.injected["throttle"] + proxy.injected["error"] > 0
    attempts = proxy.attempts_per_invocation.values()
    assert max(attempts) <= _attempt_bound(faulty)
    assert any(n > 1 for n in attempts), "no call was retried: the faults did not bite"

    items = await _scan(faulty)
    users = [i for i in items if str(i["pk"]).startswith("USER#") and i["sk"] == "PROFILE"
             and i.get("gsi1pk") == "USERS"]
    claims = {str(i["pk"]).removeprefix("EMAIL#"): i["user_id"]
              for i in items if str(i["pk"]).startswith("EMAIL#")}
    assert sorted(u["email"] for u in users) == sorted(emails)
    assert {u["email"]: u["id"] for u in users} == claims


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def test_refresh_families_stay_whole_under_faults(
    proxy: DynamoProxy, faulty: Harness
) -> None:
    """Four sessions refresh concurrently while calls are throttled, fail, or take effect
    but lose their reply; half of them also replay a token concurrently. Afterwards every
    session's refresh tokens are all spent but one, and a session that ended in a refusal
    is revoked: no family is ever half-rotated."""
    c = faulty.client
    users = [await _add_user(faulty, f"fam{i}@example.com") for i in range(2)]
    pairs = [await faulty.login(u.email) for u in users for _ in range(2)]
    proxy.faults = Faults(throttle=0.1, error=0.05, lost_reply=0.05)

    async def use(token: str) -> httpx.Response:
        return await _until_not_503(
            lambda: c.post("/auth/refresh", json={"refresh_token": token}))

    async def chain(index: int, token: str) -> tuple[str, bool]:
        """Refresh 4 times; odd chains present their 2nd token twice at once."""
        for step in range(4):
            if index % 2 and step == 1:
                first, second = await asyncio.gather(use(token), use(token))
                assert [first.status_code, second.status_code].count(200) <= 1
                return token, False
            r = await use(token)
            if r.status_code != 200:
                assert r.status_code == 401
                return token, False
            token = r.json()["refresh_token"]
        return token, True

    ends = await asyncio.gather(*(chain(i, str(p["refresh_token"])) for i, p in enumerate(pairs)))
    proxy.faults = Faults()
    assert sum(proxy.injected.values()) > 0
    assert max(proxy.attempts_per_invocation.values()) <= _attempt_bound(faulty)

    items = await _scan(faulty)
    refresh_items = [i for i in items if str(i["pk"]).startswith("REFRESH#")]
    sessions = {i["id"]: i for i in items if str(i["sk"]).startswith("SESSION#")}
    assert len(sessions) == 4
    for sid, session in sessions.items():
        family = [i for i in refresh_items if i["session_id"] == sid]
        live = [i for i in family if i["used"] is False]
        assert len(live) == 1, f"session {sid}: {len(live)} unspent refresh tokens"
        assert sum(i["used"] is True for i in family) == len(family) - 1
        if live[0]["created_at"] < session["last_used_at"]:
            pytest.fail(f"session {sid}: rotated without issuing a successor")
    for last_token, completed in ends:
        r = await c.post("/auth/refresh", json={"refresh_token": last_token})
        if completed:
            # The client holds the live token of a healthy session, unless its last
            # rotation took effect but its reply was lost, which revokes the family.
            lost = _token_hash(last_token) not in {
                str(i["pk"]).removeprefix("REFRESH#") for i in refresh_items if not i["used"]}
            assert r.status_code == (401 if lost else 200)
        else:
            assert r.status_code == 401
    revoked = [s for s in sessions.values() if s["revoked"]]
    assert len(revoked) >= 2  # every replaying chain ends its family

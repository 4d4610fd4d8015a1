"""Items past their TTL are gone, whether or not DynamoDB has deleted them yet.

DynamoDB deletes expired items lazily (up to 48 h late; moto never does), so every read
that decides authentication must treat an item whose ``expires_at`` has passed as absent.
"""

from __future__ import annotations

import json
import time
from typing import Any

import jwt
import pytest

from dynaguard.guard.tokens import hash_token
from tests.conftest import TEST_PASSWORD, Harness, bearer
from tests.guard.support import assert_generic_401, create_user, get_raw, put_raw


@pytest.mark.parametrize("kind", ["user", "session", "refresh"])
async def test_item_past_its_ttl_no_longer_authenticates(
    shared_harness: Harness, kind: str,
) -> None:
    """A user, session or refresh item past its TTL is refused; back in time, it works.

    A user item past its TTL is an account gone: the refresh that reads it ends every
    session of it, so back in time it opens new sessions only."""
    h = shared_harness
    user = await create_user(h)
    pair = await h.login(user.email)
    access, refresh = str(pair["access_token"]), str(pair["refresh_token"])
    sid = jwt.decode(access, options={"verify_signature": False})["sid"]
    key = {"user": (user.pk, user.sk), "session": (f"USER#{user.id}", f"SESSION#{sid}"),
           "refresh": (f"REFRESH#{hash_token(refresh)}", "REFRESH")}[kind]
    original = await get_raw(h, *key)

    def expiring_at(when: int) -> dict[str, Any]:
        """The item with its TTL at ``when`` (a session's gate carries a copy of it)."""
        item = {**original, "expires_at": {"N": str(when)}}
        if kind == "session":
            gate = json.loads(original["gate"]["S"])
            item["gate"] = {"S": json.dumps({**gate, "expires_at": when},
                                            separators=(",", ":"))}
        return item

    await put_raw(h, expiring_at(int(time.time()) - 5))

    r = await h.client.post("/auth/refresh", json={"refresh_token": refresh})
    assert_generic_401(r)
    if kind != "refresh":
        assert_generic_401(await h.client.get("/auth/me", headers=bearer(access)))
    if kind == "user":
        r = await h.client.post("/auth/login", json={"email": user.email,
                                                     "password": TEST_PASSWORD})
        assert_generic_401(r)

    await put_raw(h, expiring_at(int(time.time()) + 3600))
    if kind == "user":
        pair = await h.login(user.email)
        access, refresh = str(pair["access_token"]), str(pair["refresh_token"])
    assert (await h.client.get("/auth/me", headers=bearer(access))).status_code == 200
    r = await h.client.post("/auth/refresh", json={"refresh_token": refresh})
    assert r.status_code == 200, r.text

"""A change of an account, acknowledged on one instance, holds on the next request on any
other, even when a login or a refresh there read the account before the change and writes
after it (the invariant of ``store.account_sync``). Two app instances share one table;
the interleavings are driven step by step through each instance's own services."""

from __future__ import annotations

import asyncio

import jwt
import pytest

from dynaguard.errors import AuthenticationFailed
from dynaguard.guard.admin import disable_user, grant_scope, remove_scope
from dynaguard.guard.flows.login import Client, start_session
from dynaguard.guard.tokens import hash_token
from dynaguard.store import sessions as sessions_module
from dynaguard.store.sessions import AccountChanged
from tests.conftest import TEST_PASSWORD, Harness, MakeUser, bearer
from tests.guard.admin.conftest import running

CLIENT = Client("198.51.100.7", "test")


async def test_disable_racing_a_login_elsewhere_leaves_no_live_session(
    harness: Harness, make_user: MakeUser
) -> None:
    """A login read the account, the account was disabled elsewhere and that answered,
    then the login tries to store its session: refused, and nothing live is left."""
    user = await make_user()
    async with running(harness.settings) as other:
        read_before = await harness.svc.users.get(user.id)
        assert read_before is not None
        await disable_user(other.svc, user.id, actor="test")  # acknowledged
        with pytest.raises(AuthenticationFailed):
            await start_session(harness.svc, read_before, CLIENT, scopes=None, amr=["pwd"])
        assert await other.svc.sessions.list_for_user(user.id) == []


async def test_password_change_racing_a_login_elsewhere_refuses_the_old_password_session(
    harness: Harness, make_user: MakeUser
) -> None:
    """A login that verified the old password before a password change elsewhere was
    answered cannot store its session after it."""
    user = await make_user()
    async with running(harness.settings) as other:
        read_before = await harness.svc.users.get(user.id)
        assert read_before is not None
        pair = await other.login(user.email)
        r = await other.client.post(
            "/auth/password/change", headers=bearer(pair["access_token"]),
            json={"current_password": TEST_PASSWORD, "new_password": "a-much-newer-secret-42"})
        assert r.status_code == 204, r.text
        with pytest.raises(AuthenticationFailed):
            await start_session(harness.svc, read_before, CLIENT, scopes=None, amr=["pwd"])
        live = await other.svc.sessions.list_for_user(user.id)
        assert [s.id for s in live] == [pair_sid(pair)]


def pair_sid(pair: dict[str, object]) -> str:
    sid: str = jwt.decode(str(pair["access_token"]), options={"verify_signature": False})["sid"]
    return sid


async def test_scope_removal_racing_a_login_elsewhere_never_grants_the_scope(
    harness: Harness, make_user: MakeUser
) -> None:
    """A login that read the account with a scope, racing its removal elsewhere, ends up
    with a session (made again from a fresh read) that does not hold it."""
    user = await make_user(scopes=["notes:read", "notes:write"])
    async with running(harness.settings) as other:
        read_before = await harness.svc.users.get(user.id)
        assert read_before is not None
        assert await remove_scope(other.svc, user.id, "notes:write", actor="test")
        session, pair = await start_session(harness.svc, read_before, CLIENT, scopes=None,
                                            amr=["pwd"])
        state = session.state()
        assert state is not None
        assert state.scopes == ["notes:read"]
        assert state.account.scopes == ["notes:read"]
        headers = bearer(pair.access_token)
        for h in (harness, other):
            r = await h.client.post("/notes", headers=headers, json={"text": "x"})
            assert r.status_code == 403, r.text
            assert (await h.client.get("/notes", headers=headers)).status_code == 200


async def test_scope_removal_holds_on_the_other_instance_at_once(
    harness: Harness, make_user: MakeUser
) -> None:
    user = await make_user(scopes=["notes:read", "notes:write"])
    async with running(harness.settings) as other:
        pair = await harness.login(user.email)
        headers = bearer(pair["access_token"])
        assert (await harness.client.post("/notes", headers=headers,
                                          json={"text": "x"})).status_code == 201
        assert await remove_scope(other.svc, user.id, "notes:write", actor="test")
        r = await harness.client.post("/notes", headers=headers, json={"text": "x"})
        assert r.status_code == 403
        me = await harness.client.get("/auth/me", headers=headers)
        assert me.json()["scopes"] == ["notes:read"]
        # Granting it back shows on the profile, but no existing session gains it.
        assert await grant_scope(other.svc, user.id, "notes:write", actor="test")
        me = await harness.client.get("/auth/me", headers=headers)
        assert me.json()["scopes"] == ["notes:read", "notes:write"]
        r = await harness.client.post("/notes", headers=headers, json={"text": "x"})
        assert r.status_code == 403


async def test_disable_racing_a_refresh_elsewhere(harness: Harness, make_user: MakeUser) -> None:
    """A refresh that read the session before a disabling elsewhere was answered cannot
    rotate after it; one that rotated first has its new tokens refused after it."""
    user = await make_user()
    async with running(harness.settings) as other:
        pair = await harness.login(user.email)
        sid = pair_sid(pair)
        read_before = await harness.svc.sessions.get(user.id, sid)
        assert read_before is not None
        # Rotated before the change: the new access token is checked against the session.
        r = await harness.client.post("/auth/refresh",
                                      json={"refresh_token": pair["refresh_token"]})
        assert r.status_code == 200
        fresh = r.json()
        await disable_user(other.svc, user.id, actor="test")
        for h in (harness, other):
            assert (await h.client.get("/auth/me", headers=bearer(fresh["access_token"]))
                    ).status_code == 401
            assert (await h.client.post("/auth/refresh", json={
                "refresh_token": fresh["refresh_token"]})).status_code == 401
        # Read before the change, written after it: refused by the session's condition.
        stale = read_before.state()
        assert stale is not None
        with pytest.raises(AccountChanged):
            await harness.svc.sessions.rotate(
                stale, hash_token(fresh["refresh_token"]), "new", 60)


async def test_a_change_not_yet_pushed_cannot_be_outlived_by_a_refresh(
    harness: Harness, make_user: MakeUser
) -> None:
    """Between a change's write and its push (or after an interrupted push), a session's
    copy is stale: it cannot be refreshed, so it ends with its access token at the latest."""
    user = await make_user()
    pair = await harness.login(user.email)
    session = await harness.svc.sessions.get(user.id, pair_sid(pair))
    assert session is not None
    await harness.svc.users.set_enabled(user.id, False)  # written, not pushed
    state = session.state()
    assert state is not None
    with pytest.raises(AccountChanged):
        await harness.svc.sessions.rotate(
            state, hash_token(str(pair["refresh_token"])), "h2", 60)
    r = await harness.client.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert r.status_code == 401
    # The refresh finished the push: the access token is refused too.
    assert (await harness.client.get("/auth/me",
                                     headers=bearer(pair["access_token"]))).status_code == 401


async def test_a_push_pages_through_many_sessions(
    harness: Harness, make_user: MakeUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    """More sessions than one query page: every one is corrected, then every one ended."""
    monkeypatch.setattr(sessions_module, "PAGE_SIZE", 7)  # small pages: the same paging
    user = await make_user(scopes=["notes:read", "notes:write"])
    svc = harness.svc
    count = 24
    sem = asyncio.Semaphore(8)

    async def one() -> str:
        async with sem:
            session, _ = await start_session(svc, user, CLIENT, scopes=None, amr=["pwd"])
            return session.id

    sids = await asyncio.gather(*(one() for _ in range(count)))
    assert await remove_scope(svc, user.id, "notes:write", actor="test")
    states = [await svc.sessions.state(user.id, sid) for sid in sids]
    assert all(s is not None and s.scopes == ["notes:read"]
               and s.account.scopes == ["notes:read"] for s in states)
    await disable_user(svc, user.id, actor="test")
    assert [await svc.sessions.state(user.id, sid) for sid in sids] == [None] * count
    items = [await svc.sessions.get(user.id, sid) for sid in sids]
    assert all(item is not None and item.revoked and item.gate is None for item in items)


async def test_concurrent_changes_on_two_instances_converge(
    harness: Harness, make_user: MakeUser
) -> None:
    """Two changes pushed at once from two instances: every session ends with the
    account's final state, never with one change lost."""
    user = await make_user(scopes=["notes:read", "notes:write", "extra:a", "extra:b"])
    svc = harness.svc
    sids = [(await start_session(svc, user, CLIENT, scopes=None, amr=["pwd"]))[0].id
            for _ in range(8)]
    async with running(harness.settings) as other:
        await asyncio.gather(remove_scope(svc, user.id, "extra:a", actor="test"),
                             remove_scope(other.svc, user.id, "extra:b", actor="test"))
    final = await svc.users.get(user.id)
    assert final is not None
    assert sorted(final.scopes) == ["notes:read", "notes:write"]
    for sid in sids:
        state = await svc.sessions.state(user.id, sid)
        assert state is not None
        assert state.account == final.account_state()
        assert sorted(state.scopes) == ["notes:read", "notes:write"]


async def test_a_request_is_one_read_of_one_item(harness: Harness, make_user: MakeUser) -> None:
    user = await make_user()
    pair = await harness.login(user.email)
    before = harness.svc.db.calls
    assert (await harness.client.get("/auth/me", headers=bearer(pair["access_token"]))
            ).status_code == 200
    assert harness.svc.db.calls - before == 1

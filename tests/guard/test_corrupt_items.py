"""Corrupt items (CWE-287): whatever shape a stored item takes, it never authenticates.

Items are damaged by writing them raw with the low-level client, the way a bad migration,
a hand edit in the console or another service sharing the table would. A damaged user,
email claim, session or refresh item must lead to the generic 401 at login and on every
per-request check, never to a 500 or a body that shows internals. Each case then puts
the original item back and sees the same credentials work again, so the refusal is
proven to come from the damage and nothing else.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import jwt
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from dynaguard.errors import CorruptItem
from dynaguard.guard.tokens import hash_token
from dynaguard.store.items import UserItem, parse_item
from tests.conftest import TEST_PASSWORD, Harness, bearer
from tests.guard.conftest import SharedApp
from tests.guard.support import (
    assert_generic_401,
    create_user,
    get_raw,
    put_raw,
)

Item = dict[str, Any]
Damage = Callable[[Item], Item]


def drop(name: str) -> Damage:
    return lambda item: {k: v for k, v in item.items() if k != name}


def put(name: str, value: dict[str, Any]) -> Damage:
    return lambda item: {**item, name: value}


USER_DAMAGE: dict[str, Damage] = {
    "enabled missing": drop("enabled"),
    "enabled stored as the string true": put("enabled", {"S": "true"}),
    "enabled stored as the number 1": put("enabled", {"N": "1"}),
    "enabled stored as NULL": put("enabled", {"NULL": True}),
    "password_hash missing": drop("password_hash"),
    "password_hash empty": put("password_hash", {"S": ""}),
    "password_hash a number": put("password_hash", {"N": "12345"}),
    "email a number": put("email", {"N": "42"}),
    "id a number": put("id", {"N": "7"}),
    "email_verified missing": drop("email_verified"),
    "email_verified stored as the string true": put("email_verified", {"S": "true"}),
    "scopes a string": put("scopes", {"S": "notes:read notes:write admin"}),
    "scopes a list of numbers": put("scopes", {"L": [{"N": "1"}]}),
    "scopes a map": put("scopes", {"M": {"admin": {"BOOL": True}}}),
    "credentials_version a string": put("credentials_version", {"S": "0"}),
    "credentials_version a fraction": put("credentials_version", {"N": "0.5"}),
    "credentials_version negative": put("credentials_version", {"N": "-1"}),
    "created_at missing": drop("created_at"),
    "mfa_enabled stored as the string false": put("mfa_enabled", {"S": "false"}),
    "extra attribute is_admin": put("is_admin", {"BOOL": True}),
    "extra attribute role": put("role", {"S": "admin"}),
}

CLAIM_DAMAGE: dict[str, Damage] = {
    "user_id missing": drop("user_id"),
    "user_id a number": put("user_id", {"N": "1"}),
    "extra attribute": put("verified", {"BOOL": True}),
}

def gate(change: Callable[[dict[str, Any]], dict[str, Any]]) -> Damage:
    """Damage the session's gate: the JSON state that a request reads alone."""
    def damage(item: Item) -> Item:
        return {**item, "gate": {"S": json.dumps(change(json.loads(item["gate"]["S"])))}}
    return damage


def account_copy(change: Callable[[dict[str, Any]], dict[str, Any]]) -> Damage:
    return gate(lambda state: {**state, "account": change(state["account"])})


# What a request reads: each damage must refuse the very next request.
GATE_DAMAGE: dict[str, Damage] = {
    "gate missing on a live session": drop("gate"),
    "gate not JSON": put("gate", {"S": "{not json"}),
    "gate a map": put("gate", {"M": {"id": {"S": "x"}}}),
    "gate a number": put("gate", {"N": "1"}),
    "account missing": gate(lambda state: {k: v for k, v in state.items() if k != "account"}),
    "account a string": gate(lambda state: {**state, "account": "{}"}),
    "account without email_verified": account_copy(
        lambda acct: {k: v for k, v in acct.items() if k != "email_verified"}),
    "account scopes a string": account_copy(lambda acct: {**acct, "scopes": "admin"}),
    "account with an extra is_admin": account_copy(lambda acct: {**acct, "is_admin": True}),
    "email_verified stored as the string true": account_copy(
        lambda acct: {**acct, "email_verified": "true"}),
    "credentials_version a string": account_copy(
        lambda acct: {**acct, "credentials_version": "0"}),
    "credentials_version a fraction": account_copy(
        lambda acct: {**acct, "credentials_version": 0.5}),
    "user_id missing": gate(lambda state: {k: v for k, v in state.items() if k != "user_id"}),
    "user_id of another account": gate(lambda state: {**state, "user_id": "someone-else"}),
    "scopes a string": gate(lambda state: {**state, "scopes": "notes:read"}),
    "amr a string": gate(lambda state: {**state, "amr": "pwd otp"}),
    "expires_at a string": gate(lambda state: {**state, "expires_at": "9999999999"}),
    "extra attribute revoked=false": gate(lambda state: {**state, "revoked": False}),
}

# Outside the gate: never read by a request, so it cannot sway one; the whole item is
# read by a refresh, which refuses it and ends the session, and the request after fails.
SESSION_DAMAGE: dict[str, Damage] = {
    "revoked missing": drop("revoked"),
    "revoked stored as the string false": put("revoked", {"S": "false"}),
    "revoked yet with a gate": put("revoked", {"BOOL": True}),
    "user_id missing": drop("user_id"),
    "id of another session": put("id", {"S": "another"}),
    "expires_at not the gate's": put("expires_at", {"N": "9999999999"}),
    "extra attribute account": put("account", {"M": {"is_admin": {"BOOL": True}}}),
}

REFRESH_DAMAGE: dict[str, Damage] = {
    "used missing": drop("used"),
    "used stored as the string false": put("used", {"S": "false"}),
}


@dataclass
class Account:
    """A working account with a live session, and the raw items behind it."""

    harness: Harness
    email: str
    access: str
    refresh: str
    items: dict[str, Item]

    async def login_json(self) -> None:
        r = await self.harness.client.post("/auth/login",
                                           json={"email": self.email, "password": TEST_PASSWORD})
        assert_generic_401(r)

    async def login_form(self) -> None:
        r = await self.harness.client.post("/auth/token",
                                           data={"username": self.email, "password": TEST_PASSWORD})
        assert_generic_401(r)

    async def token_checks(self) -> None:
        c = self.harness.client
        assert_generic_401(await c.get("/auth/me", headers=bearer(self.access)))
        assert_generic_401(await c.post("/auth/refresh", json={"refresh_token": self.refresh}))

    async def token_checks_of_a_damaged_account(self) -> None:
        """A request reads the session alone (its copy of the account); a refresh reads
        the user item too, and a damaged one ends every session of the account, so the
        access token fails from then on."""
        c = self.harness.client
        assert_generic_401(await c.post("/auth/refresh", json={"refresh_token": self.refresh}))
        assert_generic_401(await c.get("/auth/me", headers=bearer(self.access)))
        assert_generic_401(await c.post("/auth/refresh", json={"refresh_token": self.refresh}))

    async def restore_and_sign_in_again(self) -> None:
        """With the user item back, the password opens a new session that works."""
        await put_raw(self.harness, self.items["user"])
        pair = await self.harness.login(self.email)
        me = await self.harness.client.get("/auth/me", headers=bearer(pair["access_token"]))
        assert me.status_code == 200, me.text

    async def restore_and_prove_it_works(self, *kinds: str) -> None:
        """With the original items back, the same token, refresh token and password work."""
        for kind in kinds:
            await put_raw(self.harness, self.items[kind])
        c = self.harness.client
        me = await c.get("/auth/me", headers=bearer(self.access))
        assert me.status_code == 200, me.text
        r = await c.post("/auth/refresh", json={"refresh_token": self.refresh})
        assert r.status_code == 200, r.text
        await self.harness.login(self.email)


async def open_account(harness: Harness) -> Account:
    user = await create_user(harness)
    pair = await harness.login(user.email)
    access, refresh = str(pair["access_token"]), str(pair["refresh_token"])
    sid = jwt.decode(access, options={"verify_signature": False})["sid"]
    return Account(
        harness=harness, email=user.email, access=access, refresh=refresh,
        items={
            "user": await get_raw(harness, user.pk, user.sk),
            "claim": await get_raw(harness, f"EMAIL#{user.email}", "CLAIM"),
            "session": await get_raw(harness, f"USER#{user.id}", f"SESSION#{sid}"),
            "refresh": await get_raw(harness, f"REFRESH#{hash_token(refresh)}", "REFRESH"),
        },
    )


@pytest.fixture(autouse=True)
async def _clear_after(shared_app: SharedApp) -> AsyncIterator[None]:
    yield
    await shared_app.clear()


@pytest.mark.parametrize("case", USER_DAMAGE)
async def test_corrupt_user_item_never_authenticates(shared_harness: Harness, case: str) -> None:
    """A damaged user item: login and every token check answer the generic 401."""
    account = await open_account(shared_harness)
    await put_raw(shared_harness, USER_DAMAGE[case](account.items["user"]))
    await account.login_json()
    await account.token_checks_of_a_damaged_account()
    await account.restore_and_sign_in_again()


@pytest.mark.parametrize("case", CLAIM_DAMAGE)
async def test_corrupt_email_claim_never_authenticates(shared_harness: Harness, case: str) -> None:
    """A damaged email-claim item: login with the right password answers the generic 401."""
    account = await open_account(shared_harness)
    await put_raw(shared_harness, CLAIM_DAMAGE[case](account.items["claim"]))
    await account.login_json()
    await account.login_form()
    await account.restore_and_prove_it_works("claim")


@pytest.mark.parametrize("case", GATE_DAMAGE)
async def test_corrupt_session_gate_ends_its_tokens(shared_harness: Harness, case: str) -> None:
    """A damaged gate: its access and refresh tokens answer the generic 401 at once."""
    account = await open_account(shared_harness)
    await put_raw(shared_harness, GATE_DAMAGE[case](account.items["session"]))
    await account.token_checks()
    assert_generic_401(await shared_harness.client.post("/auth/logout",
                                                        headers=bearer(account.access)))
    await account.restore_and_prove_it_works("session")


@pytest.mark.parametrize("case", SESSION_DAMAGE)
async def test_corrupt_session_item_ends_its_session(shared_harness: Harness, case: str) -> None:
    """A session item damaged outside its gate: the refresh refuses it and ends the
    session, so the access token fails from then on."""
    account = await open_account(shared_harness)
    await put_raw(shared_harness, SESSION_DAMAGE[case](account.items["session"]))
    c = shared_harness.client
    assert_generic_401(await c.post("/auth/refresh", json={"refresh_token": account.refresh}))
    assert_generic_401(await c.get("/auth/me", headers=bearer(account.access)))
    await account.restore_and_prove_it_works("session")


@pytest.mark.parametrize("case", REFRESH_DAMAGE)
async def test_corrupt_refresh_item_is_refused(shared_harness: Harness, case: str) -> None:
    """A damaged refresh-token item cannot be exchanged for new tokens."""
    account = await open_account(shared_harness)
    await put_raw(shared_harness, REFRESH_DAMAGE[case](account.items["refresh"]))
    r = await shared_harness.client.post("/auth/refresh", json={"refresh_token": account.refresh})
    assert_generic_401(r)
    await account.restore_and_prove_it_works("refresh")


# Attribute values of the wrong type for each kind of field, as hypothesis strategies.
_text = st.text(max_size=12)
_number = st.integers(-10**6, 10**6).map(lambda n: {"N": str(n)})
_fraction = st.decimals(-1000, 1000, places=3).filter(lambda d: d != d.to_integral_value()).map(
    lambda d: {"N": str(d)})
_bool = st.booleans().map(lambda b: {"BOOL": b})
_null = st.just({"NULL": True})
_string = _text.map(lambda s: {"S": s})
_string_list = st.lists(_string, max_size=3).map(lambda v: {"L": v})
_map = st.dictionaries(st.text(min_size=1, max_size=6), _string, max_size=2).map(
    lambda v: {"M": v})
_any_value = st.one_of(_number, _bool, _null, _string, _string_list, _map)

WRONG_FOR_STRING = st.one_of(_number, _bool, _null, _string_list, _map,
                             st.binary(min_size=1, max_size=8).map(lambda b: {"B": b}))
WRONG_FOR_BOOL = st.one_of(_string, _number, _null, _string_list, _map)
WRONG_FOR_INT = st.one_of(_string, _fraction, _bool, _null, _string_list)
WRONG_FOR_SCOPES = st.one_of(
    _string, _number, _bool, _null, _map,
    st.lists(st.one_of(_number, _bool, _null), min_size=1, max_size=3).map(lambda v: {"L": v}),
)
RETYPABLE = {
    "id": WRONG_FOR_STRING, "email": WRONG_FOR_STRING, "password_hash": WRONG_FOR_STRING,
    "enabled": WRONG_FOR_BOOL, "email_verified": WRONG_FOR_BOOL, "mfa_enabled": WRONG_FOR_BOOL,
    "credentials_version": WRONG_FOR_INT, "created_at": WRONG_FOR_INT,
    "expires_at": st.one_of(_string, _fraction, _bool, _string_list),
    "scopes": WRONG_FOR_SCOPES,
}
# Index keys may be absent (the index is sparse) but DynamoDB itself refuses other types.
DROPPABLE = sorted(set(UserItem.model_fields) - {"pk", "sk", "expires_at"})
EXTRA_NAME = st.text("abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=12).filter(
    lambda name: name not in UserItem.model_fields)

_mutation = st.one_of(
    st.tuples(st.just("drop"), st.sampled_from(DROPPABLE), st.none()),
    st.sampled_from(sorted(RETYPABLE)).flatmap(
        lambda name: st.tuples(st.just("retype"), st.just(name), RETYPABLE[name])),
    st.tuples(st.just("extra"), EXTRA_NAME, _any_value),
)
MUTATIONS = st.lists(_mutation, min_size=1, max_size=4)


def damaged(item: Item, mutations: list[tuple[str, str, Any]]) -> Item:
    """``item`` with every mutation applied; each one alone leaves the item corrupt."""
    result = dict(item)
    for action, name, value in mutations:
        if action == "drop":
            result.pop(name, None)
        else:
            result[name] = value
    return result


async def test_generated_corrupt_user_items_never_authenticate(shared_app: SharedApp) -> None:
    """Hypothesis-generated damaged user items never log in and never pass a token check."""
    loop = asyncio.get_running_loop()

    async def check(mutations: list[tuple[str, str, Any]]) -> None:
        # A fresh account and session per example (so no account collects failures and
        # no session was ended by an earlier example).
        async with shared_app.harness() as harness:
            account = await open_account(harness)
            item = damaged(account.items["user"], mutations)
            with pytest.raises(CorruptItem):
                parse_item(UserItem, item)
            await put_raw(harness, item)
            await account.login_json()
            await account.token_checks_of_a_damaged_account()

    # Hypothesis drives a synchronous function from a worker thread; each example runs on
    # the test's own event loop, where the app and its DynamoDB client live.
    @hypothesis_settings(max_examples=40, deadline=None, derandomize=True, database=None,
                         suppress_health_check=[HealthCheck.too_slow])
    @given(MUTATIONS)
    def run(mutations: list[tuple[str, str, Any]]) -> None:
        asyncio.run_coroutine_threadsafe(check(mutations), loop).result(timeout=60)

    await asyncio.to_thread(run)
    async with shared_app.harness() as harness:
        account = await open_account(harness)
        await put_raw(harness, damaged(account.items["user"], [("drop", "enabled", None)]))
        await account.login_json()
        await account.restore_and_sign_in_again()


async def test_user_item_naming_another_account_never_authenticates(
    shared_harness: Harness,
) -> None:
    """A user item whose ``id`` disagrees with its key does not open the account it names."""
    victim = await create_user(shared_harness)
    account = await open_account(shared_harness)
    await put_raw(shared_harness, put("id", {"S": victim.id})(account.items["user"]))
    await account.login_json()
    await account.login_form()
    await account.token_checks_of_a_damaged_account()
    await account.restore_and_sign_in_again()

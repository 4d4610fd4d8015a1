"""Password login: failures that cannot be told apart, and rehashing on success."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
import pytest
from argon2 import PasswordHasher, Type, extract_parameters

from dynaguard.guard.passwords import PROFILES
from tests.conftest import TEST_PASSWORD, Harness
from tests.guard.support import assert_generic_401, create_user, get_raw

# Headers that may legitimately differ between two answers; compared when absent.
# Headers that differ on every response by design (a timestamp, a request correlation id,
# the address's rate-limit budget, which each failure moves by one whoever it was for).
PER_RESPONSE_HEADERS = frozenset({b"date", b"x-request-id", b"ratelimit"})

Attempt = Callable[[str, str], Awaitable[httpx.Response]]


def _attempts(harness: Harness) -> dict[str, Attempt]:
    async def json_login(email: str, password: str) -> httpx.Response:
        return await harness.client.post("/auth/login",
                                         json={"email": email, "password": password})

    async def form_login(email: str, password: str) -> httpx.Response:
        return await harness.client.post("/auth/token",
                                         data={"username": email, "password": password})

    return {"/auth/login": json_login, "/auth/token": form_login}


def _wire(response: httpx.Response) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    headers = [(name.lower(), value) for name, value in response.headers.raw
               if name.lower() not in PER_RESPONSE_HEADERS]
    return response.status_code, headers, response.content


@pytest.mark.parametrize("endpoint", ["/auth/login", "/auth/token"])
async def test_every_login_failure_is_byte_identical(harness: Harness, endpoint: str) -> None:
    """Unknown email, wrong password, unverified and disabled accounts get the same bytes."""
    attempt = _attempts(harness)[endpoint]
    active = await create_user(harness)
    unverified = await create_user(harness, verified=False)
    disabled = await create_user(harness, enabled=False)

    answers = {
        "unknown email": await attempt("nobody-here@example.com", TEST_PASSWORD),
        "wrong password": await attempt(active.email, "wrong-" + TEST_PASSWORD),
        "unverified": await attempt(unverified.email, TEST_PASSWORD),
        "disabled": await attempt(disabled.email, TEST_PASSWORD),
    }
    for answer in answers.values():
        assert_generic_401(answer)
    reference = _wire(answers["unknown email"])
    assert {name for name, _ in reference[1]} >= {b"content-type", b"www-authenticate"}
    for kind, answer in answers.items():
        assert _wire(answer) == reference, kind
    left = [int(a.headers["ratelimit"].split(";r=")[1].split(";")[0]) for a in answers.values()]
    assert left == list(range(left[0], left[0] - len(left), -1))
    # The same endpoint does answer differently when the credentials are right.
    assert (await attempt(active.email, TEST_PASSWORD)).status_code == 200


async def test_login_rehashes_a_hash_with_old_parameters(harness: Harness) -> None:
    """After a successful login, a hash made with other Argon2 parameters is replaced."""
    old = PasswordHasher(time_cost=2, memory_cost=16, parallelism=2, type=Type.ID)
    user = await create_user(harness, password_hash=old.hash(TEST_PASSWORD))
    await harness.login(user.email)

    stored = (await get_raw(harness, user.pk, user.sk))["password_hash"]["S"]
    assert stored != user.password_hash
    current = PROFILES[harness.settings.argon2_profile]
    params = extract_parameters(stored)
    assert (params.time_cost, params.memory_cost, params.parallelism) == (
        current.time_cost, current.memory_cost_kib, current.parallelism)
    assert not harness.svc.passwords.needs_rehash(stored)
    # The new hash still opens the account with the same password.
    await harness.login(user.email)


async def test_login_keeps_a_current_hash_and_a_failed_login_rehashes_nothing(
    harness: Harness,
) -> None:
    """Only a successful login with outdated parameters rewrites the stored hash."""
    current_user = await create_user(harness)
    await harness.login(current_user.email)
    stored = await get_raw(harness, current_user.pk, current_user.sk)
    assert stored["password_hash"]["S"] == current_user.password_hash

    old = PasswordHasher(time_cost=2, memory_cost=16, parallelism=2, type=Type.ID)
    outdated = await create_user(harness, password_hash=old.hash(TEST_PASSWORD))
    r = await harness.client.post("/auth/login",
                                  json={"email": outdated.email, "password": "not-it-at-all"})
    assert_generic_401(r)
    stored = await get_raw(harness, outdated.pk, outdated.sk)
    assert stored["password_hash"]["S"] == outdated.password_hash

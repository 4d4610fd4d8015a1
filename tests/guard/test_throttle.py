"""Brute-force defence (CWE-307): backoff, lock and unlock, spraying, shared counters."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from dynaguard.guard.throttle import Attempt
from dynaguard.store.codec import encode_item
from dynaguard.store.engine import free_port
from tests.conftest import TEST_PASSWORD, Harness, MakeUser, mail_text

WRONG = "not-the-password-at-all"


Observed = tuple[int, str | None, bytes]


def _observed(response: httpx.Response) -> Observed:
    return response.status_code, response.headers.get("retry-after"), response.content


async def test_backoff_sequence_is_the_same_for_known_and_unknown_emails(
    harness: Harness, make_user: MakeUser
) -> None:
    """The 6th failure is answered 429 with Retry-After, later ones wait longer, and an
    unknown email sees exactly the same statuses, headers and bodies."""
    user = await make_user()
    sequences: dict[str, list[Observed]] = {user.email: [], "nobody@example.com": []}

    async def attempt_all() -> None:
        for email, seen in sequences.items():
            r = await harness.client.post("/auth/login", json={"email": email, "password": WRONG})
            seen.append(_observed(r))

    for _ in range(6):
        await attempt_all()
    await asyncio.sleep(1.05)
    await attempt_all()  # allowed again, and fails: the 6th failure
    await attempt_all()  # now the wait is longer

    known, unknown = sequences.values()
    assert known == unknown
    statuses = [s for s, _, _ in known]
    assert statuses == [401] * 5 + [429, 401, 429]
    assert known[5][1] == "1"
    assert known[7][1] == "2"


async def test_lock_after_many_failures_mails_an_unlock_link_that_works(
    harness: Harness, make_user: MakeUser
) -> None:
    """At the lock threshold even the right password is refused until the owner follows
    the mailed unlock link."""
    user = await make_user()
    counter = Attempt("login", user.email, "").identifier_key()
    lock_at = harness.settings.throttle_lock_after
    long_ago_ms = int((time.time() - 3600) * 1000)
    await harness.svc.db.client.put_item(TableName=harness.settings.table, Item={
        **counter, **encode_item({"failures": lock_at - 1, "last_failure_ms": long_ago_ms})})

    c = harness.client
    r = await c.post("/auth/login", json={"email": user.email, "password": WRONG})
    assert r.status_code == 401
    r = await c.post("/auth/login", json={"email": user.email, "password": TEST_PASSWORD})
    assert r.status_code == 429
    assert int(r.headers["retry-after"]) >= 1

    (mail,) = await harness.mails_to(user.email)
    token = re.search(r"Token: (\S+)", mail_text(mail)).group(1)  # type: ignore[union-attr]
    assert (await c.post("/auth/unlock", json={"token": token})).status_code == 204
    assert (await c.post("/auth/unlock", json={"token": token})).status_code == 400
    await harness.login(user.email)


async def test_spraying_from_one_address_is_stopped_but_others_log_in(
    harness: Harness, make_user: MakeUser
) -> None:
    """One password tried across 60 accounts from one address is cut off; a real user
    elsewhere logs in meanwhile."""
    users = await asyncio.gather(*(make_user() for _ in range(60)))
    transport = httpx.ASGITransport(app=harness.app, client=("127.0.0.7", 4000))
    sprayer = httpx.AsyncClient(transport=transport, base_url="http://testserver")
    statuses = []
    async with sprayer:
        for user in users:
            r = await sprayer.post("/auth/login", json={"email": user.email, "password": WRONG})
            statuses.append(r.status_code)
        assert statuses.count(401) == harness.settings.address_failure_limit
        assert set(statuses[harness.settings.address_failure_limit:]) == {429}
        # The sprayer cannot log in even with a right password now.
        r = await sprayer.post("/auth/login",
                               json={"email": users[-1].email, "password": TEST_PASSWORD})
        assert r.status_code == 429
    await harness.login(users[-1].email)


def _serve(port: int, settings_env: dict[str, str]) -> subprocess.Popen[bytes]:
    env = {**os.environ, **settings_env}
    return subprocess.Popen(  # noqa: S603 -- our own interpreter and command
        [sys.executable, "-m", "dynaguard", "serve", "--port", str(port), "--no-demo"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


def _wait_up(base: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail("service exited at start")
        try:
            if httpx.get(base + "/.well-known/jwks.json", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    pytest.fail("service did not start")


def test_two_service_processes_share_throttle_counters(
    dynamodb_endpoint: str, tmp_path: Path
) -> None:
    """Failures counted by one process throttle the same email at another process."""
    env = {
        "DYNAGUARD_DYNAMODB_ENDPOINT": dynamodb_endpoint,
        "DYNAGUARD_TABLE": f"shared-{os.getpid()}-{time.time_ns()}",
        "DYNAGUARD_DATA_DIR": str(tmp_path),
        "DYNAGUARD_ARGON2_PROFILE": "owasp-minimum",
    }
    ports = [free_port(), free_port()]
    procs = [_serve(p, env) for p in ports]
    try:
        bases = [f"http://127.0.0.1:{p}" for p in ports]
        for base, proc in zip(bases, procs, strict=True):
            _wait_up(base, proc)
        body = {"email": "target@example.com", "password": WRONG}
        statuses = [httpx.post(bases[i % 2] + "/auth/login", json=body, timeout=10).status_code
                    for i in range(6)]
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(10)
    assert statuses == [401] * 5 + [429]

"""Fail fast when the engine does not answer: a frozen engine (SIGSTOP) and a killed one,
against `dynaguard serve` in its own process, over HTTP.

The bounds asserted here are the behaviour itself (503 with Retry-After within 2 s of a
hung engine, within 1 s of a refused connection), not a speed target.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from dynaguard.guard.core import Guard
from dynaguard.settings import Settings
from tests.conftest import TEST_PASSWORD, bearer
from tests.reliability.conftest import EngineProcess, ServeProcess

EMAIL = "outage@example.com"
CEILING = 4  # store calls in flight at the service, set low so a burst exceeds it
BURST = 24
HUNG_BOUND = 2.0
REFUSED_BOUND = 1.0


@dataclass
class Outage:
    engine: EngineProcess
    service: ServeProcess
    settings: Settings
    http: httpx.AsyncClient

    async def login(self) -> httpx.Response:
        return await self.http.post(self.service.base + "/auth/login",
                                    json={"email": EMAIL, "password": TEST_PASSWORD})

    async def me(self, token: str) -> httpx.Response:
        return await self.http.get(self.service.base + "/auth/me", headers=bearer(token))


# The production defaults, which the suite's own fixtures relax for its busy engine.
DEFAULT_LIMITS = {f"DYNAGUARD_{name.upper()}": str(Settings.model_fields[name].default)
                  for name in ("dynamodb_connect_timeout", "dynamodb_read_timeout",
                               "dynamodb_max_attempts", "dynamodb_call_timeout")}
CALL_TIMEOUT = float(DEFAULT_LIMITS["DYNAGUARD_DYNAMODB_CALL_TIMEOUT"])


def _settings(endpoint: str, table: str, data_dir: Path) -> Settings:
    return Settings(dynamodb_endpoint=endpoint, table=table, data_dir=data_dir,
                    argon2_profile="owasp-minimum", _env_file=None)  # type: ignore[call-arg]


async def _seed(settings: Settings) -> None:
    """The table, the key ring and one verified account."""
    guard = Guard(settings)
    async with guard.lifespan():
        svc = guard.services()
        user = svc.users.new_user(EMAIL, await svc.passwords.hash(TEST_PASSWORD), ["notes:read"])
        await svc.users.create(user.model_copy(update={"email_verified": True}))


@pytest.fixture
def engine() -> Iterator[EngineProcess]:
    """An engine process of the test's own; resumed and killed whatever the test did."""
    own = EngineProcess()
    own.start()
    try:
        yield own
    finally:
        if own.proc is not None and own.proc.poll() is None:
            os.kill(own.proc.pid, signal.SIGCONT)
        own.stop()


@pytest.fixture
async def outage(engine: EngineProcess, tmp_path: Path) -> AsyncIterator[Outage]:
    settings = _settings(engine.endpoint, "outage", tmp_path)
    await _seed(settings)
    service = ServeProcess({
        "DYNAGUARD_DYNAMODB_ENDPOINT": engine.endpoint, "DYNAGUARD_TABLE": settings.table,
        "DYNAGUARD_DATA_DIR": str(tmp_path), "DYNAGUARD_ARGON2_PROFILE": "owasp-minimum",
        **DEFAULT_LIMITS, "DYNAGUARD_DYNAMODB_MAX_IN_FLIGHT": str(CEILING),
        "DYNAGUARD_KEY_REFRESH_INTERVAL": "300",  # no reload of the ring mid-test
    })
    try:
        await service.wait_up()
        async with httpx.AsyncClient(timeout=30) as http:
            yield Outage(engine, service, settings, http)
    finally:
        service.stop()


async def _timed(send: Callable[[], Awaitable[httpx.Response]]) -> tuple[httpx.Response, float]:
    t0 = time.monotonic()
    response = await send()
    return response, time.monotonic() - t0


def _unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "1"
    assert response.headers["content-type"] == "application/problem+json"
    assert "access_token" not in response.text


async def _burst(o: Outage, token: str, bound: float) -> list[float]:
    """BURST requests at once (authenticated ones and logins): every one answers 503 with
    Retry-After within ``bound``; returns how long each took."""
    sends = [lambda: o.me(token)] * (BURST - BURST // 4) + [o.login] * (BURST // 4)
    answers = await asyncio.gather(*(_timed(send) for send in sends))
    for response, seconds in answers:
        _unavailable(response)
        assert seconds <= bound, f"answered after {seconds:.2f} s"
    return [seconds for _, seconds in answers]


async def _token(o: Outage) -> str:
    """An access token, and proof the service works before the outage (on a busy machine
    the engine itself may be slower than the deadline now and then: try again)."""
    await _until_ok(o.login, within=10)
    token = str((await o.login()).json()["access_token"])
    await _until_ok(lambda: o.me(token), within=10)
    return token


async def _until_ok(send: Callable[[], Awaitable[httpx.Response]], within: float) -> float:
    start = time.monotonic()
    while True:
        response = await send()
        if response.status_code == 200:
            return time.monotonic() - start
        assert response.status_code == 503, response.text
        assert time.monotonic() - start <= within, "the service did not recover"
        await asyncio.sleep(0.1)


async def test_frozen_engine_answers_503_within_2s_then_recovers(outage: Outage) -> None:
    """With the engine stopped (SIGSTOP: connections open, nothing answered), an
    authenticated request and a login each answer 503 + Retry-After within 2 s; a burst
    holds at most the in-flight ceiling of calls and the rest are refused at once; after
    SIGCONT the same token works again."""
    o = outage
    token = await _token(o)
    assert o.engine.proc is not None
    os.kill(o.engine.proc.pid, signal.SIGSTOP)
    try:
        for send in (lambda: o.me(token), o.login):
            response, seconds = await _timed(send)
            _unavailable(response)
            assert seconds <= HUNG_BOUND, f"answered after {seconds:.2f} s"
        took = await _burst(o, token, HUNG_BOUND)
        # Calls admitted under the ceiling wait for the engine until their deadline; every
        # other request is refused without waiting for it.
        held = [s for s in took if s >= 0.9 * CALL_TIMEOUT]
        assert len(held) <= CEILING, f"{len(held)} requests waited: {sorted(took)}"
    finally:
        os.kill(o.engine.proc.pid, signal.SIGCONT)
    await _until_ok(lambda: o.me(token), within=5)
    assert (await o.login()).status_code == 200


async def test_killed_engine_answers_503_within_1s_then_recovers(outage: Outage) -> None:
    """With the engine gone (connections refused), an authenticated request and a login
    each answer 503 + Retry-After within 1 s, and so does every request of a burst; once
    an engine is back on the port (re-seeded: it kept its data in memory), logins work."""
    o = outage
    token = await _token(o)
    o.engine.stop()
    for send in (lambda: o.me(token), o.login):
        response, seconds = await _timed(send)
        _unavailable(response)
        assert seconds <= REFUSED_BOUND, f"answered after {seconds:.2f} s"
    await _burst(o, token, REFUSED_BOUND)

    o.engine.start()
    await _seed(o.settings)
    await _until_ok(o.login, within=5)

"""The engine runs checks side by side, ``alone`` checks by themselves, and counts each
check's own requests; the account pool makes shared accounts and sessions once."""

from __future__ import annotations

import asyncio
import json
import random
from collections import Counter
from typing import Any

import httpx
import pytest

from dynaguard.scan.accounts import AccountPool
from dynaguard.scan.checks.registry import CheckSpec, Outcome, failed, passed
from dynaguard.scan.context import CheckContext
from dynaguard.scan.engine import run_wave, waves
from dynaguard.scan.events import CheckFinished, CheckStarted, Event
from dynaguard.scan.findings import CheckResult, CheckStatus, Severity
from dynaguard.scan.http import ScanHTTP
from dynaguard.scan.profile import Endpoint, Profile

MEET_TIMEOUT_S = 2.0


def _spec(id: str, run: Any, *, alone: bool = False) -> CheckSpec:
    return CheckSpec(id, id, (287,), Severity.LOW, "fix it", run, 50, alone)


def _http() -> ScanHTTP:
    return ScanHTTP("http://target.test", transport=httpx.MockTransport(
        lambda request: httpx.Response(200)))


async def _wave(specs: list[CheckSpec], at_once: int,
                http: ScanHTTP | None = None) -> tuple[dict[int, CheckResult], list[Event]]:
    http = http or _http()
    results: dict[int, CheckResult] = {}

    def context(spec: CheckSpec) -> CheckContext:
        return CheckContext(spec, http, None, None, random.Random(1))  # type: ignore[arg-type]  # noqa: S311

    events = [event async for event in run_wave(
        list(enumerate(specs)), context=context, at_once=at_once, results=results,
        total=len(specs), http=http)]
    await http.aclose()
    return results, events


def _named(event: Event) -> tuple[str, str]:
    if isinstance(event, CheckStarted):
        return "started", event.check
    assert isinstance(event, CheckFinished)
    return "finished", event.result.check


def test_alone_checks_are_runs_of_their_own() -> None:
    async def run(ctx: CheckContext) -> Outcome:
        return passed("ran")

    specs = [_spec("a", run), _spec("b", run), _spec("c", run, alone=True), _spec("d", run),
             _spec("e", run, alone=True), _spec("f", run, alone=True)]
    assert [[spec.id for _, spec in wave] for wave in waves(specs)] == [
        ["a", "b"], ["c"], ["d"], ["e"], ["f"]]
    assert [index for wave in waves(specs) for index, _ in wave] == list(range(6))


def _meeting() -> tuple[CheckSpec, CheckSpec]:
    """Two checks that each wait for the other to have started: both meet only when they
    run at the same time."""
    started = {"a": asyncio.Event(), "b": asyncio.Event()}

    def make(me: str, other: str) -> Any:
        async def run(ctx: CheckContext) -> Outcome:
            started[me].set()
            try:
                await asyncio.wait_for(started[other].wait(), MEET_TIMEOUT_S)
            except TimeoutError:
                return failed("ran alone")
            return passed("met the other check")
        return run

    return _spec("a", make("a", "b")), _spec("b", make("b", "a"))


async def test_checks_of_a_wave_run_side_by_side() -> None:
    results, events = await _wave(list(_meeting()), at_once=2)
    assert [r.status for r in results.values()] == [CheckStatus.PASSED] * 2
    kinds = [type(e).__name__ for e in events]
    assert kinds[:2] == ["CheckStarted", "CheckStarted"], kinds
    finished = [e for e in events if isinstance(e, CheckFinished)]
    assert [e.completed for e in finished] == [1, 2]


async def test_at_once_bounds_the_checks_in_flight() -> None:
    """With room for one, the second check starts only after the first has ended."""
    results, events = await _wave(list(_meeting()), at_once=1)
    assert [(r.check, r.status) for _, r in sorted(results.items())] == [
        ("a", CheckStatus.FAILED), ("b", CheckStatus.PASSED)]
    assert [_named(e) for e in events] == [("started", "a"), ("finished", "a"),
                                           ("started", "b"), ("finished", "b")]


async def test_each_check_counts_its_own_requests() -> None:
    """Interleaved requests, some from tasks a check starts, land on the check that sent
    them; the total is the budget's."""
    def sender(count: int) -> Any:
        async def run(ctx: CheckContext) -> Outcome:
            for _ in range(count):
                await asyncio.gather(ctx.http.request("GET", "/"), asyncio.sleep(0))
            await asyncio.gather(*(ctx.http.request("GET", "/x") for _ in range(count)))
            return passed("sent")
        return run

    http = _http()
    results, _ = await _wave([_spec("three", sender(3)), _spec("five", sender(5))], 2, http)
    assert {r.check: r.requests for r in results.values()} == {"three": 6, "five": 10}
    assert http.requests == 16


async def test_a_defect_in_one_check_ends_the_wave() -> None:
    """An error that is no scan outcome propagates; the other check is cancelled, not
    left running."""
    cancelled = asyncio.Event()

    async def broken(ctx: CheckContext) -> Outcome:
        await asyncio.sleep(0.01)
        raise KeyError("a bug")

    async def slow(ctx: CheckContext) -> Outcome:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return passed("never")

    with pytest.raises(KeyError):
        await _wave([_spec("slow", slow), _spec("broken", broken)], at_once=2)
    assert cancelled.is_set()


class _Target:
    """A tiny API: register, login; counts what it is sent, and takes a moment to answer
    (so that requests sent at once are in flight at once)."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.passwords: dict[str, str] = {}

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls[request.url.path] += 1
        await asyncio.sleep(0.01)
        body = json.loads(request.content)
        if request.url.path == "/register":
            self.passwords[body["email"]] = body["password"]
            return httpx.Response(201)
        if self.passwords.get(body["email"]) == body["password"]:
            token = f"token-{self.calls['/login']}"
            return httpx.Response(200, json={"access_token": token})
        return httpx.Response(401)


def _pool(target: _Target) -> AccountPool:
    profile = Profile(endpoints={
        "register": Endpoint(path="/register", identifier="email", password="password"),
        "login": Endpoint(path="/login", identifier="email", password="password")})
    http = ScanHTTP("http://target.test", transport=httpx.MockTransport(target))
    return AccountPool(http, profile, [], register=True, mailbox=None)


async def test_accounts_and_shared_sessions_are_made_once() -> None:
    """Checks asking at the same time for account 0 and its shared session get one
    account and one session: one registration, one login."""
    target = _Target()
    pool = _pool(target)
    accounts = await asyncio.gather(*(pool.get(0) for _ in range(3)))
    assert len({a.identifier for a in accounts}) == 1
    assert target.calls == {"/register": 1, "/login": 1}
    await pool.session(accounts[0])  # the proof login's spare: the shared one needs a login
    sessions = await asyncio.gather(*(pool.shared_session(accounts[0]) for _ in range(3)))
    assert len({s.token for s in sessions}) == 1
    assert target.calls == {"/register": 1, "/login": 2}
    await pool.http.aclose()


async def test_a_fresh_accounts_proof_login_is_not_repeated() -> None:
    """The first fresh account logs in to prove the way accounts are made works, and that
    session is handed out as its first; later accounts log in only when a check asks."""
    target = _Target()
    pool = _pool(target)
    first = await pool.disposable()
    second = await pool.disposable()
    assert target.calls == {"/register": 2, "/login": 1}
    proof = await pool.session(first)
    assert target.calls["/login"] == 1
    again = await pool.session(first)
    other = await pool.session(second)
    assert target.calls["/login"] == 3
    assert len({proof.token, again.token, other.token}) == 3
    await pool.http.aclose()

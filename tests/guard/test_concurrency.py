"""Tests for dynaguard.guard.concurrency."""

from __future__ import annotations

import asyncio

import pytest

from dynaguard.errors import TooManyRequests
from dynaguard.guard.concurrency import both


async def test_both_returns_both_results_in_order() -> None:
    """Two independent awaits give their results in argument order."""

    async def slow(value: int) -> int:
        await asyncio.sleep(0.01)
        return value

    async def fast(value: str) -> str:
        return value

    assert await both(slow(1), fast("two")) == (1, "two")


async def test_both_runs_the_two_at_once() -> None:
    """The second starts before the first has finished."""
    started = asyncio.Event()

    async def waits_for_second() -> str:
        await asyncio.wait_for(started.wait(), timeout=2)
        return "first"

    async def second() -> str:
        started.set()
        return "second"

    assert await both(waits_for_second(), second()) == ("first", "second")


async def test_a_failure_lets_the_other_finish_and_propagates_unwrapped() -> None:
    """The error is the domain error itself; the other await still runs to its end (the
    same work either way, no store request torn down half-way)."""
    finished = asyncio.Event()

    async def refuses() -> None:
        raise TooManyRequests(3)

    async def read() -> str:
        await asyncio.sleep(0.05)
        finished.set()
        return "item"

    with pytest.raises(TooManyRequests):
        await both(refuses(), read())
    assert finished.is_set()


async def test_the_first_error_wins_and_the_other_is_logged(
        capsys: pytest.CaptureFixture[str]) -> None:
    """Both fail: the first in argument order propagates, the other is logged by type."""

    async def refuses() -> None:
        raise TooManyRequests(3)

    async def breaks() -> None:
        raise KeyError("boom")

    with pytest.raises(TooManyRequests):
        await both(refuses(), breaks())
    assert "concurrent_await_failed" in capsys.readouterr().out
    with pytest.raises(KeyError):
        await both(breaks(), refuses())


async def test_cancelling_the_caller_cancels_both() -> None:
    cancelled = asyncio.Event()

    async def long_read() -> None:
        try:
            await asyncio.sleep(5)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    task = asyncio.ensure_future(both(long_read(), asyncio.sleep(5)))
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert cancelled.is_set()

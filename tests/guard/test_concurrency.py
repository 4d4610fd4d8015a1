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


async def test_a_failure_cancels_the_other_and_propagates_unwrapped() -> None:
    """The error is the domain error itself, and the other await does not run on."""
    cancelled = asyncio.Event()

    async def refuses() -> None:
        raise TooManyRequests(3)

    async def long_read() -> None:
        try:
            await asyncio.sleep(5)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    with pytest.raises(TooManyRequests):
        await both(refuses(), long_read())
    assert cancelled.is_set()

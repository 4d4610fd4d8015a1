"""Independent awaits run side by side, with their errors kept as they are."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

__all__ = ["both"]

A = TypeVar("A")
B = TypeVar("B")


async def both(first: Coroutine[Any, Any, A], second: Coroutine[Any, Any, B]) -> tuple[A, B]:
    """Await two independent coroutines at once. When either raises, the other is
    cancelled and that error propagates unwrapped (not as an ``ExceptionGroup``), so
    domain errors reach their handlers as if the two had been awaited one after the other."""
    tasks = (asyncio.ensure_future(first), asyncio.ensure_future(second))
    try:
        return await tasks[0], await tasks[1]
    finally:
        for task in tasks:
            task.cancel()
        # Collect whatever the other task ended with, so no error is left unretrieved.
        await asyncio.gather(*tasks, return_exceptions=True)

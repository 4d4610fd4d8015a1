"""Independent awaits run side by side, with their errors kept as they are."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

import structlog

__all__ = ["both"]

log = structlog.get_logger("dynaguard")

A = TypeVar("A")
B = TypeVar("B")


async def both(first: Coroutine[Any, Any, A], second: Coroutine[Any, Any, B]) -> tuple[A, B]:
    """Await two independent coroutines at once.

    Both always run to their end: a refusal by one (a throttled login) costs the same
    work as an answer, and no store request is torn down half-way (a cancelled request
    closes its pooled connection). The first error, in argument order, then propagates
    unwrapped (not as an ``ExceptionGroup``), as if the two had been awaited one after the
    other; an error of the other one is logged by its type, never dropped silently. When
    the caller itself is cancelled, both are cancelled."""
    one, two = await asyncio.gather(first, second, return_exceptions=True)
    if isinstance(one, BaseException):
        if isinstance(two, BaseException):
            log.warning("concurrent_await_failed", error=type(two).__name__,
                        after=type(one).__name__)
        raise one
    if isinstance(two, BaseException):
        raise two
    return one, two

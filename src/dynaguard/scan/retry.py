"""Transient failures: an answer that says "not now" is asked again, a bounded number of
times, before the scanner believes it.

A target creating its tables on the first request answers ``500`` once; one under load
answers ``503`` or ``429`` with ``Retry-After``; a connection is reset. Taking such an
answer for a refusal would skip every check that needs an account for the whole scan.
Only the scanner's own bootstrap (registering and logging in its accounts) retries:
checks see every answer as it comes, a ``429`` being what some of them look for.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from dynaguard.scan.http import Budget

__all__ = ["MAX_ATTEMPTS", "MAX_WAIT_S", "retry_after", "with_retries"]

MAX_ATTEMPTS = 3
# The longest Retry-After the scanner waits for; a longer one is believed as a refusal.
MAX_WAIT_S = 5.0
BACKOFF_S = (0.3, 1.0)
TRANSIENT = frozenset({408, 429, 500, 502, 503, 504})
# Requests kept in the budget for the checks: a retry never spends the last of it.
RESERVE = 5


def retry_after(response: httpx.Response) -> float | None:
    """Seconds a ``Retry-After`` header asks for (delta seconds or an HTTP date)."""
    value = response.headers.get("retry-after", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _wait(response: httpx.Response, attempt: int) -> float | None:
    """How long to wait before asking again, or None when the answer is to be believed."""
    if response.status_code not in TRANSIENT:
        return None
    asked = retry_after(response)
    if asked is None:
        return BACKOFF_S[min(attempt, len(BACKOFF_S) - 1)]
    return asked if asked <= MAX_WAIT_S else None


async def with_retries(send: Callable[[], Awaitable[httpx.Response]], budget: Budget, *,
                       attempts: int = MAX_ATTEMPTS) -> httpx.Response:
    """``send()``'s answer, asked again (at most ``attempts`` times in all) while it is a
    transient failure: a 5xx, a 408, a 429 whose Retry-After is short, a dropped
    connection. The last answer (or transport error) is the one believed."""
    for attempt in range(attempts):
        last = attempt == attempts - 1 or budget.left <= RESERVE
        try:
            response = await send()
        except httpx.TransportError:
            if last:
                raise
            await asyncio.sleep(BACKOFF_S[min(attempt, len(BACKOFF_S) - 1)])
            continue
        wait = None if last else _wait(response, attempt)
        if wait is None:
            return response
        await asyncio.sleep(wait)
    raise AssertionError("unreachable: the last attempt returns or raises")  # pragma: no cover

"""Closed-loop load against a loopback server: bounded in requests and in time."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

__all__ = ["Result", "Send", "closed_loop", "percentile"]

Send = Callable[[httpx.AsyncClient], Awaitable[httpx.Response]]


def percentile(values: list[float], q: float) -> float:
    """The ``q``-th percentile (0..100) by the nearest-rank method."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, round(q / 100 * len(ordered) + 0.5))
    return ordered[min(rank, len(ordered)) - 1]


@dataclass
class Result:
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def p50(self) -> float:
        return percentile(self.latencies_ms, 50)

    @property
    def p99(self) -> float:
        return percentile(self.latencies_ms, 99)

    def merge(self, other: Result) -> Result:
        return Result(self.requests + other.requests, self.errors + other.errors,
                      self.seconds + other.seconds, self.latencies_ms + other.latencies_ms)


async def closed_loop(
    base: str, send: Send, *, concurrency: int, max_requests: int, max_seconds: float,
    expect: int = 200,
) -> Result:
    """``concurrency`` workers send back to back until ``max_requests`` are done or
    ``max_seconds`` have passed; every answer other than ``expect`` counts as an error."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    latencies: list[float] = []
    errors = 0
    issued = 0
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
        start = time.perf_counter()
        deadline = start + max_seconds

        async def worker() -> None:
            nonlocal errors, issued
            while issued < max_requests and time.perf_counter() < deadline:
                issued += 1
                t0 = time.perf_counter()
                response = await send(client)
                latencies.append((time.perf_counter() - t0) * 1000)
                if response.status_code != expect:
                    errors += 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - start
    return Result(len(latencies), errors, elapsed, latencies)

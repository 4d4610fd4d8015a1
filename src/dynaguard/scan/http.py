"""The scanner's only way onto the network.

Safety-critical: every request passes ``ScopedTransport``, which refuses any origin the
scan was not pointed at (the target, plus loopback helpers the scanner itself starts)
and spends one unit of the request budget (counted also for the check that sent it:
checks run side by side, so the budget's total cannot tell them apart). Redirects are
never followed and no cookie jar is kept, so a response can neither send the scanner
elsewhere nor leak a session into a request that was meant to carry none.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any
from urllib.parse import urlsplit

import httpx

from dynaguard.scan.errors import BudgetExhausted, OffTarget

__all__ = ["Budget", "ScanHTTP", "ScopedTransport", "Tally", "origin_of"]

Origin = tuple[str, str, int]
DEFAULT_PORTS = {"http": 80, "https": 443}
USER_AGENT = "dynaguard-scan/1 (+authorized security testing)"


def origin_of(url: str | httpx.URL) -> Origin:
    """``(scheme, host, port)`` of a URL, with the scheme's default port filled in."""
    parts = httpx.URL(str(url))
    port = parts.port or DEFAULT_PORTS.get(parts.scheme, 0)
    return parts.scheme, parts.host.lower(), port


class Budget:
    """A count of requests the scan may still send."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.spent = 0

    @property
    def left(self) -> int:
        return max(0, self.limit - self.spent)

    def spend(self) -> None:
        if self.spent >= self.limit:
            raise BudgetExhausted(f"request budget of {self.limit} spent")
        self.spent += 1


@dataclass
class Tally:
    """Requests sent by one piece of work (a check) and the tasks it starts."""

    requests: int = 0


_TALLY: ContextVar[Tally | None] = ContextVar("dynaguard_scan_tally", default=None)


class ScopedTransport(httpx.AsyncBaseTransport):
    """Forwards only requests for allowed origins, each one paid from the budget."""

    def __init__(self, inner: httpx.AsyncBaseTransport, allowed: set[Origin],
                 budget: Budget) -> None:
        self.inner = inner
        self.allowed = allowed
        self.budget = budget

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        origin = origin_of(request.url)
        if origin not in self.allowed:
            raise OffTarget(f"refused a request to {origin[0]}://{origin[1]}:{origin[2]}")
        self.budget.spend()
        tally = _TALLY.get()
        if tally is not None:
            tally.requests += 1
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


class _NoCookies(DefaultCookiePolicy):
    def set_ok(self, cookie: Any, request: Any) -> bool:
        return False


class ScanHTTP:
    """An httpx client bound to one target: budget, bounded concurrency, timeouts."""

    def __init__(self, target: str, *, budget: int = 1500, concurrency: int = 8,
                 timeout: float = 10.0, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.target = target.rstrip("/")
        self.base_path = urlsplit(self.target).path.rstrip("/")
        self.budget = Budget(budget)
        self.allowed: set[Origin] = {origin_of(self.target)}
        self._gate = asyncio.Semaphore(max(1, concurrency))
        inner = transport or httpx.AsyncHTTPTransport(retries=0)
        self.client = httpx.AsyncClient(
            transport=ScopedTransport(inner, self.allowed, self.budget),
            timeout=httpx.Timeout(timeout), follow_redirects=False,
            cookies=CookieJar(policy=_NoCookies()),
            headers={"User-Agent": USER_AGENT},
        )

    @contextmanager
    def allowing(self, url: str) -> Iterator[None]:
        """Also allow the origin of ``url`` inside the block: only for loopback helpers the
        scan starts, for as long as they run."""
        origin = origin_of(url)
        self.allowed.add(origin)
        try:
            yield
        finally:
            self.allowed.discard(origin)

    def url(self, path: str) -> str:
        """Absolute URL of a path on the target (paths from the spec keep the base path)."""
        if path.startswith(("http://", "https://")):
            return path
        return self.target + (path if path.startswith("/") else "/" + path)

    @property
    def requests(self) -> int:
        return self.budget.spent

    @staticmethod
    @contextmanager
    def tally() -> Iterator[Tally]:
        """Count the requests sent from this task (and tasks it starts) inside the block."""
        tally = Tally()
        token = _TALLY.set(tally)
        try:
            yield tally
        finally:
            _TALLY.reset(token)

    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response, _ = await self.timed(method, path, **kwargs)
        return response

    async def timed(self, method: str, path: str, **kwargs: Any) -> tuple[httpx.Response, float]:
        """The response and its wall time in seconds, body included."""
        async with self._gate:
            start = time.perf_counter()
            response = await self.client.request(method, self.url(path), **kwargs)
            return response, time.perf_counter() - start

    async def aclose(self) -> None:
        await self.client.aclose()

"""Brute-force defence (CWE-307): per-identifier backoff and lock, per-address limit.

Security-sensitive: decisions depend only on the *submitted* identifier and the client
address, never on whether an account exists, so a 429 tells an attacker nothing about
accounts. Per identifier: after ``free_failures`` consecutive failures each further try
waits 2^(n - free_failures) seconds (capped); after ``lock_after`` failures the identifier
stays locked until the owner follows the unlock link mailed to them, so a stranger can
slow an account down but never lock its owner out for good (NIST SP 800-63B 5.2.2).
Per address: at most ``address_failure_limit`` failures per window, across accounts, which
stops password spraying without touching users elsewhere. The address budget (and only
that one) is advertised on the answer as RateLimit header fields (guard/ratelimit.py), from
the counter values read and written here anyway.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import time
from dataclasses import dataclass

from starlette.requests import Request

from dynaguard.errors import TooManyRequests
from dynaguard.guard.ratelimit import AddressBudget, advertise
from dynaguard.settings import Settings
from dynaguard.store.counters import CounterRepository, counter_key

__all__ = ["Attempt", "Throttle", "client_address"]

COUNTER_TTL = 7 * 86_400


def client_address(request: Request, trusted_proxies: list[str]) -> str:
    """The socket peer, or the first untrusted hop of X-Forwarded-For behind our proxies."""
    peer = request.client.host if request.client else ""
    networks = [ipaddress.ip_network(p, strict=False) for p in trusted_proxies]

    def trusted(address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in net for net in networks)

    if not networks or not trusted(peer):
        return peer
    hops = [h.strip() for h in request.headers.get("x-forwarded-for", "").split(",") if h.strip()]
    for hop in reversed(hops):
        if not trusted(hop):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return peer
    return peer


@dataclass(frozen=True)
class Attempt:
    """One guarded attempt: what is being guessed (namespace + identifier) and from where.

    Attempts share one bucket per client address unless they name a ``pool`` of their own
    (a flow whose requests must not eat a client's login budget)."""

    namespace: str
    identifier: str
    address: str
    pool: str = ""

    @property
    def address_bucket(self) -> str:
        return f"{self.pool}/{self.address}" if self.pool else self.address

    @property
    def policy(self) -> str:
        """The bucket's name in the RateLimit header fields."""
        return self.pool or "address"

    def identifier_key(self) -> dict[str, dict[str, str]]:
        digest = hashlib.sha256(f"{self.namespace}\0{self.identifier}".encode()).hexdigest()
        return counter_key(f"ID#{digest}")


class Throttle:
    def __init__(self, counters: CounterRepository, settings: Settings) -> None:
        self.counters = counters
        self.settings = settings

    def _address_key(self, attempt: Attempt, now: float) -> dict[str, dict[str, str]]:
        window = int(now) // self.settings.address_window
        return counter_key(f"ADDR#{attempt.address_bucket}", f"WINDOW#{window}")

    def _advertise(self, attempt: Attempt, failures: int, now: float) -> int:
        """Note the address budget for the answer; returns the seconds to the next window."""
        window = self.settings.address_window
        limit = self.settings.address_failure_limit
        reset_s = int(window - now % window) + 1
        advertise(AddressBudget(attempt.policy, limit, window, max(0, limit - failures),
                                reset_s))
        return reset_s

    def delay_after(self, failures: int) -> int:
        """Seconds a try must wait after ``failures`` consecutive failures."""
        free = self.settings.throttle_free_failures
        if failures < free:
            return 0
        return int(min(2 ** min(failures - free, 30), self.settings.throttle_max_delay))

    def locked(self, failures: int) -> bool:
        return failures >= self.settings.throttle_lock_after

    async def check(self, attempt: Attempt, *, charged: bool = False) -> int:
        """Raise TooManyRequests when this attempt must not be evaluated now; otherwise the
        identifier's failures so far (hand them to :meth:`succeeded`).

        ``charged``: the attempt will be counted whatever its outcome (off the request
        path), so the budget advertised on this answer already leaves it out."""
        now = time.time()
        ident, addr = await self.counters.read(
            [attempt.identifier_key(), self._address_key(attempt, now)]
        )
        used = addr.failures if addr is not None else 0
        over = used >= self.settings.address_failure_limit
        reset_s = self._advertise(attempt, used + (1 if charged and not over else 0), now)
        if over:
            raise TooManyRequests(reset_s)
        if ident is None:
            return 0
        if self.locked(ident.failures):
            raise TooManyRequests(self.settings.throttle_max_delay,
                                  "Too many attempts; follow the unlock link sent by mail.")
        wait = ident.last_failure_ms / 1000 + self.delay_after(ident.failures) - now
        if wait > 0:
            raise TooManyRequests(math.ceil(wait))
        return ident.failures

    async def failed(self, attempt: Attempt) -> int:
        """Count a failure against the identifier and the address; returns the identifier's
        new count."""
        now = time.time()
        used = await self.counters.add_failure(self._address_key(attempt, now),
                                               self.settings.address_window)
        self._advertise(attempt, used, now)
        return await self.counters.add_failure(attempt.identifier_key(), COUNTER_TTL)

    async def succeeded(self, attempt: Attempt, prior_failures: int) -> None:
        """Clear the identifier's failures; with none counted at :meth:`check`, there is
        nothing to clear and no write is spent on the success path."""
        if prior_failures:
            await self.counters.reset(attempt.identifier_key())

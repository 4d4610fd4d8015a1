"""RateLimit header fields (draft-ietf-httpapi-ratelimit-headers) for the per-address limit.

Every answer of a route whose flow consults the throttle advertises the client address's
budget: ``RateLimit-Policy: "address";q=30;w=600`` and ``RateLimit: "address";r=12;t=540``
(flows with a bucket of their own, such as password-forgot, name theirs). A client, or a
scanner, can then pace itself instead of running into a ``429``.

Security-sensitive: only per-address buckets are ever advertised. A per-identifier counter
would tell whether an identifier has failures, and so break the rule that a login answer
for an existing account and for an unknown one are the same byte for byte; the address
figures move by the same amount for both. The figures are the ones the throttle has
already read or written: advertising them costs no store round trip.

The throttle sits deep inside the flows, below routes that should not need to know about
it, so it notes its figures in a holder this module's middleware opens for each request
(a context variable, as structlog's request-bound values) and the middleware writes them
on the answer, error answers included.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field

from starlette.types import Message, Receive, Scope, Send

from dynaguard.guard.middleware import HttpMiddleware

__all__ = ["AddressBudget", "RateLimitHeaders", "advertise"]


@dataclass(frozen=True)
class AddressBudget:
    """One address bucket: ``quota`` counted failures per ``window`` seconds, ``remaining``
    of them left for ``reset_s`` seconds more."""

    policy: str
    quota: int
    window: int
    remaining: int
    reset_s: int

    def policy_item(self) -> str:
        return f'"{self.policy}";q={self.quota};w={self.window}'

    def limit_item(self) -> str:
        return f'"{self.policy}";r={max(0, self.remaining)};t={max(0, self.reset_s)}'


@dataclass
class _Note:
    budgets: dict[str, AddressBudget] = field(default_factory=dict)
    sealed: bool = False


_NOTE: ContextVar[_Note | None] = ContextVar("dynaguard_ratelimit", default=None)


def advertise(budget: AddressBudget) -> None:
    """Put ``budget`` on the current request's answer (the latest figure of a policy wins).

    Outside a request served through :class:`RateLimitHeaders`, or once the answer has
    started (work a flow left to a background task), this does nothing."""
    note = _NOTE.get()
    if note is not None and not note.sealed:
        note.budgets[budget.policy] = budget


class RateLimitHeaders(HttpMiddleware):
    """Writes the budgets the throttle noted during the request on its answer."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        note = _Note()

        async def with_fields(message: Message) -> None:
            if message["type"] == "http.response.start" and not note.sealed:
                note.sealed = True
                budgets = sorted(note.budgets.values(), key=lambda b: b.policy)
                if budgets:
                    headers = list(message.get("headers", []))
                    headers.append((b"ratelimit-policy",
                                    ", ".join(b.policy_item() for b in budgets).encode()))
                    headers.append((b"ratelimit",
                                    ", ".join(b.limit_item() for b in budgets).encode()))
                    message = {**message, "headers": headers}
            await send(message)

        token = _NOTE.set(note)
        try:
            await self.app(scope, receive, with_fields)
        finally:
            _NOTE.reset(token)

"""An optional in-process micro-cache for the per-request session check.

Security-sensitive (CWE-613): with the cache on, a session revoked by *another* instance
(or directly in the table) keeps working here for up to ``ttl`` seconds. That is why it is
off by default (``DYNAGUARD_SESSION_CACHE_TTL=0``: every request reads DynamoDB) and capped
at a few seconds by the settings. Revocations made through this process forget their
entries at once. Entries are bounded in number; the oldest go first.
"""

from __future__ import annotations

import time
from collections import OrderedDict

from dynaguard.store.items import SessionState
from dynaguard.store.sessions import SessionRepository

__all__ = ["SessionCache"]


class SessionCache:
    """``state`` of the session repository, reused for ``ttl`` seconds when on."""

    def __init__(self, sessions: SessionRepository, ttl: float, max_entries: int = 10_000) -> None:
        self.sessions = sessions
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple[str, str], tuple[float, SessionState | None]] = (
            OrderedDict())

    @property
    def enabled(self) -> bool:
        return self.ttl > 0

    async def state(self, user_id: str, sid: str) -> SessionState | None:
        if not self.enabled:
            return await self.sessions.state(user_id, sid)
        key = (sid, user_id)
        now = time.monotonic()
        hit = self._entries.get(key)
        if hit is not None and hit[0] > now:
            self._entries.move_to_end(key)
            return hit[1]
        found = await self.sessions.state(user_id, sid)
        self._entries[key] = (now + self.ttl, found)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
        return found

    def forget(self, sid: str) -> None:
        """Drop one session's entry (it was just revoked here)."""
        for key in [k for k in self._entries if k[0] == sid]:
            del self._entries[key]

    def forget_user(self, user_id: str) -> None:
        """Drop every entry of one account (disabled, or all its sessions revoked here)."""
        for key in [k for k in self._entries if k[1] == user_id]:
            del self._entries[key]

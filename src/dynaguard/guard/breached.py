"""Optional breached-password check by k-anonymity (the "range" API of Pwned Passwords).

Only the first five hex digits of the password's SHA-1 leave the process; the service
answers with every suffix it knows under that prefix, and the match is made here. Off by
default (``DYNAGUARD_BREACHED_CHECK_URL`` empty). If the service cannot be reached the
check is skipped and logged: registration must not depend on a third party being up.
"""

from __future__ import annotations

import hashlib

import structlog

from dynaguard.guard.passwords import normalize_password

__all__ = ["BreachedPasswordCheck"]

log = structlog.get_logger("dynaguard.policy")
PREFIX_LENGTH = 5


class BreachedPasswordCheck:
    def __init__(self, base_url: str, timeout: float = 2.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    async def times_seen(self, password: str) -> int | None:
        """How often the password appears in known breaches; None when the service is down."""
        import httpx  # noqa: PLC0415 -- off by default: kept off the cold start

        digest = hashlib.sha1(
            normalize_password(password).encode(), usedforsecurity=False
        ).hexdigest().upper()
        prefix, suffix = digest[:PREFIX_LENGTH], digest[PREFIX_LENGTH:]
        try:
            async with httpx.AsyncClient(timeout=self.timeout) as client:
                response = await client.get(f"{self.base_url}/range/{prefix}",
                                            headers={"Add-Padding": "true"})
                response.raise_for_status()
        except httpx.HTTPError as error:
            log.warning("breached_check_unavailable", error=type(error).__name__)
            return None
        for line in response.text.splitlines():
            candidate, _, count = line.strip().partition(":")
            if candidate.upper() == suffix and count.strip().isdigit():
                return int(count)
        return 0

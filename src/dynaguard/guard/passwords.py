"""Password hashing with Argon2id.

Security-sensitive: every verification path costs one Argon2 verification with the same
parameters, whether or not the account exists (``verify_dummy``), so login timing says
nothing about which accounts exist. Hashing runs off the event loop in a bounded pool, so
a login flood queues instead of exhausting memory. Do not add early returns before the
hash work on any path.
"""

from __future__ import annotations

import asyncio
import secrets
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from dynaguard.settings import Argon2ProfileName

__all__ = ["PROFILES", "Argon2Profile", "Passwords", "normalize_password"]


@dataclass(frozen=True)
class Argon2Profile:
    """Argon2id cost parameters."""

    time_cost: int
    memory_cost_kib: int
    parallelism: int


PROFILES: dict[Argon2ProfileName, Argon2Profile] = {
    # RFC 9106 §4, second recommended option: t=3, m=64 MiB, p=4.
    "rfc9106-low-memory": Argon2Profile(time_cost=3, memory_cost_kib=65_536, parallelism=4),
    # OWASP Password Storage Cheat Sheet minimum: m=19 MiB, t=2, p=1.
    "owasp-minimum": Argon2Profile(time_cost=2, memory_cost_kib=19_456, parallelism=1),
    # For test suites only: fast and weak. Refused by `dynaguard serve`.
    "insecure-test-only": Argon2Profile(time_cost=1, memory_cost_kib=8, parallelism=1),
}


def normalize_password(password: str) -> str:
    """NFKC form: the same password typed composed or decomposed hashes alike."""
    return unicodedata.normalize("NFKC", password)


class Passwords:
    """Hash, verify and dummy-verify passwords in a bounded worker pool."""

    def __init__(self, profile: Argon2Profile, concurrency: int) -> None:
        self._hasher = PasswordHasher(
            time_cost=profile.time_cost, memory_cost=profile.memory_cost_kib,
            parallelism=profile.parallelism, type=Type.ID,
        )
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="argon2")
        self._dummy_hash = self._hasher.hash(secrets.token_urlsafe(32))

    async def hash(self, password: str) -> str:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._pool, self._hasher.hash, normalize_password(password)
        )

    def _verify(self, stored_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(stored_hash, normalize_password(password))
        except (VerifyMismatchError, VerificationError):
            return False
        except InvalidHashError:
            # A malformed stored hash must cost what a real one costs.
            self._verify(self._dummy_hash, password)
            return False

    async def verify(self, stored_hash: str | None, password: str) -> bool:
        """Check a password; with no hash, spend the same work on the dummy and say no."""
        loop = asyncio.get_running_loop()
        target = stored_hash if stored_hash is not None else self._dummy_hash
        ok = await loop.run_in_executor(self._pool, self._verify, target, password)
        return ok and stored_hash is not None

    async def verify_dummy(self, password: str) -> None:
        """Spend one verification's worth of work and learn nothing."""
        await self.verify(None, password)

    def needs_rehash(self, stored_hash: str) -> bool:
        try:
            return self._hasher.check_needs_rehash(stored_hash)
        except InvalidHashError:
            return True

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

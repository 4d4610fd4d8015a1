"""Password storage and policy, safe or flawed.

``fast_hash``: unsalted SHA-256, so equal passwords give equal hashes and a precomputed
table reverses them. Safe: Argon2id with a per-password salt.
``weak_password_policy``: anything non-empty. Safe: a minimum length, not a common
password, not built on the email address.
``malformed_json_bypass`` (checked here): only a *positive* mismatch refuses, so a
password of the wrong type, which makes the hasher raise, is let through.
``timing_enum`` relies on ``verify_dummy``: safe logins of unknown emails spend one
verification too. ``verifications`` counts the work so tests can see it.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
from functools import lru_cache

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from dynaguard.guard.passwords import Argon2Profile

__all__ = ["LabPasswords", "password_problems"]

ARGON2_PREFIX = "$argon2"


def sha256_hex(password: str) -> str:
    return hashlib.sha256(password.encode()).hexdigest()


class LabPasswords:
    """Hashes and checks passwords; ``fast`` switches on the ``fast_hash`` flaw."""

    def __init__(self, profile: Argon2Profile, *, fast: bool) -> None:
        self.fast = fast
        self.verifications = 0
        self._argon2 = PasswordHasher(time_cost=profile.time_cost,
                                      memory_cost=profile.memory_cost_kib,
                                      parallelism=profile.parallelism, type=Type.ID)
        self._dummy_hash = self._argon2.hash(secrets.token_urlsafe(16))

    async def hash(self, password: str) -> str:
        if self.fast:
            return sha256_hex(password)  # the flaw: no salt, no work factor
        return await asyncio.to_thread(self._argon2.hash, password)

    def _verify(self, stored_hash: str, password: str) -> bool:
        self.verifications += 1
        if not stored_hash.startswith(ARGON2_PREFIX):
            return hmac.compare_digest(sha256_hex(password), stored_hash)
        try:
            return self._argon2.verify(stored_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    async def verify(self, stored_hash: str, password: str) -> bool:
        """True when ``password`` matches; a password that is not a string raises."""
        return await asyncio.to_thread(self._verify, stored_hash, password)

    async def verify_dummy(self, password: str) -> None:
        """Spend what a real verification costs, for an account that does not exist."""
        await self.verify(self._dummy_hash, password)

    async def rejects(self, stored_hash: str, password: object) -> bool:
        """The ``malformed_json_bypass`` check: refuse only on a definite mismatch."""
        try:
            return not await self.verify(stored_hash, password)  # type: ignore[arg-type]
        except (AttributeError, TypeError, ValueError):
            # "Odd input, probably a legacy client: do not lock the user out."
            return False


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    return frozenset(FREQUENCY_LISTS["passwords"])


def password_problems(password: str, *, email: str, min_length: int, weak: bool) -> list[str]:
    """Reasons to refuse ``password``; ``weak`` is the ``weak_password_policy`` flaw."""
    if weak:
        return [] if password else ["must not be empty"]
    problems = []
    if len(password) < min_length:
        problems.append(f"must be at least {min_length} characters")
    if password.lower() in _common_passwords():
        problems.append("is a commonly used password")
    local = email.partition("@")[0].lower()
    if len(local) >= 4 and local in password.lower():
        problems.append("contains your email address")
    return problems

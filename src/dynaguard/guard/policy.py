"""Password policy (CWE-521), after NIST SP 800-63B §5.1.1.2.

Length is what counts: a configurable minimum (12 by default), up to 1024 characters
accepted and hashed whole (never truncated), no composition rules. Refused: the
passwords of zxcvbn's common-password list, anything zxcvbn scores below 3, and
passwords built on context words (the email's local part and domain, the service name).
Reasons are listed; the password itself is never echoed or logged.
"""

from __future__ import annotations

import asyncio
import re
from functools import lru_cache

from dynaguard.errors import InvalidRequest
from dynaguard.guard.breached import BreachedPasswordCheck
from dynaguard.guard.passwords import normalize_password
from dynaguard.settings import Settings

__all__ = ["MAX_PASSWORD_LENGTH", "WeakPassword", "check_password", "password_problems"]

MAX_PASSWORD_LENGTH = 1024
MIN_SCORE = 3
# zxcvbn refuses longer inputs; a password this long is not weak for lack of length,
# so its estimate is taken on the leading part.
ZXCVBN_WINDOW = 72
MIN_CONTEXT_WORD = 4


class WeakPassword(InvalidRequest):
    title = "Password does not meet the policy"


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    # zxcvbn's lists load at the first password checked, not at a cold start that may
    # only serve logins.
    from zxcvbn.frequency_lists import FREQUENCY_LISTS  # noqa: PLC0415

    return frozenset(FREQUENCY_LISTS["passwords"])


def _context_words(email: str, service_name: str) -> list[str]:
    local, _, domain = email.partition("@")
    words = [service_name, local, *re.split(r"[._+-]", local), *domain.split(".")[:-1]]
    return sorted({w.lower() for w in words if len(w) >= MIN_CONTEXT_WORD})


def password_problems(password: str, *, email: str, settings: Settings) -> list[str]:
    """Every reason the policy refuses ``password``; empty when it is acceptable."""
    password = normalize_password(password)
    length = len(password)
    if length < settings.password_min_length:
        return [f"must be at least {settings.password_min_length} characters"]
    if length > MAX_PASSWORD_LENGTH:
        return [f"must be at most {MAX_PASSWORD_LENGTH} characters"]
    problems = []
    lowered = password.lower()
    if lowered in _common_passwords():
        problems.append("is a commonly used password")
    context = _context_words(email, settings.service_name)
    if any(word in lowered for word in context):
        problems.append("contains your email address or the service name")
    from zxcvbn import zxcvbn  # noqa: PLC0415 -- loaded with the lists, see above

    estimate = zxcvbn(password[:ZXCVBN_WINDOW], user_inputs=context)
    if int(estimate["score"]) < MIN_SCORE:
        problems.append("is too easy to guess")
    return problems


async def check_password(password: str, *, email: str, settings: Settings) -> None:
    """Raise :class:`WeakPassword` listing the reasons when the policy refuses ``password``."""
    # zxcvbn costs tens of milliseconds of CPU: keep it off the event loop.
    problems = await asyncio.to_thread(password_problems, password, email=email,
                                       settings=settings)
    if not problems and settings.breached_check_url:
        seen = await BreachedPasswordCheck(settings.breached_check_url).times_seen(password)
        if seen:
            problems.append("has appeared in a known data breach")
    if problems:
        raise WeakPassword("The password was refused.", reasons=problems)

"""Which scopes need a second factor (``DYNAGUARD_MFA_REQUIRED_SCOPES``, default ``admin``).

Decision: a session that did not pass a second factor is issued its *other* scopes and
silently not the guarded ones (OAuth2 lets a server grant fewer scopes than asked, and
the token's ``scope`` claim says what was granted). So a password-only login of an admin
who has no MFA still works for everyday scopes, and every guarded route answers 403 until
the admin enrols a factor and logs in with it. Refusing the whole login instead would lock
such admins out of enrolment itself. Sessions are created only through
``start_session``, which applies this filter, and keep their scopes for life (refresh
cannot add any), so no token path gets around it.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["SECOND_FACTORS", "grantable_scopes", "multi_factor"]

# RFC 8176 method names: one-time password, recovery code, hardware-bound key.
SECOND_FACTORS = frozenset({"otp", "rc", "hwk"})


def multi_factor(amr: Iterable[str]) -> bool:
    """True when the methods in ``amr`` add up to more than one factor."""
    methods = set(amr)
    return "mfa" in methods or ("pwd" in methods and bool(methods & SECOND_FACTORS))


def grantable_scopes(
    scopes: Iterable[str], amr: Iterable[str], required: Iterable[str]
) -> list[str]:
    """``scopes`` less those that need a second factor ``amr`` does not show."""
    if multi_factor(amr):
        return sorted(set(scopes))
    return sorted(set(scopes) - set(required))

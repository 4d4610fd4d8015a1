"""The lab's flaws: one switch each, with its CWE and what it does.

A flaw name is the contract between the lab, its docs page (``docs/lab/<name>.md``),
its exploit test and the scanner check that must find it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["FLAWS", "Flaw", "UnknownFlaw", "parse_flaws"]


@dataclass(frozen=True)
class Flaw:
    """One deliberate weakness of the lab."""

    name: str
    cwe: tuple[int, ...]
    family: str
    summary: str
    masked_by: tuple[str, ...] = ()
    """Flaws that, also on, make this one unobservable from outside."""

    @property
    def cwe_label(self) -> str:
        return ", ".join(f"CWE-{n}" for n in self.cwe)


_ALL = (
    Flaw("keyerror_bypass", (287, 636), "accounts",
         "login reads item['enabled']['BOOL'] raw; the KeyError of an item without it is "
         "swallowed by a broad except and the login goes through with any password"),
    Flaw("missing_attr_truthy", (287,), "accounts",
         "a missing email_confirmed attribute is read as confirmed"),
    Flaw("fast_hash", (916, 759), "passwords", "passwords stored as unsalted SHA-256"),
    Flaw("timing_enum", (208,), "enumeration",
         "no dummy hash for unknown emails: their logins answer measurably faster",
         masked_by=("fast_hash",)),
    Flaw("message_enum", (204,), "enumeration",
         "login, register and forgot say whether an email has an account"),
    Flaw("jwt_no_verify", (347,), "jwt", "access tokens decoded without checking the signature"),
    Flaw("jwt_alg_none", (347,), "jwt", "a token whose header says alg=none is accepted unsigned"),
    Flaw("jwt_weak_secret", (347, 521), "jwt",
         "HS256 with a dictionary word as secret: crack it, then forge any claim"),
    Flaw("jwt_no_exp", (613,), "jwt", "access tokens carry no exp and never expire"),
    Flaw("jwt_no_aud", (287,), "jwt",
         "aud is not checked: a token issued for the sibling reports API works here"),
    Flaw("jwt_alg_confusion", (347,), "jwt",
         "the header picks the algorithm: HS256 with the published ES256 key's PEM as secret"),
    Flaw("jwt_kid_injection", (347, 22), "jwt",
         "kid is a file name under the key directory: ../../dev/null is an empty HMAC key"),
    Flaw("jwt_jku_trust", (347,), "jwt",
         "keys from the token's own header: an embedded jwk, or one fetched from jku / x5u"),
    Flaw("jwt_sub_trusted", (639, 287), "jwt",
         "the session is checked for being live, but the caller is whoever sub names"),
    Flaw("no_logout_revocation", (613,), "sessions",
         "logout and logout-all only ask the client to forget; tokens keep working"),
    Flaw("no_password_change_revocation", (613,), "sessions",
         "a password change leaves every other session signed in"),
    Flaw("long_lived_tokens", (613,), "sessions",
         "access tokens live 30 days, refresh tokens a year"),
    Flaw("refresh_reuse", (613,), "sessions",
         "refresh tokens are not rotated: a stolen one can be replayed forever"),
    Flaw("no_throttle", (307,), "brute_force", "unlimited password guesses per account"),
    Flaw("weak_password_policy", (521,), "passwords",
         "any non-empty password is accepted, '123456' included"),
    Flaw("missing_route_auth", (306,), "access_control",
         "DELETE /notes/{id} has no auth dependency: anyone can delete any note"),
    Flaw("bola", (639,), "access_control", "GET /notes/{id} returns other users' notes"),
    Flaw("scope_confusion", (863,), "access_control",
         "route scopes are declared for OpenAPI but never enforced: a read-only token writes"),
    Flaw("reset_token_weak", (640, 330), "recovery",
         "reset tokens derived from email and time, never expiring, reusable"),
    Flaw("reset_token_in_response", (640,), "recovery",
         "forgot-password returns the reset token in its response body"),
    Flaw("reset_keeps_sessions", (613, 640), "recovery",
         "a password reset leaves existing sessions signed in"),
    Flaw("reset_token_reusable", (640,), "recovery",
         "a random reset token is checked but never spent: it resets the password again"),
    Flaw("reset_token_long_lived", (640, 613), "recovery",
         "reset links work for 7 days (and the mail says so), not minutes"),
    Flaw("session_fixation", (384,), "sessions",
         "login adopts the session id of a cookie the client brought"),
    Flaw("malformed_json_bypass", (287, 20), "accounts",
         "the login body is not validated: a boolean, object or {'S': ...} password passes"),
    Flaw("error_leak", (209,), "errors",
         "DynamoDB and Python exception text, tracebacks and echoed input in error bodies"),
    Flaw("single_factor_admin", (308,), "access_control",
         "admin operations need only a password; enrolled MFA is never asked"),
    Flaw("bfla", (285,), "access_control",
         "GET /admin/users checks only that the caller is signed in: any account lists all"),
    Flaw("insecure_cookies", (1004, 614, 1275), "sessions",
         "the session cookie is set without HttpOnly, Secure or SameSite"),
    Flaw("cors_any_origin", (942,), "browser",
         "CORS reflects any Origin with credentials allowed: any site reads signed-in answers"),
)

FLAWS: dict[str, Flaw] = {flaw.name: flaw for flaw in _ALL}


class UnknownFlaw(ValueError):
    """A flaw name that the lab does not have."""


def parse_flaws(spec: str | Iterable[str]) -> frozenset[str]:
    """``all``, ``none``, or names separated by commas; unknown names raise."""
    if isinstance(spec, str):
        text = spec.strip().lower()
        if text == "all":
            return frozenset(FLAWS)
        if text in ("none", ""):
            return frozenset()
        names = [part.strip() for part in text.split(",") if part.strip()]
    else:
        names = list(spec)
    unknown = sorted(set(names) - FLAWS.keys())
    if unknown:
        raise UnknownFlaw(f"unknown flaw(s): {', '.join(unknown)} (see `dynaguard lab --list`)")
    return frozenset(names)

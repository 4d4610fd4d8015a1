"""Login: throttling, enumeration and the second factor.

``no_throttle``: unlimited guesses. Safe: five failures per email per 15-minute window,
counted in DynamoDB whether or not the account exists, then 429 with ``Retry-After``.
``message_enum``: unknown email, wrong password, disabled and unconfirmed each get their
own status and message. Safe: one answer for all.
``timing_enum``: an unknown email returns at once. Safe: one dummy verification, so it
costs what a wrong password costs.
``single_factor_admin``: an account with MFA enrolled gets tokens for a password alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NoReturn

import pyotp

from dynaguard.lab.accounts import email_confirmed, normalize_email, password_check
from dynaguard.lab.attributes import list_attr, str_attr
from dynaguard.lab.errors import LabError
from dynaguard.lab.sessions import open_session, unauthorized
from dynaguard.lab.state import Lab
from dynaguard.lab.store import DECOY_USER_ID, RawItem
from dynaguard.lab.tokens import InvalidToken

__all__ = ["LoginAttempt", "LoginResult", "log_in", "verify_mfa"]

THROTTLE_WINDOW = 900
MAX_FAILURES = 5
ENUMERATING_ANSWERS = {
    "unknown": (404, "No account with this email."),
    "password": (401, "Wrong password."),
    "corrupt": (401, "Wrong password."),
    "disabled": (403, "This account is disabled."),
    "unconfirmed": (403, "Confirm your email address first."),
}


@dataclass(frozen=True)
class LoginAttempt:
    email: str
    password: object  # a str unless the malformed_json_bypass flaw let something else in
    scopes: list[str] | None = None
    audience: str | None = None
    client_sid: str | None = None


@dataclass(frozen=True)
class LoginResult:
    body: dict[str, Any]
    sid: str | None = None


async def _count_failure(lab: Lab, identifier: str) -> None:
    if not lab.on("no_throttle"):
        window = lab.now() // THROTTLE_WINDOW
        await lab.store.add_failure(identifier, window, (window + 1) * THROTTLE_WINDOW)


async def _refuse(lab: Lab, email: str, reason: str) -> NoReturn:
    await _count_failure(lab, email)
    if lab.on("message_enum"):
        status, message = ENUMERATING_ANSWERS[reason]
        raise LabError(status, "Login failed", message)
    raise LabError(401, "Authentication failed", "Invalid email or password.",
                   {"WWW-Authenticate": "Bearer"})


async def _check_throttle(lab: Lab, identifier: str) -> None:
    if lab.on("no_throttle"):
        return
    now = lab.now()
    window = now // THROTTLE_WINDOW
    if await lab.store.failures(identifier, window) >= MAX_FAILURES:
        retry_after = (window + 1) * THROTTLE_WINDOW - now
        raise LabError(429, "Too many requests", "Too many failed logins; try again later.",
                       {"Retry-After": str(max(1, retry_after))})


def _granted(user: RawItem, requested: list[str] | None) -> list[str]:
    own = list_attr(user, "scopes") or []
    return own if requested is None else [s for s in requested if s in own]


async def log_in(lab: Lab, attempt: LoginAttempt) -> LoginResult:
    if attempt.audience not in (None, *lab.tokens.audiences):
        raise LabError(400, "Invalid request", "Unknown audience.")
    email = normalize_email(attempt.email)
    await _check_throttle(lab, email)
    user_id = await lab.store.user_id_for_email(email)
    # An unknown email reads the decoy account's item: the same reads of the same shape
    # either way, so only the password hash could tell them apart.
    user = await lab.store.get_user(user_id or DECOY_USER_ID)
    if user_id is None or user is None:
        if not lab.on("timing_enum") and isinstance(attempt.password, str):
            await lab.passwords.verify_dummy(attempt.password)
        await _refuse(lab, email, "unknown")
    reason = await password_check(lab, user, attempt.password)
    if reason is None and not email_confirmed(lab, user):
        reason = "unconfirmed"
    if reason is not None:
        await _refuse(lab, email, reason)
    if str_attr(user, "mfa_secret") and not lab.on("single_factor_admin"):
        return LoginResult({"mfa_required": True,
                            "mfa_token": lab.tokens.issue_mfa(str_attr(user, "id") or "")})
    body, sid = await open_session(lab, user, _granted(user, attempt.scopes), ["pwd"],
                                   audience=attempt.audience, client_sid=attempt.client_sid)
    return LoginResult(body, sid)


async def verify_mfa(lab: Lab, mfa_token: str, code: str, client_sid: str | None) -> LoginResult:
    """The second step: a TOTP code turns an MFA token into a session.

    Codes are throttled like passwords: a million codes are few for an unthrottled robot.
    """
    try:
        user_id = lab.tokens.verify_mfa(mfa_token)
    except InvalidToken:
        raise unauthorized() from None
    await _check_throttle(lab, f"mfa:{user_id}")
    user = await lab.store.get_user(user_id)
    secret = str_attr(user, "mfa_secret") if user else None
    if user is None or secret is None or not pyotp.TOTP(secret).verify(code, valid_window=1):
        await _count_failure(lab, f"mfa:{user_id}")
        raise unauthorized()
    body, sid = await open_session(lab, user, _granted(user, None), ["pwd", "otp"],
                                   client_sid=client_sid)
    return LoginResult(body, sid)

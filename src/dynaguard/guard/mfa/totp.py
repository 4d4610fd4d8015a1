"""Time-based one-time passwords (RFC 6238): 6 digits, 30-second steps, SHA-1 for the apps.

Security-sensitive: a code is accepted for the current step and one step either side (clock
drift), and the matching *step* is returned so the caller can refuse any step not later
than the last accepted one (a code, once used, cannot be used again). Comparison is
constant-time (pyotp's ``strings_equal``).
"""

from __future__ import annotations

import re
import time

import pyotp
from pyotp.utils import strings_equal

__all__ = ["DIGITS", "INTERVAL", "is_totp_code", "matching_step", "new_secret",
           "provisioning_uri", "qr_svg"]

DIGITS = 6
INTERVAL = 30
DRIFT_STEPS = 1
_CODE = re.compile(r"[0-9]{6}")


def new_secret() -> str:
    """160 random bits, base32 (what authenticator apps expect)."""
    return pyotp.random_base32(32)


def provisioning_uri(secret: str, account: str, issuer: str) -> str:
    """The ``otpauth://totp/...`` URI an authenticator app imports."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL).provisioning_uri(
        name=account, issuer_name=issuer)


def qr_svg(uri: str) -> str:
    """The URI as an inline SVG QR code."""
    import segno  # noqa: PLC0415 -- only enrolment draws a QR code: kept off the cold start

    return str(segno.make(uri, error="m", micro=False).svg_inline(scale=4))


def is_totp_code(code: str) -> bool:
    return _CODE.fullmatch(code) is not None


def matching_step(secret: str, code: str, now: float | None = None) -> int | None:
    """The time step ``code`` belongs to (within the drift window), or None."""
    if not is_totp_code(code):
        return None
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL)
    current = int((now if now is not None else time.time()) // INTERVAL)
    found: int | None = None
    # Every candidate is compared, so the time taken does not say which one matched.
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if strings_equal(code, totp.generate_otp(step)) and found is None:
            found = step
    return found

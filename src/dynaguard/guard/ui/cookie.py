"""The browser session: one cookie, three states, and the CSRF token bound to it.

Security-sensitive (CWE-384, CWE-352, CWE-565):
- The cookie is ``Secure``, ``HttpOnly``, ``SameSite=Lax``, ``Path=/``, without ``Domain``,
  under the ``__Host-`` prefix, so no subdomain can plant or shadow it. Browsers accept
  such a cookie from http://127.0.0.1 and http://localhost too, so no development server
  needs a weaker one.
- Its value is always generated here. A visitor gets a random anonymous value; a correct
  password owed a second factor gets a value holding the step-up ticket; a completed
  sign-in (or second factor) gets a value naming the brand-new server-side session, MACed
  with a key derived from the key-encryption key. A value is never promoted from one state
  to the next: each state change replaces it, and only the server can mint a signed one.
- The signed value is a reference, not a credential on its own: the session it names is
  read and checked on every request, so sign-out, revocation and a password change end it.
- The CSRF token is an HMAC of the whole cookie value: a new value (sign-in, sign-out)
  makes every older form token worthless. It is compared in constant time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass
from typing import Literal

from starlette.requests import Request
from starlette.responses import Response

__all__ = ["COOKIE", "BrowserState", "CookieKeys", "read_state", "set_state"]

COOKIE = "__Host-dynaguard"
MAX_VALUE = 512
_SIGNED = re.compile(
    r"s\.([0-9a-f]{8,64})\.([A-Za-z0-9_-]{1,64})\.([0-9]{1,12})\.([A-Za-z0-9_-]{43})")
_TICKET = re.compile(r"t\.([A-Za-z0-9_-]{20,256})")
_ANONYMOUS = re.compile(r"a\.[A-Za-z0-9_-]{43}")

Kind = Literal["anonymous", "pending", "signed_in"]


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class CookieKeys:
    """The MAC keys of the UI, derived from the key-encryption key (shared by instances)."""

    def __init__(self, kek: bytes) -> None:
        self._session = hmac.new(kek, b"dynaguard ui session v1", hashlib.sha256).digest()
        self._csrf = hmac.new(kek, b"dynaguard ui csrf v1", hashlib.sha256).digest()

    def sign(self, payload: str) -> str:
        return _b64(hmac.new(self._session, payload.encode(), hashlib.sha256).digest())

    def csrf_token(self, cookie_value: str) -> str:
        return _b64(hmac.new(self._csrf, cookie_value.encode(), hashlib.sha256).digest())

    def csrf_matches(self, cookie_value: str, token: str) -> bool:
        return hmac.compare_digest(self.csrf_token(cookie_value).encode(), token.encode())


@dataclass(frozen=True)
class BrowserState:
    """What the cookie says, once checked; ``value`` is what the browser holds."""

    kind: Kind
    value: str
    ticket: str = ""
    sid: str = ""
    user_id: str = ""
    issued_at: int = 0
    fresh: bool = False  # minted on this request: the response must set it

    @classmethod
    def anonymous(cls) -> BrowserState:
        return cls("anonymous", "a." + secrets.token_urlsafe(32), fresh=True)

    @classmethod
    def pending(cls, ticket: str) -> BrowserState:
        return cls("pending", f"t.{ticket}", ticket=ticket, fresh=True)

    @classmethod
    def signed_in(cls, keys: CookieKeys, sid: str, user_id: str) -> BrowserState:
        now = int(time.time())
        payload = f"s.{sid}.{user_id}.{now}"
        return cls("signed_in", f"{payload}.{keys.sign(payload)}", sid=sid, user_id=user_id,
                   issued_at=now, fresh=True)


def _parse_signed(value: str, keys: CookieKeys, ttl: int) -> BrowserState | None:
    found = _SIGNED.fullmatch(value)
    if found is None:
        return None
    sid, user_id, issued, mac = found.groups()
    expected = keys.sign(f"s.{sid}.{user_id}.{issued}")
    if not hmac.compare_digest(expected.encode(), mac.encode()) or int(issued) + ttl < time.time():
        return None
    return BrowserState("signed_in", value, sid=sid, user_id=user_id, issued_at=int(issued))


def _parse(value: str, keys: CookieKeys, ttl: int) -> BrowserState | None:
    if len(value) > MAX_VALUE:
        return None
    if _ANONYMOUS.fullmatch(value):
        return BrowserState("anonymous", value)
    if found := _TICKET.fullmatch(value):
        return BrowserState("pending", value, ticket=found.group(1))
    return _parse_signed(value, keys, ttl)


def read_state(request: Request, keys: CookieKeys, ttl: int) -> BrowserState:
    """The checked state of the browser's cookie; anything unreadable is a new visitor."""
    value = request.cookies.get(COOKIE)
    state = _parse(value, keys, ttl) if value else None
    return state if state is not None else BrowserState.anonymous()


def set_state(request: Request, response: Response, state: BrowserState, ttl: int) -> None:
    """Write ``state`` into ``response`` as the browser's cookie."""
    response.set_cookie(COOKIE, state.value, max_age=ttl, path="/", secure=True,
                        httponly=True, samesite="lax")

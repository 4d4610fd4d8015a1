"""Sessions, token pairs and refresh.

Every access token names a session (``sid``); the session item in DynamoDB decides on
each request: not revoked, not expired, same credentials version as the user.
``refresh_reuse``: the refresh token is handed back unchanged and never marked used, so a
stolen one works forever. Safe: rotated on every use with a conditional write; a replay
revokes the whole session.
``session_fixation``: login adopts the session id of the client's cookie.
``long_lived_tokens``: sessions and refresh tokens live a year.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from dynaguard.lab.accounts import is_enabled
from dynaguard.lab.attributes import bool_attr, int_attr, list_attr, str_attr
from dynaguard.lab.errors import LabError
from dynaguard.lab.state import Lab
from dynaguard.lab.store import RawItem, key

__all__ = ["SESSION_COOKIE", "live_session", "open_session", "refresh", "unauthorized"]

SESSION_COOKIE = "lab_session"
LONG_TTL = 365 * 86_400


def unauthorized() -> LabError:
    return LabError(401, "Authentication failed", "Invalid or expired credentials.",
                    {"WWW-Authenticate": "Bearer"})


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _ttls(lab: Lab) -> tuple[int, int]:
    """(refresh idle lifetime, session absolute lifetime)."""
    if lab.on("long_lived_tokens"):
        return LONG_TTL, LONG_TTL
    return lab.settings.refresh_idle_ttl, lab.settings.refresh_absolute_ttl


async def _pair(lab: Lab, user_id: str, sid: str, *, scopes: list[str], amr: list[str],
                audience: str | None, refresh_token: str | None = None) -> dict[str, Any]:
    if refresh_token is None:
        refresh_token = secrets.token_urlsafe(32)
        await lab.store.put_refresh(_hash(refresh_token), sid, user_id,
                                    lab.now() + _ttls(lab)[0])
    return {"access_token": lab.tokens.issue_access(user_id, sid, scopes, amr, audience),
            "token_type": "bearer", "expires_in": lab.tokens.access_ttl,
            "refresh_token": refresh_token}


async def open_session(lab: Lab, user: RawItem, scopes: list[str], amr: list[str], *,
                       audience: str | None = None,
                       client_sid: str | None = None) -> tuple[dict[str, Any], str]:
    """Start a session; returns the token pair and the session id for the cookie."""
    sid = secrets.token_urlsafe(24)
    if lab.on("session_fixation") and client_sid:
        sid = client_sid  # the flaw: "keep the visitor's session, just log it in"
    user_id = str_attr(user, "id") or ""
    now = lab.now()
    await lab.store.put_session({
        **key(f"SESSION#{sid}", "SESSION"), "user_id": {"S": user_id},
        "version": {"N": str(int_attr(user, "credentials_version") or 0)},
        "scopes": {"L": [{"S": s} for s in scopes]}, "amr": {"L": [{"S": a} for a in amr]},
        "revoked": {"BOOL": False}, "created_at": {"N": str(now)},
        "expires_at": {"N": str(now + _ttls(lab)[1])},
    })
    return await _pair(lab, user_id, sid, scopes=scopes, amr=amr, audience=audience), sid


async def live_session(lab: Lab, sid: str, user_id: str | None = None) -> tuple[RawItem, RawItem]:
    """The session and its user, if the session still stands; else 401."""
    session = await lab.store.get_session(sid)
    if session is None or bool_attr(session, "revoked") is not False:
        raise unauthorized()
    expires_at, owner = int_attr(session, "expires_at"), str_attr(session, "user_id")
    if expires_at is None or expires_at <= lab.now() or owner is None:
        raise unauthorized()
    if user_id is not None and owner != user_id:
        raise unauthorized()
    user = await lab.store.get_user(owner)
    if user is None or not is_enabled(lab, user):
        raise unauthorized()
    if int_attr(session, "version") != int_attr(user, "credentials_version"):
        raise unauthorized()
    return session, user


async def refresh(lab: Lab, refresh_token: str) -> dict[str, Any]:
    """A new token pair for a refresh token."""
    token_hash = _hash(refresh_token)
    item = await lab.store.get_refresh(token_hash)
    expires_at = int_attr(item, "expires_at") if item else None
    sid = str_attr(item, "sid") if item else None
    if item is None or expires_at is None or expires_at <= lab.now() or sid is None:
        raise unauthorized()
    session, user = await live_session(lab, sid)
    user_id = str_attr(user, "id") or ""
    scopes, amr = list_attr(session, "scopes") or [], list_attr(session, "amr") or []
    if lab.on("refresh_reuse"):
        return await _pair(lab, user_id, sid, scopes=scopes, amr=amr, audience=None,
                           refresh_token=refresh_token)
    if not await lab.store.mark_refresh_used(token_hash):
        # A used token came back: someone holds a copy. End the whole session.
        await lab.store.revoke_session(sid)
        raise unauthorized()
    return await _pair(lab, user_id, sid, scopes=scopes, amr=amr, audience=None)

"""Refresh-token rotation with reuse detection (CWE-613).

Security-sensitive: every use spends the token and issues its successor atomically. A
token presented after it was spent means a copy exists somewhere: the whole session (the
token family) is revoked, so the thief's and the owner's newest tokens both die.
"""

from __future__ import annotations

import structlog

from dynaguard.errors import AuthenticationFailed, CorruptItem
from dynaguard.guard.flows.login import TokenPair
from dynaguard.guard.services import Services
from dynaguard.guard.tokens import MAX_TOKEN_LENGTH, hash_token, new_opaque_token
from dynaguard.store.items import SessionItem, UserItem
from dynaguard.store.sessions import RefreshRace

__all__ = ["refresh", "session_is_live"]

log = structlog.get_logger("dynaguard.auth")


def session_is_live(session: SessionItem | None, user: UserItem | None) -> bool:
    """The one rule deciding whether a session still authenticates its user."""
    return (
        session is not None and user is not None
        and session.user_id == user.id
        and not session.revoked
        and not session.expired()
        and not user.expired()
        and user.enabled
        and user.email_verified
        and session.credentials_version == user.credentials_version
    )


async def _revoke_family(svc: Services, sid: str, user_id: str) -> None:
    log.warning("refresh_token_reuse", sid=sid)
    await svc.sessions.revoke(sid)
    await svc.audit.record("refresh_token_reuse", user_id=user_id, sid=sid)


async def refresh(svc: Services, token: str) -> TokenPair:
    if len(token) > MAX_TOKEN_LENGTH:
        raise AuthenticationFailed
    old_hash = hash_token(token)
    try:
        item = await svc.sessions.get_refresh(old_hash)
    except CorruptItem:
        raise AuthenticationFailed from None
    if item is None or item.expired():
        raise AuthenticationFailed
    if item.used:
        await _revoke_family(svc, item.session_id, item.user_id)
        raise AuthenticationFailed
    try:
        session, user = await svc.sessions.get_with_user(item.session_id, item.user_id)
    except CorruptItem:
        raise AuthenticationFailed from None
    if session is None or user is None or not session_is_live(session, user):
        raise AuthenticationFailed
    new_token = new_opaque_token()
    try:
        await svc.sessions.rotate(session, old_hash, hash_token(new_token),
                                  svc.settings.refresh_idle_ttl, user.credentials_version)
    except RefreshRace:
        # Lost a race for this token: another holder spent it first. Treat it as reuse.
        await _revoke_family(svc, session.id, user.id)
        raise AuthenticationFailed from None
    access = svc.tokens.issue_access(user.id, session.id, session.scopes, session.amr)
    return TokenPair(access, new_token, svc.settings.access_ttl)

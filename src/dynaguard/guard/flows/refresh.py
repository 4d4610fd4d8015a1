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
from dynaguard.store.items import SessionState
from dynaguard.store.sessions import AccountChanged, RefreshRace

__all__ = ["refresh", "session_is_live"]

log = structlog.get_logger("dynaguard.auth")


def session_is_live(session: SessionState | None, user_id: str, sid: str) -> bool:
    """The one rule deciding whether a session still authenticates its user."""
    return session is not None and session.is_live(user_id, sid)


async def _revoke_family(svc: Services, sid: str, user_id: str) -> None:
    log.warning("refresh_token_reuse", sid=sid)
    await svc.sessions.revoke(user_id, sid)
    await svc.audit.record("refresh_token_reuse", user_id=user_id, sid=sid)


async def _live_session(svc: Services, user_id: str, sid: str) -> SessionState:
    """The session, if live for an account that is whole, enabled and as the session's
    copy says. A refresh reads the user item too (unlike a request): a damaged one ends
    every session of the account, a changed one is pushed to its sessions first."""
    for _ in range(2):
        try:
            item, user = await svc.sessions.get_with_user(user_id, sid)
        except CorruptItem:
            await svc.account_sync.push(user_id)
            raise AuthenticationFailed from None
        session = item.state() if item is not None else None
        if session is None or not session_is_live(session, user_id, sid):
            raise AuthenticationFailed
        if (user is not None and not user.expired() and user.enabled
                and user.account_state() == session.account):
            return session
        await svc.account_sync.push(user_id)
    raise AuthenticationFailed


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
    session = await _live_session(svc, item.user_id, item.session_id)
    new_token = new_opaque_token()
    for retried in (False, True):
        try:
            await svc.sessions.rotate(session, old_hash, hash_token(new_token),
                                      svc.settings.refresh_idle_ttl)
            break
        except RefreshRace:
            # Lost a race for this token: another holder spent it first. Treat it as reuse.
            await _revoke_family(svc, session.id, session.user_id)
            raise AuthenticationFailed from None
        except AccountChanged:
            if retried:
                raise AuthenticationFailed from None
            # The account changed and its sessions are not all brought up to date yet (a
            # change in flight, or one interrupted): finish that, then try once more with
            # the session as it is now. Nothing was spent.
            await svc.account_sync.push(session.user_id)
            session = await _live_session(svc, item.user_id, item.session_id)
    access = svc.tokens.issue_access(session.user_id, session.id, session.scopes, session.amr)
    return TokenPair(access, new_token, svc.settings.access_ttl)

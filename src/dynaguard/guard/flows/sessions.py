"""Ending sessions: this one, one of the caller's others, or all of them (CWE-613).

Shared by the JSON API and the sign-in pages, so both end sessions, forget cached session
checks and write audit records alike.
"""

from __future__ import annotations

from dynaguard.errors import NotFound
from dynaguard.guard.principal import Principal
from dynaguard.guard.services import Services
from dynaguard.store.items import SessionItem

__all__ = ["own_sessions", "revoke_own_session", "sign_out", "sign_out_everywhere"]

SID_MAX_LENGTH = 64


async def sign_out(svc: Services, caller: Principal) -> None:
    """End the caller's session."""
    await svc.sessions.revoke(caller.id, caller.session.id)
    svc.session_cache.forget(caller.session.id)
    await svc.audit.record("logout", user_id=caller.id, sid=caller.session.id)


async def sign_out_everywhere(svc: Services, caller: Principal) -> None:
    """End every session of the caller's account, the caller's own included."""
    await svc.users.bump_credentials_version(caller.id)
    await svc.account_sync.push(caller.id)
    svc.session_cache.forget_user(caller.id)
    await svc.audit.record("logout_all", user_id=caller.id)


async def own_sessions(svc: Services, caller: Principal) -> list[SessionItem]:
    """The caller's live sessions (newest first): a credentials change ends the others
    before it is answered (store/account_sync.py)."""
    return await svc.sessions.list_for_user(caller.id)


async def revoke_own_session(svc: Services, caller: Principal, sid: str) -> None:
    """End one of the caller's sessions; anyone else's is NotFound, as a missing one."""
    session = await svc.sessions.get(caller.id, sid[:SID_MAX_LENGTH])
    if session is None or session.user_id != caller.id or session.revoked:
        raise NotFound("No such session.")
    await svc.sessions.revoke(caller.id, session.id)
    svc.session_cache.forget(session.id)
    await svc.audit.record("session_revoked", user_id=caller.id, sid=session.id)

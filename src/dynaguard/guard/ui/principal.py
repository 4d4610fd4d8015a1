"""From a signed browser cookie to a verified :class:`Principal`, and from a fresh token
pair (what every sign-in flow returns) to a signed cookie.

Security-sensitive (CWE-613): the session the cookie names is read on every request and
must pass the same liveness rule as a bearer token's (``session_is_live``); a corrupt item
is a deny. The browser never sees the flows' tokens: the pair's access token is verified
here only to learn the id of the session the flow just created.
"""

from __future__ import annotations

import uuid

from dynaguard.errors import AuthenticationFailed, CorruptItem
from dynaguard.guard.flows.login import TokenPair
from dynaguard.guard.flows.refresh import session_is_live
from dynaguard.guard.principal import Principal
from dynaguard.guard.services import Services
from dynaguard.guard.tokens import AccessClaims
from dynaguard.guard.ui.cookie import BrowserState, CookieKeys

__all__ = ["browser_principal", "state_for_pair"]


async def browser_principal(svc: Services, state: BrowserState) -> Principal | None:
    """The signed-in caller behind ``state``, or None."""
    if state.kind != "signed_in":
        return None
    try:
        session = await svc.session_cache.state(state.user_id, state.sid)
    except CorruptItem:
        return None
    if session is None or not session_is_live(session, state.user_id, state.sid):
        return None
    claims = AccessClaims(
        sub=session.user_id, sid=session.id, jti=uuid.uuid4().hex, scope=" ".join(session.scopes),
        amr=list(session.amr), iat=state.issued_at,
        exp=state.issued_at + svc.settings.ui_session_ttl)
    return Principal(user=session.account, session=session, claims=claims)


async def state_for_pair(svc: Services, keys: CookieKeys, pair: TokenPair) -> BrowserState:
    """The cookie of the session a sign-in flow just opened."""
    claims = await svc.tokens.verify_access(pair.access_token)
    if not claims.sid or not claims.sub:
        raise AuthenticationFailed
    return BrowserState.signed_in(keys, claims.sid, claims.sub)

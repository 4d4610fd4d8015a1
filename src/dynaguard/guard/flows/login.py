"""Password login.

Security-sensitive (CWE-287, CWE-208): unknown, wrong-password, disabled, unverified and
corrupt accounts all cost two consistent reads and one Argon2 verification, and all end
in the same ``AuthenticationFailed``. Keep the work identical on every failing branch.
The throttling counters and the account are read at the same time (neither depends on
the other), but no password is verified before the throttle has said yes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from dynaguard.errors import AuthenticationFailed, CorruptItem, StoreUnavailable
from dynaguard.guard.concurrency import both
from dynaguard.guard.flows.unlock import schedule_unlock_mail
from dynaguard.guard.mfa.policy import grantable_scopes
from dynaguard.guard.mfa.tickets import MfaRequired, issue_ticket
from dynaguard.guard.services import Services
from dynaguard.guard.throttle import Attempt
from dynaguard.guard.tokens import hash_token, new_opaque_token
from dynaguard.store.items import SessionItem, UserItem
from dynaguard.store.sessions import AccountChanged
from dynaguard.store.users import DECOY_ID, normalize_email

__all__ = ["Client", "TokenPair", "authenticate_password", "login", "start_session"]


@dataclass(frozen=True)
class Client:
    """Who is calling: for the session record, never for a decision."""

    address: str
    user_agent: str


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int

    def body(self) -> dict[str, object]:
        return {"access_token": self.access_token, "token_type": "bearer",
                "expires_in": self.expires_in, "refresh_token": self.refresh_token}


async def _load_user(svc: Services, email: str) -> UserItem | None:
    try:
        user_id = await svc.users.user_id_for_email(email)
        # An unclaimed email still costs a second read, and of a real item of the same
        # shape (the decoy), so the read's size and time do not tell the two apart.
        user = await svc.users.get(user_id or DECOY_ID)
    except CorruptItem:
        return None
    if user_id is None or user is None or user.email != email:
        return None  # unclaimed, or a claim that points at someone else's account
    return user


async def authenticate_password(
    svc: Services, email: str, password: str, client: Client
) -> UserItem:
    """The account these credentials open, or AuthenticationFailed.

    Throttled per submitted email and per address before any password is checked (the
    counters and the account are read side by side, a throttled login reading both too);
    every failure costs the same reads, one hash, two counter updates and one audit record.
    """
    address = normalize_email(email)
    attempt = Attempt("login", address, client.address)
    prior_failures, user = await both(svc.throttle.check(attempt), _load_user(svc, address))
    stored_hash = user.password_hash if user is not None else None
    valid = await svc.passwords.verify(stored_hash, password)
    if user is None or not valid or not user.enabled or not user.email_verified:
        failures = await svc.throttle.failed(attempt)
        await svc.audit.record("login_failed", user_id=user.id if user else None,
                               address=client.address, failures=str(failures))
        if failures == svc.settings.throttle_free_failures:
            await svc.audit.record("login_throttled", user_id=user.id if user else None,
                                   address=client.address, failures=str(failures))
        if failures == svc.settings.throttle_lock_after and user is not None:
            schedule_unlock_mail(svc, user)
        raise AuthenticationFailed
    await svc.throttle.succeeded(attempt, prior_failures)
    if svc.passwords.needs_rehash(user.password_hash):
        await svc.users.set_password_hash(user, await svc.passwords.hash(password))
    return user


_SESSION_ATTEMPTS = 3


async def start_session(
    svc: Services, user: UserItem, client: Client, *, scopes: Sequence[str] | None,
    amr: Sequence[str],
) -> tuple[SessionItem, TokenPair]:
    """A new server-generated session (CWE-384) and its first token pair.

    The session is stored only while the account is still as ``user`` was read (see
    ``store.account_sync``). If it changed meanwhile in what a session copies but not in
    what this sign-in proved (the credentials version, enabled, verified, MFA), the
    session is made again from a fresh read; otherwise the sign-in fails."""
    for _ in range(_SESSION_ATTEMPTS):
        try:
            return await _store_session(svc, user, client, scopes=scopes, amr=amr)
        except AccountChanged:
            fresh = await svc.users.get(user.id)
            if (fresh is None or not fresh.enabled or not fresh.email_verified
                    or fresh.credentials_version != user.credentials_version
                    or fresh.mfa_enabled != user.mfa_enabled):
                raise AuthenticationFailed from None
            user = fresh
    raise StoreUnavailable


async def _store_session(
    svc: Services, user: UserItem, client: Client, *, scopes: Sequence[str] | None,
    amr: Sequence[str],
) -> tuple[SessionItem, TokenPair]:
    granted = sorted(set(user.scopes) & set(scopes)) if scopes is not None else sorted(user.scopes)
    granted = grantable_scopes(granted, amr, svc.settings.mfa_required_scopes)
    session = svc.sessions.new_session(
        user, scopes=granted, amr=amr, absolute_ttl=svc.settings.refresh_absolute_ttl,
        user_agent=client.user_agent, address=client.address,
    )
    refresh = new_opaque_token()
    # The audit record is written in the session's own transaction: one round trip, and
    # no record of a login whose session was never stored.
    audit_put, audit_item = svc.audit.put_op("login_succeeded", user_id=user.id,
                                             address=client.address, sid=session.id,
                                             amr=" ".join(amr))
    await svc.sessions.create(session, hash_token(refresh), svc.settings.refresh_idle_ttl,
                              extra=[audit_put])
    svc.audit.logged(audit_item)
    access = svc.tokens.issue_access(user.id, session.id, granted, amr)
    return session, TokenPair(access, refresh, svc.settings.access_ttl)


async def login(
    svc: Services, email: str, password: str, client: Client, scopes: Sequence[str] | None = None
) -> TokenPair | MfaRequired:
    """A token pair, or a step-up ticket when the account has a second factor."""
    user = await authenticate_password(svc, email, password, client)
    if user.mfa_enabled:
        return await issue_ticket(svc, user, scopes, client.address)
    _, pair = await start_session(svc, user, client, scopes=scopes, amr=["pwd"])
    return pair

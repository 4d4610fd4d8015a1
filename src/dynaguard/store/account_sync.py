"""Every session carries a true copy of its account: why one read per request is enough.

Security-sensitive (CWE-613, CWE-285). An authenticated request reads one item, its
session's *gate* (``SessionRepository.state``: a consistent ``GetItem`` projected to that
one string attribute, a :class:`~dynaguard.store.items.SessionState` as JSON), and decides
from it alone. The gate carries the session's scopes and factors and a copy (``account``,
an ``AccountState``) of what authorisation needs from the user item: id, email,
email_verified, scopes, mfa_enabled and the credentials version. A revoked session has no
gate, and a live session exists only for an enabled account. For that single read to be
as strict as reading the user item too:

**Invariant.** When a change to an account (disable, credentials version bump, password
change or reset, scope grant or removal, MFA on or off, email change or verification) is
acknowledged to whoever asked for it, every session of the account either is revoked or
carries a copy equal to the user item as it was at some moment after that change
committed, with scopes that are a subset of the account's at that moment.

How it is kept, by three rules:

1. **Birth.** A session is written in a transaction with a ``ConditionCheck`` that the
   user item is enabled and equal to the session's copy
   (``UserRepository.unchanged_check``). A login that read the account, then hashed for a
   while, cannot store a copy the account no longer matches.
2. **Change.** Every write that changes one of those attributes of a user item is
   followed, before the change is acknowledged, by :meth:`AccountSync.push`. It reads the
   user item (consistently, after the write), then every session item of the user (a
   consistent ``Query`` on the user's partition, paged: the GSI is never used, it lags).
   Each session that is not revoked is revoked when the account is gone, disabled,
   unverified or at another credentials version; otherwise, if its copy differs, the copy
   is rewritten (and the session's scopes narrowed to the account's) in a transaction
   that holds only while the user item still equals the copy written. When that check
   fails, the account changed again meanwhile and the push starts over from a fresh read,
   a bounded number of times; then ``StoreUnavailable``, and the change is not
   acknowledged.
3. **Refresh.** A rotation holds only while the session is unrevoked and still carries
   the copy it was read with, and the user item equals that copy.

**Why no request is accepted after an acknowledged change C**, with P the push that
followed C's write and finished before the acknowledgement. DynamoDB orders the writes
and condition checks on one item (transactions are serialisable), so for a session s:

- s was written before C's write: P's query starts after C's write and reads
  consistently, so it lists s, and revokes it or brings it up to date (or finds that
  another push already did: a copy equal to the current user item is left alone).
- s's transaction is ordered after C's write: its condition compared s's copy with the
  user item as C left it (or later). It holds only if the login read the account after
  C, so s is born true; otherwise nothing is written and the login starts over with a
  fresh read of the account or fails.
- A rewrite cannot bring back an older state: each is conditional on the user item
  being equal to what it writes at the moment it commits. A revocation is never undone:
  it removes the gate, and every later write of a gate is conditional on one being there
  (a rewrite) or on it being exactly the state read (a refresh, a password change).
- A refresh racing P: ordered before P's write to s, it issued an access token whose
  every use is checked against s, which P then revokes or corrects (a token's scopes count
  only while s still holds them); ordered after, its condition on s's copy fails and no
  token is issued.

**An interrupted push** (a crash, the engine failing mid-way) leaves the change committed
but not acknowledged: the caller got a 5xx. The sessions it did not reach keep the old
copy until the next push of the account completes (retrying the change, which is
idempotent, does it; so does any later change); meanwhile rule 3 refuses to refresh them,
so they end with their current access token (``access_ttl``) at the latest.

Cost: the request reads one item; a change costs one query page per ``PAGE_SIZE``
sessions and one write per live session, at most ``_IN_FLIGHT`` at a time.
"""

from __future__ import annotations

import asyncio

from botocore.exceptions import ClientError

from dynaguard.errors import CorruptItem, StoreUnavailable
from dynaguard.store.client import Dynamo, cancellation_codes
from dynaguard.store.items import AccountState, SessionItem, SessionState, UserItem
from dynaguard.store.sessions import SessionRepository
from dynaguard.store.users import UserRepository

__all__ = ["AccountSync"]

_ROUNDS = 5
_IN_FLIGHT = 8


class _AccountMoved(Exception):
    """The user item changed while a push was bringing sessions up to date."""


def _ends(state: SessionState, user: UserItem | None) -> bool:
    return (user is None or user.expired() or not user.enabled or not user.email_verified
            or state.account.credentials_version != user.credentials_version)


class AccountSync:
    """Brings every session of an account in line with its user item (see the invariant)."""

    def __init__(self, db: Dynamo, users: UserRepository, sessions: SessionRepository) -> None:
        self.db = db
        self.users = users
        self.sessions = sessions

    async def push(self, user_id: str) -> None:
        """Revoke or correct each live session of ``user_id``; return only when all agree
        with the user item as read after the caller's change."""
        for _ in range(_ROUNDS):
            try:
                user = await self.users.get(user_id)
            except CorruptItem:
                user = None  # a damaged account is a deny: every session of it ends
            try:
                async for page in self.sessions.pages(user_id):
                    await self._settle(page, user)
            except _AccountMoved:
                continue
            return
        raise StoreUnavailable

    async def _settle(self, page: list[SessionItem], user: UserItem | None) -> None:
        live = [s for s in page if not s.revoked and not s.expired()]
        for start in range(0, len(live), _IN_FLIGHT):
            results = await asyncio.gather(
                *(self._settle_one(s, user) for s in live[start:start + _IN_FLIGHT]),
                return_exceptions=True)
            for result in results:
                if isinstance(result, BaseException) and not isinstance(result, _AccountMoved):
                    raise result
            if any(isinstance(result, _AccountMoved) for result in results):
                raise _AccountMoved

    async def _settle_one(self, session: SessionItem, user: UserItem | None) -> None:
        state = session.state()
        if state is None:
            return  # revoked already
        if _ends(state, user):
            await self.sessions.revoke(session.user_id, session.id)
        elif user is not None and state.account != user.account_state():
            await self._rewrite(session, state, user.account_state())

    async def _rewrite(self, session: SessionItem, state: SessionState,
                       account: AccountState) -> None:
        scopes = [s for s in state.scopes if s in account.scopes]
        corrected = state.model_copy(update={"account": account, "scopes": scopes})
        try:
            await self.db.call(self.db.client.transact_write_items, TransactItems=[
                self.users.unchanged_check(account),
                self.sessions.rewrite(session, corrected),
            ])
        except ClientError as error:
            codes = cancellation_codes(error)
            if codes[:1] in (["ConditionalCheckFailed"], ["TransactionConflict"]):
                raise _AccountMoved from None
            if codes[1:2] == ["ConditionalCheckFailed"]:
                return  # revoked, or gone by its TTL, meanwhile: nothing to correct
            raise

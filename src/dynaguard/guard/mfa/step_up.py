"""Step-up and passkey sign-in: the flows that end in a new session after a second factor.

Security-sensitive (CWE-308, CWE-384): the ticket, the factor and the session are tied
together: the ticket is spent in the same transaction as the factor, and the tokens come
from a brand-new server-generated session, never from one that existed before the second
factor was shown. Failures are throttled per account (namespace ``mfa``) or per credential
(namespace ``passkey``) and all look alike to the client.
"""

from __future__ import annotations

from collections.abc import Sequence

from dynaguard.errors import AuthenticationFailed, CorruptItem
from dynaguard.guard.flows.login import Client, TokenPair, start_session
from dynaguard.guard.mfa.factors import Proof, code_proof, notify, refused, spend
from dynaguard.guard.mfa.passkeys import CeremonyFailed, passkey_proof
from dynaguard.guard.mfa.schemas import AssertionCredential
from dynaguard.guard.services import Services
from dynaguard.guard.throttle import Attempt
from dynaguard.guard.tokens import hash_token
from dynaguard.store.items import MfaTicketItem, UserItem

__all__ = ["passkey_login", "ticket_user", "verify_step_up"]


async def ticket_user(svc: Services, mfa_token: str) -> tuple[str, MfaTicketItem, UserItem]:
    """The ticket's hash, the ticket and its still-eligible user; AuthenticationFailed if not."""
    ticket_hash = hash_token(mfa_token)
    try:
        ticket = await svc.mfa.ticket(ticket_hash)
        user = await svc.users.get(ticket.user_id) if ticket is not None else None
    except CorruptItem:
        raise AuthenticationFailed from None
    if (
        ticket is None or user is None or not user.enabled or not user.email_verified
        or user.credentials_version != ticket.credentials_version
    ):
        raise AuthenticationFailed
    return ticket_hash, ticket, user


async def verify_step_up(
    svc: Services, mfa_token: str, client: Client, *, code: str | None = None,
    credential: AssertionCredential | None = None,
) -> TokenPair:
    """Redeem a step-up ticket with a TOTP code, a recovery code or a passkey assertion."""
    ticket_hash, ticket, user = await ticket_user(svc, mfa_token)
    attempt = Attempt("mfa", user.id, client.address)
    prior_failures = await svc.throttle.check(attempt)
    proof: Proof | None = None
    try:
        if code is not None:
            proof = await code_proof(svc, user, code)
        elif credential is not None:
            _, proof = await passkey_proof(svc, credential, user=user)
    except (CeremonyFailed, CorruptItem):
        proof = None  # a corrupt factor item is a deny, like any other
    if proof is None or not await spend(proof, [svc.mfa.spend_ticket_op(ticket_hash, user.id)]):
        await refused(svc, attempt, user)
        raise AuthenticationFailed
    await svc.throttle.succeeded(attempt, prior_failures)
    _, pair = await start_session(svc, user, client, scopes=ticket.scopes,
                                  amr=["pwd", proof.method])
    if proof.method == "rc":
        left = (await svc.mfa.factors(user.id)).codes_left
        await svc.audit.record("recovery_code_used", user_id=user.id, address=client.address,
                               left=str(left))
        notify(svc, user, "A recovery code was used to sign in",
               f"One of your recovery codes was used to sign in; {left} remain unused.")
    return pair


async def passkey_login(
    svc: Services, credential: AssertionCredential, client: Client,
    scopes: Sequence[str] | None = None,
) -> TokenPair:
    """Passwordless sign-in with a discoverable passkey and user verification."""
    attempt = Attempt("passkey", credential.raw_id, client.address)
    prior_failures = await svc.throttle.check(attempt)
    user: UserItem | None = None
    proof: Proof | None = None
    try:
        passkey, proof = await passkey_proof(svc, credential, user=None)
        user = await svc.users.get(passkey.user_id)
    except (CeremonyFailed, CorruptItem):
        user = None
    eligible = user is not None and user.enabled and user.email_verified
    if user is None or proof is None or not eligible or not await spend(proof, []):
        failures = await svc.throttle.failed(attempt)
        await svc.audit.record("passkey_login_failed", user_id=None, address=client.address,
                               failures=str(failures))
        raise AuthenticationFailed
    await svc.throttle.succeeded(attempt, prior_failures)
    # RFC 8176: a hardware-bound key, unlocked by user verification: multi-factor on its own.
    _, pair = await start_session(svc, user, client, scopes=scopes, amr=["hwk", "mfa"])
    return pair

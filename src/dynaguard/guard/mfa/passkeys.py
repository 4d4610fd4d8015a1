"""Passkeys (WebAuthn, checked by py_webauthn): registration and authentication ceremonies.

Security-sensitive: every ceremony's challenge is stored (hashed) as a single-use item
with a five-minute TTL, bound to its purpose and to the user it was issued for, and is
spent in the same transaction as the ceremony's effect. Origin and RP id come from
settings, never from the request. A credential id belongs to one account (claim item);
the signature counter moves only from the value that was checked. Passwordless use
demands user verification (the authenticator's PIN or biometric: a second factor).
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from webauthn import (
    base64url_to_bytes,
    generate_authentication_options,
    generate_registration_options,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import bytes_to_base64url, options_to_json_dict, parse_client_data_json
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from dynaguard.errors import Conflict, InvalidRequest, NotFound
from dynaguard.guard.flows.login import Client
from dynaguard.guard.mfa.enrol import fresh_recovery_codes, remove_flag_if_last
from dynaguard.guard.mfa.factors import (
    Proof,
    check_code,
    end_other_sessions,
    notify,
    reauthenticate,
    require_factor_session,
)
from dynaguard.guard.mfa.schemas import AssertionCredential, AttestationCredential
from dynaguard.guard.principal import Principal, load_user
from dynaguard.guard.services import Services
from dynaguard.guard.tokens import hash_token
from dynaguard.settings import Settings
from dynaguard.store.items import PasskeyItem, UserItem
from dynaguard.store.mfa import WriteRefused, passkey_digest
from dynaguard.store.onetime import TokenRefused

__all__ = ["CeremonyFailed", "authentication_options", "passkey_proof", "register_passkey",
           "registration_options", "relying_party", "remove_passkey"]

REGISTER = "passkey-register"
SECOND_FACTOR = "passkey-mfa"
FIRST_FACTOR = "passkey-login"
NOBODY = "-"
CHALLENGE_TTL = 300
TIMEOUT_MS = CHALLENGE_TTL * 1000
MAX_CREDENTIAL_ID = 1023
_PARSE_ERRORS = (WebAuthnException, ValueError, TypeError)
_TRANSPORTS = {t.value for t in AuthenticatorTransport}
Op = dict[str, object]


class CeremonyFailed(Exception):
    """The credential did not verify, or its challenge was not ours, live and unused."""


def relying_party(settings: Settings) -> tuple[str, list[str]]:
    """The RP id and the origins ceremonies may come from."""
    parts = urlsplit(settings.public_url)
    rp_id = settings.passkey_rp_id or parts.hostname or "localhost"
    return rp_id, settings.passkey_origins or [f"{parts.scheme}://{parts.netloc}"]


def _normalize_id(b64: str) -> str:
    return bytes_to_base64url(base64url_to_bytes(b64))


async def _store_challenge(svc: Services, challenge: bytes, purpose: str, owner: str) -> None:
    put = svc.onetime.put(hash_token(bytes_to_base64url(challenge)), purpose, owner,
                          CHALLENGE_TTL)
    await svc.db.call(svc.db.client.transact_write_items, TransactItems=[put])


async def _claim_challenge(
    svc: Services, client_data_json: str, purpose: str, owner: str
) -> tuple[str, bytes]:
    """The stored hash and raw bytes of the challenge this response answers."""
    try:
        challenge = parse_client_data_json(base64url_to_bytes(client_data_json)).challenge
    except _PARSE_ERRORS:
        raise CeremonyFailed from None
    token_hash = hash_token(bytes_to_base64url(challenge))
    try:
        token = await svc.onetime.peek(token_hash, purpose)
    except TokenRefused:
        raise CeremonyFailed from None
    if not hmac.compare_digest(token.user_id, owner):
        raise CeremonyFailed
    return token_hash, challenge


def _descriptor(item: PasskeyItem) -> PublicKeyCredentialDescriptor:
    return PublicKeyCredentialDescriptor(
        id=base64url_to_bytes(item.credential_id),
        transports=[AuthenticatorTransport(t) for t in item.transports if t in _TRANSPORTS])


async def registration_options(
    svc: Services, caller: Principal, password: str, client: Client
) -> dict[str, Any]:
    """Options for ``navigator.credentials.create()``; needs the password again."""
    user = await load_user(svc, caller)
    require_factor_session(caller)
    await reauthenticate(svc, user, password, client)
    state = await svc.mfa.factors(user.id)
    rp_id, _ = relying_party(svc.settings)
    options = generate_registration_options(
        rp_id=rp_id, rp_name=svc.settings.service_name, user_name=user.email,
        user_id=user.id.encode(), user_display_name=user.email, timeout=TIMEOUT_MS,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.PREFERRED),
        exclude_credentials=[_descriptor(p) for p in state.passkeys],
    )
    await _store_challenge(svc, options.challenge, REGISTER, user.id)
    return options_to_json_dict(options)


async def register_passkey(
    svc: Services, caller: Principal, credential: AttestationCredential, name: str,
    client: Client,
) -> tuple[PasskeyItem, list[str] | None]:
    """Verify an attestation and store the passkey; recovery codes if it is the first factor."""
    user = caller.user
    require_factor_session(caller)
    rp_id, origins = relying_party(svc.settings)
    try:
        token_hash, challenge = await _claim_challenge(
            svc, credential.response.client_data_json, REGISTER, user.id)
        verified = verify_registration_response(
            credential=credential.as_json(), expected_challenge=challenge,
            expected_rp_id=rp_id, expected_origin=origins)
    except (CeremonyFailed, *_PARSE_ERRORS):
        raise InvalidRequest("The passkey could not be verified.") from None
    if len(verified.credential_id) > MAX_CREDENTIAL_ID:
        raise InvalidRequest("The passkey could not be verified.")
    transports = [t for t in credential.response.transports if t in _TRANSPORTS]
    item = svc.mfa.new_passkey(user.id, bytes_to_base64url(verified.credential_id),
                               public_key=verified.credential_public_key,
                               sign_count=verified.sign_count, transports=transports, name=name)
    state = await svc.mfa.factors(user.id)
    codes: list[str] | None = None
    ops = [*svc.mfa.add_passkey_ops(item), svc.mfa.set_mfa_enabled_op(user.id, True)]
    if state.codes_left == 0:
        codes, code_ops = fresh_recovery_codes(svc, user.id, state)
        ops += code_ops
    try:
        await svc.onetime.spend(token_hash, REGISTER, ops)
    except TokenRefused:
        raise Conflict("The passkey could not be registered; start again.") from None
    await svc.account_sync.push(user.id)
    await svc.audit.record("passkey_added", user_id=user.id, address=client.address,
                           passkey=passkey_digest(item.credential_id)[:16])
    first = not user.mfa_enabled
    if first:
        await end_other_sessions(svc, caller)
    notify(svc, user, "A passkey was added to your account",
           f"A passkey named {name!r} was added to your account."
           + (" Your other sessions were signed out." if first else ""))
    return item, codes


async def authentication_options(svc: Services, user: UserItem | None) -> dict[str, Any]:
    """Options for ``navigator.credentials.get()``: for ``user``'s passkeys as a second
    factor, or for any discoverable passkey (passwordless, user verification required)."""
    rp_id, _ = relying_party(svc.settings)
    allow: list[PublicKeyCredentialDescriptor] | None = None
    if user is not None:
        allow = [_descriptor(p) for p in (await svc.mfa.factors(user.id)).passkeys]
        if not allow:
            raise InvalidRequest("No passkey is registered for this account.")
    options = generate_authentication_options(
        rp_id=rp_id, timeout=TIMEOUT_MS, allow_credentials=allow,
        user_verification=(UserVerificationRequirement.PREFERRED if user is not None
                           else UserVerificationRequirement.REQUIRED),
    )
    purpose = SECOND_FACTOR if user is not None else FIRST_FACTOR
    await _store_challenge(svc, options.challenge, purpose, user.id if user else NOBODY)
    return options_to_json_dict(options)


async def passkey_proof(
    svc: Services, credential: AssertionCredential, *, user: UserItem | None
) -> tuple[PasskeyItem, Proof]:
    """Verify an assertion (for ``user``, or passwordless when None); CeremonyFailed if not."""
    purpose = SECOND_FACTOR if user is not None else FIRST_FACTOR
    rp_id, origins = relying_party(svc.settings)
    token_hash, challenge = await _claim_challenge(
        svc, credential.response.client_data_json, purpose, user.id if user else NOBODY)
    try:
        passkey = await svc.mfa.passkey(_normalize_id(credential.raw_id))
        if passkey is None or (user is not None and passkey.user_id != user.id):
            raise CeremonyFailed
        handle = credential.response.user_handle
        if handle and base64url_to_bytes(handle) != passkey.user_id.encode():
            raise CeremonyFailed
        verified = verify_authentication_response(
            credential=credential.as_json(), expected_challenge=challenge,
            expected_rp_id=rp_id, expected_origin=origins,
            credential_public_key=passkey.public_key,
            credential_current_sign_count=passkey.sign_count,
            require_user_verification=user is None,
        )
    except _PARSE_ERRORS:
        raise CeremonyFailed from None
    counter = svc.mfa.passkey_used_op(passkey, verified.new_sign_count)

    async def commit(extra: Sequence[Op]) -> None:
        try:
            await svc.onetime.spend(token_hash, purpose, [counter, *extra])
        except TokenRefused:
            raise WriteRefused from None

    return passkey, Proof("hwk", commit)


async def remove_passkey(
    svc: Services, user: UserItem, passkey_id: str, *, password: str, code: str, client: Client
) -> None:
    """Remove one of the user's passkeys; needs the password and a current code."""
    await reauthenticate(svc, user, password, client)
    state = await svc.mfa.factors(user.id)
    if not any(p.credential_id == passkey_id for p in state.passkeys):
        raise NotFound("No such passkey.")
    await check_code(svc, user, code, client)
    state = await svc.mfa.factors(user.id)
    target = next((p for p in state.passkeys if p.credential_id == passkey_id), None)
    if target is None:
        raise NotFound("No such passkey.")
    remaining = state.totp_on or len(state.passkeys) > 1
    await svc.mfa.transact([*svc.mfa.remove_passkey_ops(target),
                            *remove_flag_if_last(svc, user.id, remaining, state)])
    await svc.account_sync.push(user.id)
    await svc.audit.record("passkey_removed", user_id=user.id, address=client.address,
                           passkey=passkey_digest(target.credential_id)[:16])
    notify(svc, user, "A passkey was removed from your account",
           f"The passkey named {target.name!r} was removed from your account.")

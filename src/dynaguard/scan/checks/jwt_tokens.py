"""JWT verification (CWE-347, 613, 287): the scanner's own access token, changed offline and
sent to the identity endpoint. A changed token that is accepted proves the server does not
verify what it should: the signature, the algorithm, the expiry, the issuer or audience.

Every check first makes sure the identity endpoint refuses no credentials and accepts the
unchanged token, so an acceptance can only come from the change.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dynaguard.scan.checks.registry import Outcome, check, failed, passed
from dynaguard.scan.context import CheckContext
from dynaguard.scan.errors import Skip
from dynaguard.scan.findings import Confidence, Finding, Severity
from dynaguard.scan.jwtkit import Jwt, crack_hmac, parse_jwt
from dynaguard.scan.session import Credential

__all__ = ["Forger", "forger_for", "with_token"]

NONE_CASINGS = ("none", "None", "NONE", "nOnE")
FOREIGN_ISSUER = "https://issuer.dgscan.invalid"
FOREIGN_AUDIENCE = "dgscan-other-api"
MAX_REMEMBERED = 64


def with_token(credential: Credential, token: str) -> Credential:
    """``credential`` carrying ``token`` instead, sent the same way."""
    value = f"{credential.name}={token}" if credential.send_as == "cookie" else token
    return Credential(credential.send_as, credential.name, value, token=token)


async def _own_token(ctx: CheckContext) -> tuple[Credential, Jwt]:
    """A live session of the primary account whose credential is a JWT the server honours."""
    ctx.accounts.endpoint("me")
    credential = await ctx.accounts.shared_session(await ctx.accounts.get(0))
    token = parse_jwt(credential.token or "")
    if token is None:
        raise Skip("the access credential is not a JWT")
    if await ctx.accounts.is_authenticated(None):
        raise Skip("the identity endpoint answers without credentials; cannot judge tokens")
    if not await ctx.accounts.is_authenticated(credential):
        raise Skip("the identity endpoint refuses the scanner's own token")
    return credential, token


async def _accepted(ctx: CheckContext, credential: Credential, token: str) -> bool:
    return await ctx.accounts.is_authenticated(with_token(credential, token))


@dataclass(frozen=True)
class Forger:
    """A way to mint tokens the server accepts, and how it was found."""

    how: str
    sign: Callable[..., str]


# One crack per target and token header: every token of a target is signed with the same
# key, so several checks (each with its own session) share the answer.
_CRACKED: dict[tuple[str, str], tuple[str | None, int, float]] = {}


def _crack(target: str, token: Jwt) -> tuple[str | None, int, float]:
    slot = (target, token.raw_header)
    known = _CRACKED.get(slot)
    if known is None or (known[0] is not None and not _signs(token, known[0])):
        start = time.perf_counter()
        secret, tried = crack_hmac(token)
        known = (secret, tried, round(time.perf_counter() - start, 2))
        if len(_CRACKED) >= MAX_REMEMBERED:
            _CRACKED.clear()
        _CRACKED[slot] = known
    return known


def _signs(token: Jwt, secret: str) -> bool:
    """Does ``secret`` produce this token's signature?"""
    return token.resigned(secret.encode()) == token.signature


async def forger_for(ctx: CheckContext, credential: Credential, token: Jwt) -> Forger | None:
    """A forging method that works against this server, or None: an unsigned token, a
    token whose signature is not checked, or one signed with a cracked HMAC secret."""
    if await _accepted(ctx, credential, token.none_signed(jti="dgscan-forge")):
        return Forger("alg none", token.none_signed)
    if await _accepted(ctx, credential, token.tampered(jti="dgscan-forge")):
        return Forger("signature not verified", token.tampered)
    secret, _, _ = await asyncio.to_thread(_crack, ctx.http.target, token)
    if secret is not None:
        key = secret.encode()
        return Forger("cracked HMAC secret",
                      lambda **changes: token.hmac_signed(key, **changes))
    return None


def _mask(secret: str) -> str:
    return f"{secret[:1]}{'*' * max(0, len(secret) - 1)} ({len(secret)} characters)"


@check("jwt.alg_none", title="Unsigned token (alg none) accepted", cwe=(347,),
       severity=Severity.CRITICAL, order=40, remediation=(
           "Verify every token with an algorithm allow-list fixed on the server "
           "(e.g. `jwt.decode(token, key, algorithms=[\"EdDSA\"])`); never let the token's "
           "own `alg` header choose how, or whether, it is checked."))
async def alg_none(ctx: CheckContext) -> Outcome:
    credential, token = await _own_token(ctx)
    me = ctx.accounts.endpoint("me")
    accepted = [alg for alg in NONE_CASINGS
                if await _accepted(ctx, credential, token.unsigned(alg))]
    if accepted:
        return failed(f"unsigned tokens accepted with alg {', '.join(accepted)}", ctx.finding(
            me.label, {"accepted_alg_values": accepted, "original_alg": token.alg},
            confidence=Confidence.CERTAIN))
    return passed(f"{len(NONE_CASINGS)} casings of alg none refused")


@check("jwt.signature_not_verified", title="Token signature not verified", cwe=(347,),
       severity=Severity.CRITICAL, order=40, remediation=(
           "Decode tokens only with signature verification on, with the server's key and "
           "algorithm allow-list; remove any `verify_signature: False` path, even one meant "
           "for tokens from a trusted gateway."))
async def signature_not_verified(ctx: CheckContext) -> Outcome:
    credential, token = await _own_token(ctx)
    me = ctx.accounts.endpoint("me")
    probes = {"signature stripped": token.stripped(),
              "signature altered": token.altered_signature(),
              "claims altered under the original signature": token.tampered(jti="dgscan-x")}
    accepted = [name for name, probe in probes.items()
                if await _accepted(ctx, credential, probe)]
    if accepted:
        return failed("tokens with a broken signature accepted", ctx.finding(
            me.label, {"accepted": accepted, "alg": token.alg},
            confidence=Confidence.CERTAIN))
    return passed("stripped, altered and mismatched signatures refused")


@check("jwt.weak_secret", title="HMAC signing secret found in a dictionary", cwe=(347, 521),
       severity=Severity.CRITICAL, order=41, remediation=(
           "Sign with a random key of at least 256 bits from a secret store "
           "(`secrets.token_urlsafe(32)`), rotate it now (every token it signed can be "
           "forged), or move to an asymmetric algorithm such as EdDSA."))
async def weak_secret(ctx: CheckContext) -> Outcome:
    credential, token = await _own_token(ctx)
    if not token.alg.upper().startswith("HS"):
        return passed(f"tokens are signed with {token.alg or 'no alg'}, not an HMAC secret")
    secret, tried, seconds = await asyncio.to_thread(_crack, ctx.http.target, token)
    if secret is None:
        return passed(f"{tried} candidate secrets tried offline in {seconds} s; none matched")
    forged = token.hmac_signed(secret.encode(), jti="dgscan-cracked")
    confirmed = await _accepted(ctx, credential, forged)
    login = ctx.accounts.endpoint("login")
    return failed(f"the {token.alg} secret was found after {tried} candidates", ctx.finding(
        login.label, {"alg": token.alg, "secret": _mask(secret), "candidates_tried": tried,
                      "crack_seconds": seconds, "forged_token_accepted": confirmed},
        confidence=Confidence.CERTAIN))


async def _forge_or_skip(ctx: CheckContext) -> tuple[Credential, Jwt, Forger]:
    credential, token = await _own_token(ctx)
    forger = await forger_for(ctx, credential, token)
    if forger is None:
        raise Skip("no way to forge a token the server accepts (alg none and broken "
                   "signatures refused, no HMAC secret found), so the server's checks of "
                   "the claims cannot be observed")
    return credential, token, forger


@check("jwt.expired_accepted", title="Expired token accepted", cwe=(613,),
       severity=Severity.HIGH, order=42, remediation=(
           "Require `exp` on every access token and reject expired ones (PyJWT does when "
           "`exp` is listed in `options={\"require\": [...]}` and verification is on)."))
async def expired_accepted(ctx: CheckContext) -> Outcome:
    credential, _, forger = await _forge_or_skip(ctx)
    me = ctx.accounts.endpoint("me")
    now = int(time.time())
    probes: dict[str, dict[str, Any]] = {
        "expired an hour ago": {"exp": now - 3600, "iat": now - 7200, "jti": "dgscan-exp"}}
    accepted = [name for name, claims in probes.items()
                if await _accepted(ctx, credential, forger.sign(**claims))]
    if accepted:
        return failed("an expired token was accepted", ctx.finding(
            me.label, {"accepted": accepted, "forged_by": forger.how},
            confidence=Confidence.CERTAIN))
    return passed(f"an expired token was refused (forged by {forger.how})")


@check("jwt.claims_not_validated", title="Token issuer or audience not validated",
       cwe=(287,), severity=Severity.MEDIUM, order=42, remediation=(
           "Validate `iss` and `aud` on every token against the values this API expects "
           "(`jwt.decode(..., issuer=ISSUER, audience=AUDIENCE)`) and require both claims."))
async def claims_not_validated(ctx: CheckContext) -> Outcome:
    credential, token, forger = await _forge_or_skip(ctx)
    me = ctx.accounts.endpoint("me")
    probes = {"foreign issuer": {"iss": FOREIGN_ISSUER, "jti": "dgscan-iss"},
              "foreign audience": {"aud": FOREIGN_AUDIENCE, "jti": "dgscan-aud"}}
    findings: list[Finding] = []
    for name, claims in probes.items():
        claim = next(iter(claims))
        if claim not in token.claims:
            continue
        if await _accepted(ctx, credential, forger.sign(**claims)):
            findings.append(ctx.finding(me.label, {"accepted": name, "forged_by": forger.how,
                                                   "claim": claim},
                                        title=f"Token {claim} not validated",
                                        confidence=Confidence.CERTAIN))
    if findings:
        return failed("tokens for another issuer or audience were accepted", *findings)
    return passed(f"foreign iss and aud refused (forged by {forger.how})")

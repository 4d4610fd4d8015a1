"""JWT verification (CWE-347, 613, 287): the scanner's own access token, changed offline and
sent to the credential oracle (the identity endpoint, or any protected operation that
probing showed tells a session from none: :mod:`dynaguard.scan.oracle`). A changed token
that is accepted proves the server does not verify what it should: the signature, the
algorithm, the expiry, the issuer or audience.

Every check first makes sure the oracle refuses no credentials and accepts the unchanged
token, so an acceptance can only come from the change.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from dynaguard.scan.checks.registry import Outcome, check, failed, passed
from dynaguard.scan.context import CheckContext
from dynaguard.scan.errors import Skip
from dynaguard.scan.findings import Confidence, Finding, Severity
from dynaguard.scan.jwtkit import Jwt, crack_hmac, parse_jwt
from dynaguard.scan.prerequisites import Prerequisite
from dynaguard.scan.session import Credential

__all__ = ["Forger", "forge_or_skip", "forger_for", "judged_at", "own_token", "token_accepted",
           "with_token"]

NONE_CASINGS = ("none", "None", "NONE", "nOnE")
FOREIGN_ISSUER = "https://issuer.dgscan.invalid"
FOREIGN_AUDIENCE = "dgscan-other-api"
MAX_REMEMBERED = 64


def with_token(credential: Credential, token: str) -> Credential:
    """``credential`` carrying ``token`` instead, sent the same way."""
    value = f"{credential.name}={token}" if credential.send_as == "cookie" else token
    return replace(credential, value=value, token=token, refresh_token=None)


async def own_token(ctx: CheckContext) -> tuple[Credential, Jwt]:
    """A live session of the primary account whose credential is a JWT the server honours."""
    credential = await ctx.accounts.shared_session(await ctx.accounts.get(0))
    token = parse_jwt(credential.token or "")
    if token is None:
        raise Skip("the access credential is not a JWT", needs=Prerequisite.NOT_APPLICABLE)
    oracle = await ctx.accounts.oracle(credential)
    if await ctx.accounts.is_authenticated(None):
        raise Skip(f"{oracle.label} answers without credentials; cannot judge tokens",
                   needs=Prerequisite.PROTECTED_OPERATION)
    if not await ctx.accounts.is_authenticated(credential):
        raise Skip(f"{oracle.label} refuses the scanner's own token",
                   needs=Prerequisite.PROTECTED_OPERATION)
    return credential, token


async def judged_at(ctx: CheckContext) -> str:
    """The operation whose answers judged the tokens: where a finding is."""
    return (await ctx.accounts.oracle()).label


async def token_accepted(ctx: CheckContext, credential: Credential, token: str) -> bool:
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
    if await token_accepted(ctx, credential, token.none_signed(jti="dgscan-forge")):
        return Forger("alg none", token.none_signed)
    if await token_accepted(ctx, credential, token.tampered(jti="dgscan-forge")):
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
    credential, token = await own_token(ctx)
    me = await judged_at(ctx)
    accepted = [alg for alg in NONE_CASINGS
                if await token_accepted(ctx, credential, token.unsigned(alg))]
    if accepted:
        return failed(f"unsigned tokens accepted with alg {', '.join(accepted)}", ctx.finding(
            me, {"accepted_alg_values": accepted, "original_alg": token.alg},
            confidence=Confidence.CERTAIN))
    return passed(f"{len(NONE_CASINGS)} casings of alg none refused")


@check("jwt.signature_not_verified", title="Token signature not verified", cwe=(347,),
       severity=Severity.CRITICAL, order=40, remediation=(
           "Decode tokens only with signature verification on, with the server's key and "
           "algorithm allow-list; remove any `verify_signature: False` path, even one meant "
           "for tokens from a trusted gateway."))
async def signature_not_verified(ctx: CheckContext) -> Outcome:
    credential, token = await own_token(ctx)
    me = await judged_at(ctx)
    probes = {"signature stripped": token.stripped(),
              "signature altered": token.altered_signature(),
              "claims altered under the original signature": token.tampered(jti="dgscan-x")}
    accepted = [name for name, probe in probes.items()
                if await token_accepted(ctx, credential, probe)]
    if accepted:
        return failed("tokens with a broken signature accepted", ctx.finding(
            me, {"accepted": accepted, "alg": token.alg},
            confidence=Confidence.CERTAIN))
    return passed("stripped, altered and mismatched signatures refused")


@check("jwt.weak_secret", title="HMAC signing secret found in a dictionary", cwe=(347, 521),
       severity=Severity.CRITICAL, order=41, remediation=(
           "Sign with a random key of at least 256 bits from a secret store "
           "(`secrets.token_urlsafe(32)`), rotate it now (every token it signed can be "
           "forged), or move to an asymmetric algorithm such as EdDSA."))
async def weak_secret(ctx: CheckContext) -> Outcome:
    credential, token = await own_token(ctx)
    if not token.alg.upper().startswith("HS"):
        return passed(f"tokens are signed with {token.alg or 'no alg'}, not an HMAC secret")
    secret, tried, seconds = await asyncio.to_thread(_crack, ctx.http.target, token)
    if secret is None:
        return passed(f"{tried} candidate secrets tried offline in {seconds} s; none matched")
    forged = token.hmac_signed(secret.encode(), jti="dgscan-cracked")
    confirmed = await token_accepted(ctx, credential, forged)
    login = ctx.accounts.endpoint("login")
    return failed(f"the {token.alg} secret was found after {tried} candidates", ctx.finding(
        login.label, {"alg": token.alg, "secret": _mask(secret), "candidates_tried": tried,
                      "crack_seconds": seconds, "forged_token_accepted": confirmed},
        confidence=Confidence.CERTAIN))


async def forge_or_skip(ctx: CheckContext) -> tuple[Credential, Jwt, Forger]:
    credential, token = await own_token(ctx)
    forger = await forger_for(ctx, credential, token)
    if forger is None:
        raise Skip("no way to forge a token the server accepts (alg none and broken "
                   "signatures refused, no HMAC secret found), so the server's checks of "
                   "the claims cannot be observed", needs=Prerequisite.FORGEABLE_TOKEN)
    return credential, token, forger


@check("jwt.expired_accepted", title="Expired token accepted", cwe=(613,),
       severity=Severity.HIGH, order=42, remediation=(
           "Require `exp` on every access token and reject expired ones (PyJWT does when "
           "`exp` is listed in `options={\"require\": [...]}` and verification is on)."))
async def expired_accepted(ctx: CheckContext) -> Outcome:
    credential, _, forger = await forge_or_skip(ctx)
    me = await judged_at(ctx)
    now = int(time.time())
    probes: dict[str, dict[str, Any]] = {
        "expired an hour ago": {"exp": now - 3600, "iat": now - 7200, "jti": "dgscan-exp"}}
    accepted = [name for name, claims in probes.items()
                if await token_accepted(ctx, credential, forger.sign(**claims))]
    if accepted:
        return failed("an expired token was accepted", ctx.finding(
            me, {"accepted": accepted, "forged_by": forger.how},
            confidence=Confidence.CERTAIN))
    return passed(f"an expired token was refused (forged by {forger.how})")


@check("jwt.claims_not_validated", title="Token issuer or audience not validated",
       cwe=(287,), severity=Severity.MEDIUM, order=42, remediation=(
           "Validate `iss` and `aud` on every token against the values this API expects "
           "(`jwt.decode(..., issuer=ISSUER, audience=AUDIENCE)`) and require both claims."))
async def claims_not_validated(ctx: CheckContext) -> Outcome:
    credential, token, forger = await forge_or_skip(ctx)
    me = await judged_at(ctx)
    probes = {"foreign issuer": {"iss": FOREIGN_ISSUER, "jti": "dgscan-iss"},
              "foreign audience": {"aud": FOREIGN_AUDIENCE, "jti": "dgscan-aud"}}
    findings: list[Finding] = []
    for name, claims in probes.items():
        claim = next(iter(claims))
        if claim not in token.claims:
            continue
        if await token_accepted(ctx, credential, forger.sign(**claims)):
            findings.append(ctx.finding(me, {"accepted": name, "forged_by": forger.how,
                                             "claim": claim},
                                        title=f"Token {claim} not validated",
                                        confidence=Confidence.CERTAIN))
    if findings:
        return failed("tokens for another issuer or audience were accepted", *findings)
    return passed(f"foreign iss and aud refused (forged by {forger.how})")


async def _identity(ctx: CheckContext, credential: Credential) -> Any:
    me = ctx.accounts.endpoint("me")
    response = await ctx.http.request(me.method, me.path, headers=credential.headers())
    if not response.is_success:
        return None
    try:
        return response.json()
    except ValueError:
        return response.text


@check("jwt.sub_swapped", title="Forged token speaks for another account (sub swapped)",
       cwe=(287, 639), severity=Severity.CRITICAL, order=43, remediation=(
           "Take the caller's identity from server-side state bound to the token (the "
           "session it names, whose owner must equal `sub`), not from `sub` alone; and "
           "close whatever let the token be forged (see the other jwt findings)."))
async def sub_swapped(ctx: CheckContext) -> Outcome:
    ctx.accounts.endpoint("me")  # the identity it answers with tells whose session it is
    credential, token, forger = await forge_or_skip(ctx)
    if "sub" not in token.claims:
        raise Skip("the scanner's token has no sub claim to swap",
                   needs=Prerequisite.NOT_APPLICABLE)
    first, second = await ctx.accounts.get(0), await ctx.accounts.get(1)
    theirs = parse_jwt((await ctx.accounts.session(second)).token or "")
    if theirs is None or theirs.claims.get("sub") in (None, token.claims["sub"]):
        raise Skip("the second account's token carries no sub of its own",
                   needs=Prerequisite.SECOND_ACCOUNT)
    forged = with_token(credential, forger.sign(sub=theirs.claims["sub"], jti="dgscan-sub"))
    answer = await _identity(ctx, forged)
    shown = json.dumps(answer) if answer is not None else ""
    me = ctx.accounts.endpoint("me").label
    if second.identifier in shown and first.identifier not in shown:
        return failed("a forged token with the second account's sub was served as that "
                      "account", ctx.finding(me, {
                          "forged_by": forger.how, "swapped": "sub",
                          "identity_returned": "second scanner account",
                          "other_claims_kept": sorted(set(token.claims) - {"sub", "jti"})},
                          confidence=Confidence.CERTAIN))
    verdict = "refused" if answer is None else "served as the token's own session owner"
    return passed(f"a forged token with another account's sub was {verdict} "
                  f"(forged by {forger.how})")

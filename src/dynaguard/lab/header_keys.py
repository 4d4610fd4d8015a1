"""Keys chosen by the token's own header: the lab's three ways of letting an attacker pick
the key a token is checked with.

    jwt_alg_confusion  the key comes from the ring by ``kid`` and the algorithm from the
                       header: name the published ES256 key and say HS256, and its public
                       PEM becomes the HMAC secret
    jwt_kid_injection  ``kid`` is a file name under the key directory, read as it comes:
                       ``../../../../dev/null`` is an empty HMAC key
    jwt_jku_trust      the key comes with the token: an embedded ``jwk``, or fetched from
                       the ``jku`` (JWKS) or ``x5u`` (certificate) URL the header names;
                       the lab fetches loopback URLs only

The lab publishes its next signing key (ES256, for the move off HS256) at
``/.well-known/jwks.json`` whatever the flaws: a public key is public, and the safe
verifier accepts HS256 with the lab's secret only. Nothing here runs with these flaws off.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import jwt
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import APIRouter

__all__ = ["HMAC_KID", "PUBLISHED_KID", "HeaderKeys", "KeyRefused", "build_jwks_router"]

PUBLISHED_KID = "lab-es256-1"
HMAC_KID = "lab-hs256-1"
HMAC_DIGESTS = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}
ASYMMETRIC = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384",
              "ES512", "EdDSA")
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
MAX_KEY_BYTES = 16_384
FETCH_TIMEOUT_S = 3.0


class KeyRefused(Exception):
    """The header names no key the flawed verifier can use."""


def _b64decode(part: str) -> bytes:
    return jwt.utils.base64url_decode(part.encode())


class HeaderKeys:
    """The published key pair and the flawed key lookups, switched by ``flaws``."""

    def __init__(self, flaws: frozenset[str], secret: str) -> None:
        self.flaws = flaws
        self._private = ec.generate_private_key(ec.SECP256R1())
        self.public_pem = self._private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        self._key_dir: tempfile.TemporaryDirectory[str] | None = None
        if "jwt_kid_injection" in flaws:
            # Removed when the lab object goes; a with-block cannot span the lab's life.
            self._key_dir = tempfile.TemporaryDirectory(prefix="dynaguard-lab-keys-")
            (Path(self._key_dir.name) / HMAC_KID).write_text(secret)
            (Path(self._key_dir.name) / PUBLISHED_KID).write_bytes(self.public_pem)

    def jwks(self) -> dict[str, list[dict[str, Any]]]:
        jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(self._private.public_key()))
        return {"keys": [{**jwk, "kid": PUBLISHED_KID, "use": "sig", "alg": "ES256"}]}

    @property
    def issue_kid(self) -> str | None:
        """The ``kid`` the lab writes into its HS256 tokens (only the kid flaw reads it)."""
        return HMAC_KID if "jwt_kid_injection" in self.flaws else None

    def applies(self, header: dict[str, Any]) -> bool:
        """Whether a flawed lookup takes this token (otherwise the safe path does)."""
        if "jwt_jku_trust" in self.flaws and any(n in header for n in ("jwk", "jku", "x5u")):
            return True
        if "jwt_kid_injection" in self.flaws and isinstance(header.get("kid"), str):
            return True
        return "jwt_alg_confusion" in self.flaws and header.get("kid") == PUBLISHED_KID

    async def verify_signature(self, token: str, header: dict[str, Any]) -> None:
        """Check the signature with the key the header picks; KeyRefused if it fails."""
        alg = str(header.get("alg", ""))
        if "jwt_jku_trust" in self.flaws and any(n in header for n in ("jwk", "jku", "x5u")):
            if alg not in ASYMMETRIC:
                raise KeyRefused
            _check_asymmetric(token, alg, await self._header_key(header, alg))
            return
        material = self._kid_material(str(header.get("kid", "")))
        if "jwt_alg_confusion" not in self.flaws:
            alg = "HS256"  # the kid flaw alone keeps the algorithm fixed
        if alg in HMAC_DIGESTS:
            _check_hmac(token, alg, material)
        elif alg in ASYMMETRIC:
            try:
                key = serialization.load_pem_public_key(material)
            except ValueError:
                raise KeyRefused from None
            _check_asymmetric(token, alg, key)
        else:
            raise KeyRefused

    def _kid_material(self, kid: str) -> bytes:
        if self._key_dir is not None:
            path = Path(self._key_dir.name) / kid  # the flaw: no check that it stays inside
            try:
                with path.open("rb") as handle:
                    return handle.read(MAX_KEY_BYTES)
            except (OSError, ValueError):
                raise KeyRefused from None
        if kid == PUBLISHED_KID:
            return self.public_pem
        raise KeyRefused

    async def _header_key(self, header: dict[str, Any], alg: str) -> Any:
        try:
            if isinstance(header.get("jwk"), dict):
                return jwt.PyJWK(header["jwk"], algorithm=alg).key
            if isinstance(header.get("jku"), str):
                keys = json.loads(await _fetch(header["jku"])).get("keys", [])
                kid = header.get("kid")
                chosen = next(k for k in keys if isinstance(k, dict)
                              and (kid is None or k.get("kid") == kid))
                return jwt.PyJWK(chosen, algorithm=alg).key
            if isinstance(header.get("x5u"), str):
                return x509.load_pem_x509_certificate(await _fetch(header["x5u"])).public_key()
        except (jwt.PyJWTError, ValueError, TypeError, AttributeError, StopIteration):
            raise KeyRefused from None
        raise KeyRefused


def build_jwks_router(keys: HeaderKeys) -> APIRouter:
    """``GET /.well-known/jwks.json``: the published key."""
    router = APIRouter(tags=["keys"])

    @router.get("/.well-known/jwks.json")
    async def jwks() -> dict[str, list[dict[str, Any]]]:
        return keys.jwks()

    return router


async def _fetch(url: str) -> bytes:
    """GET a loopback URL (the lab never fetches anything else), at most ``MAX_KEY_BYTES``."""
    parts = urlsplit(url)
    if parts.scheme != "http" or (parts.hostname or "") not in LOOPBACK_HOSTS:
        raise KeyRefused
    try:
        async with httpx.AsyncClient(timeout=FETCH_TIMEOUT_S, follow_redirects=False,
                                     trust_env=False) as client:
            response = await client.get(url)
    except httpx.HTTPError:
        raise KeyRefused from None
    if response.status_code != 200 or len(response.content) > MAX_KEY_BYTES:
        raise KeyRefused
    return response.content


def _check_hmac(token: str, alg: str, key: bytes) -> None:
    signing_input, _, signature = token.rpartition(".")
    try:
        wanted = _b64decode(signature)
    except ValueError:
        raise KeyRefused from None
    mac = hmac.new(key, signing_input.encode(), HMAC_DIGESTS[alg]).digest()
    if not hmac.compare_digest(mac, wanted):
        raise KeyRefused


def _check_asymmetric(token: str, alg: str, key: Any) -> None:
    try:
        jwt.decode(token, key, algorithms=[alg], options={"verify_signature": True,
                                                          "verify_exp": False,
                                                          "verify_aud": False,
                                                          "verify_iss": False})
    except jwt.PyJWTError:
        raise KeyRefused from None

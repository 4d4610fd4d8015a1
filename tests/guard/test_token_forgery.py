"""CWE-347: forged, re-targeted and tampered access tokens are refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.conftest import Harness, MakeUser, bearer


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _part(obj: dict[str, Any]) -> str:
    return _b64(json.dumps(obj).encode())


def _forgeries(genuine: str, harness: Harness) -> dict[str, str]:
    header = jwt.get_unverified_header(genuine)
    claims = jwt.decode(genuine, options={"verify_signature": False})
    ring_key = harness.svc.tokens.ring.signing_key()
    assert ring_key.private is not None
    public_jwk = ring_key.jwk()
    attacker = Ed25519PrivateKey.generate()
    now = int(time.time())

    def ours(**changes: Any) -> str:
        return jwt.encode({**claims, **changes}, ring_key.private, algorithm="EdDSA",
                          headers={"kid": header["kid"], "typ": "at+jwt"})

    def theirs(**extra_headers: Any) -> str:
        return jwt.encode(claims, attacker, algorithm="EdDSA",
                          headers={"kid": header["kid"], "typ": "at+jwt", **extra_headers})

    unsigned = f"{_part({'alg': 'none', 'typ': 'at+jwt', 'kid': header['kid']})}.{_part(claims)}."
    hs_input = f"{_part({'alg': 'HS256', 'typ': 'at+jwt', 'kid': header['kid']})}.{_part(claims)}"
    hs_key = base64.urlsafe_b64decode(public_jwk["x"] + "==")
    hs_sig = _b64(hmac.new(hs_key, hs_input.encode(), hashlib.sha256).digest())
    head, _, sig = genuine.split(".")
    tampered = f"{head}.{_part({**claims, 'scope': 'admin notes:read notes:write'})}.{sig}"
    attacker_jwk = {"kty": "OKP", "crv": "Ed25519", "x": _b64(
        attacker.public_key().public_bytes_raw())}
    return {
        "alg none": unsigned,
        "HS256 keyed with our public key": f"{hs_input}.{hs_sig}",
        "attacker key, our kid": theirs(),
        "attacker key via jku": theirs(jku="https://attacker.example/jwks.json"),
        "attacker key via jwk": theirs(jwk=attacker_jwk),
        "attacker key via x5u": theirs(x5u="https://attacker.example/cert.pem"),
        "unknown kid": jwt.encode(claims, attacker, algorithm="EdDSA",
                                  headers={"kid": "attacker-kid", "typ": "at+jwt"}),
        "tampered payload": tampered,
        "other audience": ours(aud="another-service"),
        "other issuer": ours(iss="https://attacker.example"),
        "expired": ours(exp=now - 60, iat=now - 400, nbf=now - 400),
        "not yet valid": ours(nbf=now + 600),
        "no session id": jwt.encode({k: v for k, v in claims.items() if k != "sid"},
                                    ring_key.private, algorithm="EdDSA",
                                    headers={"kid": header["kid"], "typ": "at+jwt"}),
        "wrong type": jwt.encode(claims, ring_key.private, algorithm="EdDSA",
                                 headers={"kid": header["kid"], "typ": "JWT"}),
    }


async def test_forged_tokens_are_refused(harness: Harness, make_user: MakeUser) -> None:
    """Every forgery gets 401 from /auth/me while the genuine token passes."""
    user = await make_user()
    genuine = str((await harness.login(user.email))["access_token"])
    assert (await harness.client.get("/auth/me", headers=bearer(genuine))).status_code == 200
    # A token we sign ourselves with unchanged claims passes: the forgeries fail for the
    # one thing each of them changes.
    claims = jwt.decode(genuine, options={"verify_signature": False})
    key = harness.svc.tokens.ring.signing_key()
    assert key.private is not None
    resigned = jwt.encode(claims, key.private, algorithm="EdDSA",
                          headers={"kid": key.kid, "typ": "at+jwt"})
    assert (await harness.client.get("/auth/me", headers=bearer(resigned))).status_code == 200

    for name, token in _forgeries(genuine, harness).items():
        r = await harness.client.get("/auth/me", headers=bearer(token))
        assert r.status_code == 401, name

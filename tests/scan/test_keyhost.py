"""The loopback key host and the encodings the confusion check tries."""

from __future__ import annotations

import json

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from dynaguard.scan.checks.jwt_keys import key_encodings
from dynaguard.scan.keyhost import KeyHost, ScannerKey


@pytest.fixture(scope="module")
def key() -> ScannerKey:
    return ScannerKey.generate()


async def test_key_host_serves_its_documents_on_loopback_and_notes_fetches(
        key: ScannerKey) -> None:
    jwks = json.dumps({"keys": [key.jwk]}).encode()
    async with KeyHost({"/k.json": ("application/json", jwks)}) as host:
        assert host.base_url.startswith("http://127.0.0.1:")
        async with httpx.AsyncClient() as client:
            found = await client.get(host.url("/k.json"))
            missing = await client.get(host.url("/other"))
            posted = await client.post(host.url("/k.json"))
        assert found.status_code == 200
        assert found.json()["keys"][0]["kid"] == key.kid
        assert (missing.status_code, posted.status_code) == (404, 404)
        assert host.fetched == ["/k.json"]
        url = host.url("/k.json")
    async with httpx.AsyncClient() as client:
        try:
            await client.get(url)
        except httpx.ConnectError:
            pass
        else:
            raise AssertionError("the key host still answers after the block")


async def test_a_token_signed_with_the_scanner_key_verifies_with_its_jwk(
        key: ScannerKey) -> None:
    token = key.sign({"sub": "x"}, {"kid": key.kid})
    assert jwt.decode(token, jwt.PyJWK(key.jwk).key, algorithms=["RS256"]) == {"sub": "x"}
    assert b"BEGIN CERTIFICATE" in key.certificate_pem()


def test_encodings_include_the_pem_a_confused_verifier_uses(key: ScannerKey) -> None:
    for private in (ec.generate_private_key(ec.SECP256R1()),
                    ed25519.Ed25519PrivateKey.generate()):
        public = private.public_key()
        jwk = json.loads(_to_jwk(public))
        pem = public.public_bytes(serialization.Encoding.PEM,
                                  serialization.PublicFormat.SubjectPublicKeyInfo)
        forms = key_encodings(jwk)
        assert forms["PEM (SubjectPublicKeyInfo)"] == pem
        assert forms["PEM without final newline"] == pem.rstrip(b"\n")
    assert "PEM (PKCS#1)" in key_encodings(key.jwk)
    assert key_encodings({"kty": "nonsense"}) == {}


def _to_jwk(public: ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey) -> str:
    if isinstance(public, ec.EllipticCurvePublicKey):
        return str(jwt.algorithms.ECAlgorithm.to_jwk(public))
    return str(jwt.algorithms.OKPAlgorithm.to_jwk(public))

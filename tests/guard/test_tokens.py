"""Access-token verification (CWE-347, CWE-613): every forged or altered token is a 401.

Tokens are forged with the ring's real private key (taken from the running service), so
each variant is wrong in exactly the one property its case names.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from dynaguard.guard.tokens import REQUIRED_CLAIMS
from tests.conftest import Harness, bearer
from tests.guard.conftest import SharedApp
from tests.guard.support import (
    Forge,
    assert_generic_401,
    b64url,
    b64url_json,
    create_user,
    unsigned_token,
)


@dataclass
class Target:
    """A live session and everything an attacker could know or hold about it."""

    forge: Forge
    access_token: str
    jwks: dict[str, list[dict[str, str]]]
    other_user_id: str


@pytest.fixture(scope="module")
async def target(shared_app: SharedApp) -> Target:
    async with shared_app.harness() as harness:
        user = await create_user(harness)
        other = await create_user(harness)
        pair = await harness.login(user.email)
        access = str(pair["access_token"])
        sid = jwt.decode(access, options={"verify_signature": False})["sid"]
        jwks = (await harness.client.get("/.well-known/jwks.json")).json()
        return Target(Forge(harness, user.id, sid), access, jwks, other.id)


def _public_raw(t: Target) -> bytes:
    (key,) = t.jwks["keys"]
    assert key["kid"] == t.forge.kid
    return jwt.utils.base64url_decode(key["x"])


def _hs256(header: dict[str, object], claims: dict[str, object], secret: bytes) -> str:
    signing_input = f"{b64url_json(header)}.{b64url_json(claims)}"
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(mac)}"


def _public_pem(t: Target) -> bytes:
    return Ed25519PublicKey.from_public_bytes(_public_raw(t)).public_bytes(
        Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)


def _with_payload(token: str, claims: dict[str, object]) -> str:
    head, _, signature = token.split(".")
    return f"{head}.{b64url_json(claims)}.{signature}"


def _attacker_jwk(key: Ed25519PrivateKey, kid: str) -> dict[str, str]:
    raw = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return {"kty": "OKP", "crv": "Ed25519", "x": b64url(raw), "kid": kid}


ATTACKER_KEY = Ed25519PrivateKey.generate()
Case = Callable[[Target], str]


def _now() -> int:
    return int(time.time())


def _unsigned_with_alg(alg: str) -> Case:
    return lambda t: unsigned_token(t.forge.header(alg=alg), t.forge.claims())


def _without_claim(claim: str) -> Case:
    return lambda t: t.forge.sign(t.forge.claims(drop=(claim,)))


CASES: dict[str, Case] = {
    **{f"alg {alg}": _unsigned_with_alg(alg) for alg in ("none", "None", "NONE", "nOnE")},
    "alg none keeping a real signature": lambda t: unsigned_token(
        t.forge.header(alg="none"), t.forge.claims(), t.forge.sign().rsplit(".", 1)[1]),
    "HS256 keyed with the JWKS public key bytes": lambda t: _hs256(
        t.forge.header(alg="HS256"), t.forge.claims(), _public_raw(t)),
    "HS256 keyed with the JWKS x text": lambda t: _hs256(
        t.forge.header(alg="HS256"), t.forge.claims(), t.jwks["keys"][0]["x"].encode()),
    "HS256 keyed with the public key PEM": lambda t: _hs256(
        t.forge.header(alg="HS256"), t.forge.claims(), _public_pem(t)),
    "unknown kid, signed by the ring key": lambda t: t.forge.sign(
        header=t.forge.header(kid="not-a-ring-key")),
    "kid missing": lambda t: t.forge.sign(
        header={"alg": "EdDSA", "typ": "at+jwt"}),
    "attacker key with its own kid": lambda t: t.forge.sign(
        header=t.forge.header(kid="attacker"), key=ATTACKER_KEY),
    "attacker key claiming the ring's kid": lambda t: t.forge.sign(key=ATTACKER_KEY),
    "wrong iss": lambda t: t.forge.sign(t.forge.claims(iss="https://evil.example")),
    "wrong aud": lambda t: t.forge.sign(t.forge.claims(aud="another-service")),
    "aud list without ours": lambda t: t.forge.sign(t.forge.claims(aud=["a", "b"])),
    "expired": lambda t: t.forge.sign(t.forge.claims(
        iat=_now() - 900, nbf=_now() - 900, exp=_now() - 60)),
    "nbf in the future": lambda t: t.forge.sign(t.forge.claims(nbf=_now() + 120)),
    "typ JWT instead of at+jwt": lambda t: t.forge.sign(header=t.forge.header(typ="JWT")),
    "tampered payload: other user": lambda t: _with_payload(
        t.forge.sign(), t.forge.claims(sub=t.other_user_id)),
    "tampered payload: more scope": lambda t: _with_payload(
        t.access_token, {**jwt.decode(t.access_token, options={"verify_signature": False}),
                         "scope": "admin notes:read notes:write"}),
    "stripped signature": lambda t: t.forge.sign().rsplit(".", 1)[0] + ".",
    "signature segment removed": lambda t: t.forge.sign().rsplit(".", 1)[0],
    "jku header": lambda t: t.forge.sign(
        header=t.forge.header(jku="https://evil.example/jwks.json")),
    "x5u header": lambda t: t.forge.sign(
        header=t.forge.header(x5u="https://evil.example/cert.pem")),
    "x5c header": lambda t: t.forge.sign(header=t.forge.header(x5c=["MIIB"])),
    "jwk header embedding the attacker key": lambda t: t.forge.sign(
        header=t.forge.header(jwk=_attacker_jwk(ATTACKER_KEY, t.forge.kid)), key=ATTACKER_KEY),
    "jwk header with the ring's own key": lambda t: t.forge.sign(
        header=t.forge.header(jwk=t.jwks["keys"][0])),
    "real signature, sub of another user": lambda t: t.forge.sign(
        t.forge.claims(sub=t.other_user_id)),
    "real signature, sid of no session": lambda t: t.forge.sign(
        t.forge.claims(sid="0" * 32)),
    **{f"missing {claim}": _without_claim(claim) for claim in REQUIRED_CLAIMS},
}


async def test_forged_token_without_a_flaw_is_accepted(
    shared_harness: Harness, target: Target,
) -> None:
    """The forge's unaltered token works, so every refusal below is caused by its one flaw."""
    for token in (target.access_token, target.forge.sign()):
        me = await shared_harness.client.get("/auth/me", headers=bearer(token))
        assert me.status_code == 200, me.text
        assert me.json()["id"] == target.forge.user_id


@pytest.mark.parametrize("case", CASES)
async def test_bad_token_is_refused(shared_harness: Harness, target: Target, case: str) -> None:
    """A token that is wrong in one property gets the generic 401 at /auth/me."""
    token = CASES[case](target)
    assert_generic_401(await shared_harness.client.get("/auth/me", headers=bearer(token)))
    genuine = await shared_harness.client.get("/auth/me", headers=bearer(target.access_token))
    assert genuine.status_code == 200, "the session under attack must still be live"

"""Offline JWT handling: forged variants keep what they should, and the dictionary attack
finds secrets drawn at random from its word lists, not just ones a test names."""

from __future__ import annotations

import secrets

import jwt
import pytest

from dynaguard.scan.jwtkit import candidate_secrets, crack_hmac, parse_jwt

CLAIMS = {"sub": "u1", "iss": "https://issuer.example", "aud": "api", "exp": 4_102_444_800}


def _token(secret: str, alg: str = "HS256") -> str:
    return jwt.encode(CLAIMS, secret.encode(), algorithm=alg)


def test_parse_and_variants() -> None:
    token = parse_jwt(_token("k" * 32))
    assert token is not None
    assert token.alg == "HS256"
    assert token.claims == CLAIMS
    assert parse_jwt("not.a.jwt") is None
    assert parse_jwt("opaque-session-id") is None
    unsigned = token.unsigned("nOnE")
    assert unsigned.endswith(".")
    assert jwt.get_unverified_header(unsigned)["alg"] == "nOnE"
    assert token.stripped() == f"{token.raw_header}.{token.raw_claims}."
    altered = token.altered_signature().split(".")[2]
    assert altered != token.signature
    assert len(altered) == len(token.signature)
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token.tampered(sub="u2"), "k" * 32, algorithms=["HS256"], audience="api")
    forged = token.hmac_signed(b"k" * 32, sub="u2")
    assert jwt.decode(forged, "k" * 32, algorithms=["HS256"], audience="api")["sub"] == "u2"


@pytest.mark.parametrize("alg", ["HS256", "HS512"])
def test_cracks_a_random_dictionary_word(alg: str) -> None:
    """The secret is a word picked at random now from the candidate list (in any of its
    first 300 000, past the hand-written common secrets), so no test names it."""
    pick = 1_000 + secrets.randbelow(299_000)
    word = next(w for i, w in enumerate(candidate_secrets()) if i == pick)
    found, tried = crack_hmac(parse_jwt(_token(word, alg)))  # type: ignore[arg-type]
    assert found == word
    assert tried == pick + 1


def test_random_secret_is_not_cracked_and_the_search_is_bounded() -> None:
    found, tried = crack_hmac(parse_jwt(_token(secrets.token_urlsafe(32))),  # type: ignore[arg-type]
                              max_seconds=0.5)
    assert found is None
    assert 0 < tried < 2_000_000


def test_non_hmac_tokens_are_not_attacked() -> None:
    token = parse_jwt("eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ1MSJ9.c2ln")
    assert token is not None
    assert token.alg == "EdDSA"
    assert crack_hmac(token) == (None, 0)

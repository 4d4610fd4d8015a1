"""Offline JWT handling for the checks: split, re-encode, forge, and crack weak HMAC keys.

Nothing here sends a request; the checks decide what a forged token proves.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

__all__ = ["HMAC_DIGESTS", "Jwt", "b64url", "candidate_secrets", "crack_hmac", "hashed",
           "hmac_token", "parse_jwt"]

HMAC_DIGESTS = {"HS256": "sha256", "HS384": "sha384", "HS512": "sha512"}
# Secrets people paste from tutorials, framework defaults and .env examples.
COMMON_SECRETS = (
    "secret", "Secret", "SECRET", "secretkey", "secret_key", "secret-key", "SECRET_KEY",
    "jwt", "jwtsecret", "jwt_secret", "jwt-secret", "JWT_SECRET", "jwtkey", "jwt_key",
    "your-256-bit-secret", "your-secret-key", "your_secret_key", "your-secret", "mysecret",
    "my_secret", "my-secret", "mysecretkey", "supersecret", "super_secret", "super-secret",
    "topsecret", "changeme", "change_me", "change-me", "changethis", "default", "key",
    "private", "privatekey", "password", "pass", "admin", "test", "testing", "dev",
    "development", "production", "prod", "token", "tokensecret", "auth", "authsecret",
    "signing_key", "hmac", "hmacsecret", "app_secret", "appsecret", "api_secret",
    "apisecret", "s3cr3t", "s3cret", "shhhhh", "shhhhhared-secret", "keyboard cat",
    "notasecret", "insecure", "django-insecure", "fastapi", "flask", "express", "node",
    "example", "sample", "demo", "hello", "helloworld", "qwerty", "123456", "12345678",
    "1234567890", "",
)
SUFFIXES = ("", "1", "123", "!", "2023", "2024", "2025", "_secret", "-secret", "secret",
            "_key", "-key", "key", "_jwt", "-jwt")
MAX_CANDIDATES = 2_000_000
MAX_CRACK_S = 20.0


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _encode(obj: dict[str, Any]) -> str:
    return b64url(json.dumps(obj, separators=(",", ":")).encode())


@dataclass(frozen=True)
class Jwt:
    """A compact JWS split into its parts, the decoded header and claims kept alongside."""

    header: dict[str, Any]
    claims: dict[str, Any]
    raw_header: str
    raw_claims: str
    signature: str

    @property
    def alg(self) -> str:
        return str(self.header.get("alg", ""))

    @property
    def signing_input(self) -> bytes:
        return f"{self.raw_header}.{self.raw_claims}".encode()

    def unsigned(self, alg: str) -> str:
        """The same claims under ``alg`` (e.g. ``none``), with an empty signature."""
        return f"{_encode({**self.header, 'alg': alg})}.{self.raw_claims}."

    def stripped(self) -> str:
        """The original header and claims with the signature removed."""
        return f"{self.raw_header}.{self.raw_claims}."

    def altered_signature(self) -> str:
        """The original header and claims with the signature's bytes flipped."""
        raw = bytearray(_unb64(self.signature) or b"\0")
        for index in range(len(raw)):
            raw[index] ^= 0x5A
        return f"{self.raw_header}.{self.raw_claims}.{b64url(bytes(raw))}"

    def tampered(self, **changes: Any) -> str:
        """Changed claims under the original signature (valid only if nobody checks it)."""
        return f"{self.raw_header}.{_encode({**self.claims, **changes})}.{self.signature}"

    def hmac_signed(self, key: bytes, **changes: Any) -> str:
        """Changed claims signed with an HMAC key (this token's HS algorithm)."""
        head = _encode(self.header)
        body = _encode({**self.claims, **changes})
        digest = hmac.digest(key, f"{head}.{body}".encode(), HMAC_DIGESTS[self.alg])
        return f"{head}.{body}.{b64url(digest)}"

    def resigned(self, key: bytes) -> str:
        """The signature ``key`` gives this token's header and claims (HS algorithms)."""
        return b64url(hmac.digest(key, self.signing_input, HMAC_DIGESTS[self.alg]))

    def none_signed(self, **changes: Any) -> str:
        return f"{_encode({**self.header, 'alg': 'none'})}.{_encode({**self.claims, **changes})}."


def hmac_token(header: dict[str, Any], claims: dict[str, Any], key: bytes,
               alg: str = "HS256") -> str:
    """A token with exactly this header (``alg`` set) and claims, MACed with ``key``."""
    head = _encode({**header, "alg": alg})
    body = _encode(claims)
    digest = hmac.digest(key, f"{head}.{body}".encode(), HMAC_DIGESTS[alg])
    return f"{head}.{body}.{b64url(digest)}"


def parse_jwt(token: str) -> Jwt | None:
    """The token as a JWT, or None when it is not a compact JWS with JSON parts."""
    parts = token.split(".")
    if len(parts) != 3:  # header.claims.signature
        return None
    try:
        header = json.loads(_unb64(parts[0]))
        claims = json.loads(_unb64(parts[1]))
    except (ValueError, TypeError):
        return None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        return None
    return Jwt(header, claims, parts[0], parts[1], parts[2])


@cache
def _wordlists() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(password-like words, other words) from zxcvbn's frequency lists, most common first."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS  # noqa: PLC0415 -- large, load lazily

    passwords = tuple(FREQUENCY_LISTS.get("passwords", ()))
    others: list[str] = []
    for name, words in FREQUENCY_LISTS.items():
        if name != "passwords":
            others.extend(words)
    return passwords, tuple(others)


def candidate_secrets(extra: Iterable[str] = ()) -> Iterator[str]:
    """Candidate HMAC secrets: common secrets, then dictionary words with usual decorations.

    Words come from the lists zxcvbn ships (common passwords, English words, names, film
    and TV words); each is tried as is, capitalised and upper-cased, and the most common
    ones also with the suffixes people add. Every plain word comes before any decorated
    one, so a bare dictionary word is found early. At most ``MAX_CANDIDATES``.
    """
    seen: set[str] = set()
    count = 0
    passwords, others = _wordlists()

    def variants(word: str, decorate: bool) -> Iterator[str]:
        forms = dict.fromkeys((word, word.capitalize(), word.upper()))
        for form in forms:
            for suffix in SUFFIXES if decorate else ("",):
                yield form + suffix

    def words() -> Iterator[tuple[str, bool]]:
        for word in [*extra, *COMMON_SECRETS]:
            yield word, True
        yield from ((word, False) for word in (*passwords, *others))
        yield from ((word, True) for word in passwords[:10_000])
        yield from ((word, True) for word in others[:5_000])

    for word, decorate in words():
        for candidate in variants(word, decorate):
            if candidate in seen:
                continue
            seen.add(candidate)
            yield candidate
            count += 1
            if count >= MAX_CANDIDATES:
                return


def crack_hmac(token: Jwt, extra: Iterable[str] = (),
               max_seconds: float = MAX_CRACK_S) -> tuple[str | None, int]:
    """The HMAC secret of ``token`` if it is in the candidate list; and how many were tried."""
    digest_name = HMAC_DIGESTS.get(token.alg)
    if digest_name is None:
        return None, 0
    try:
        wanted = _unb64(token.signature)
    except ValueError:
        return None, 0
    message = token.signing_input
    deadline = time.monotonic() + max_seconds
    tried = 0
    for candidate in candidate_secrets(extra):
        tried += 1
        mac = hmac.digest(candidate.encode(), message, digest_name)
        if hmac.compare_digest(mac, wanted):
            return candidate, tried
        if tried % 20_000 == 0 and time.monotonic() > deadline:
            break
    return None, tried


def hashed(value: str) -> str:
    """A short digest for evidence: shows two values differ without showing either."""
    return hashlib.sha256(value.encode()).hexdigest()[:12]

"""Helpers for guard tests: raw table writes, token forging and the "no internals" check."""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from dynaguard.store.codec import encode_item
from dynaguard.store.items import UserItem
from tests.conftest import TEST_PASSWORD, Harness

# Words that only an exception, a traceback or a DynamoDB error would put in a body.
INTERNAL_MARKERS = (
    "traceback", 'file "', "keyerror", "typeerror", "valueerror", "attributeerror",
    "validationerror", "corruptitem", "storeunavailable", "clienterror", "botocore",
    "aiobotocore", "pydantic", "exception", "dynamodb", "conditionalcheck",
    "transactioncanceled", "resourcenotfound", "endpointconnection", "validation error",
    "input should be", "errors.pydantic.dev",
)


def assert_no_internals(response: httpx.Response) -> None:
    """The answer is not a 500 and says nothing about code, libraries or the store."""
    assert response.status_code != 500, response.text
    text = response.text.lower()
    leaked = [marker for marker in INTERNAL_MARKERS if marker in text]
    assert not leaked, (leaked, response.text)


def assert_generic_401(response: httpx.Response) -> None:
    """The one answer every authentication failure gets."""
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json() == {"type": "about:blank", "title": "Authentication failed",
                               "status": 401, "detail": "Authentication failed"}
    assert_no_internals(response)


async def create_user(
    harness: Harness, *, password: str = TEST_PASSWORD, password_hash: str | None = None,
    verified: bool = True, enabled: bool = True,
) -> UserItem:
    """A user written through the repository (so its email claim exists too)."""
    svc = harness.svc
    email = f"user-{uuid.uuid4().hex[:10]}@example.com"
    hashed = password_hash or await svc.passwords.hash(password)
    user = svc.users.new_user(email, hashed, ["notes:read", "notes:write"])
    user = user.model_copy(update={"email_verified": verified, "enabled": enabled})
    await svc.users.create(user)
    return user


async def put_raw(harness: Harness, item: dict[str, Any]) -> None:
    """Write an item exactly as given, with the low-level client (no model, no checks)."""
    await harness.svc.db.client.put_item(TableName=harness.settings.table, Item=item)


async def get_raw(harness: Harness, pk: str, sk: str) -> dict[str, Any]:
    found = await harness.svc.db.client.get_item(
        TableName=harness.settings.table, Key={"pk": {"S": pk}, "sk": {"S": sk}},
        ConsistentRead=True,
    )
    item: dict[str, Any] = found["Item"]
    return item


def raw_user(user: UserItem) -> dict[str, Any]:
    """The attribute values the store writes for ``user``."""
    return encode_item(user.model_dump())


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_json(value: object) -> str:
    return b64url(json.dumps(value, separators=(",", ":")).encode())


def unsigned_token(header: dict[str, Any], claims: dict[str, Any], signature: str = "") -> str:
    """A compact JWS built by hand, so no library refuses to produce it."""
    return f"{b64url_json(header)}.{b64url_json(claims)}.{signature}"


class Forge:
    """Builds access tokens that are right in every respect except the one under test.

    It holds the ring's real private key, so a token it signs without overrides is
    accepted by the service (a test checks that), and any refusal of a variant is caused
    by the one property that was changed.
    """

    def __init__(self, harness: Harness, user_id: str, sid: str) -> None:
        key = harness.svc.tokens.ring.signing_key()
        assert key.private is not None
        self.private: Ed25519PrivateKey = key.private
        self.kid = key.kid
        self.settings = harness.settings
        self.user_id = user_id
        self.sid = sid

    def header(self, **changes: Any) -> dict[str, Any]:
        header: dict[str, Any] = {"alg": "EdDSA", "typ": "at+jwt", "kid": self.kid}
        header.update(changes)
        return header

    def claims(self, *, drop: tuple[str, ...] = (), **changes: Any) -> dict[str, Any]:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.settings.issuer, "aud": self.settings.audience, "sub": self.user_id,
            "iat": now, "nbf": now, "exp": now + 300, "jti": uuid.uuid4().hex, "sid": self.sid,
            "scope": "notes:read notes:write", "amr": ["pwd"],
        }
        claims.update(changes)
        for name in drop:
            del claims[name]
        return claims

    def sign(
        self, claims: dict[str, Any] | None = None, header: dict[str, Any] | None = None,
        key: Ed25519PrivateKey | None = None,
    ) -> str:
        """An EdDSA token; the ring's key unless ``key`` is given."""
        head = header if header is not None else self.header()
        extra = {k: v for k, v in head.items() if k != "alg"}
        return jwt.encode(claims if claims is not None else self.claims(),
                          key or self.private, algorithm="EdDSA", headers=extra)

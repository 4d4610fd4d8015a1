"""The first look at a bearer token's header: anything malformed is the generic 401."""

from __future__ import annotations

import base64

import pytest

from dynaguard.errors import AuthenticationFailed
from dynaguard.guard.tokens import unverified_header
from tests.conftest import Harness, bearer
from tests.guard.support import assert_generic_401


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


MALFORMED = {
    "no dot": "abc",
    "empty header": ".e30.sig",
    "not base64": "!!!.e30.sig",
    "not JSON": _b64(b"kid") + ".e30.sig",
    "a JSON list": _b64(b'["kid"]') + ".e30.sig",
    "nested past the limit": _b64(b"[" * 3000 + b"]" * 3000) + ".e30.sig",
    "not ASCII": "\u00e9\u00e9.e30.sig",
}


@pytest.mark.parametrize("case", MALFORMED)
def test_malformed_header_is_refused(case: str) -> None:
    with pytest.raises(AuthenticationFailed):
        unverified_header(MALFORMED[case])


def test_header_decodes_like_pyjwt() -> None:
    token = _b64(b'{"alg":"EdDSA","kid":"k1","typ":"at+jwt"}') + ".e30.sig"
    assert unverified_header(token) == {"alg": "EdDSA", "kid": "k1", "typ": "at+jwt"}


async def test_malformed_headers_answer_the_generic_401(harness: Harness) -> None:
    for case, token in MALFORMED.items():
        if case == "not ASCII":
            continue  # an HTTP client cannot send it as a header value
        assert_generic_401(await harness.client.get("/auth/me", headers=bearer(token)))

"""Property: no mutated access token verifies (CWE-347).

A token is three base64url segments; the signature covers the first two *as sent*. So a
changed header or claims segment must always fail, and a changed signature segment may
only pass if it still decodes to the very same signature bytes (base64 ignores stray
characters and unused low bits; such a token says nothing new).
"""

from __future__ import annotations

import base64
import binascii
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dynaguard.errors import AuthenticationFailed
from tests.conftest import Harness

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ !\x00é"


def _signature_bytes(segment: str) -> bytes | None:
    try:
        return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError):
        return None


def _says_the_same(original: str, mutated: str) -> bool:
    parts, orig = mutated.split("."), original.split(".")
    if len(parts) != 3 or parts[:2] != orig[:2]:
        return False
    return _signature_bytes(parts[2]) == _signature_bytes(orig[2])


edits = st.lists(
    st.one_of(
        st.tuples(st.just("replace"), st.integers(0, 10_000), st.sampled_from(ALPHABET)),
        st.tuples(st.just("insert"), st.integers(0, 10_000), st.sampled_from(ALPHABET)),
        st.tuples(st.just("delete"), st.integers(0, 10_000), st.just("")),
        st.tuples(st.just("truncate"), st.integers(0, 10_000), st.just("")),
    ),
    min_size=1, max_size=4,
)


def _apply(token: str, steps: list[tuple[str, int, str]]) -> str:
    for kind, at, char in steps:
        i = at % (len(token) + 1)
        if kind == "replace" and token:
            i = at % len(token)
            token = token[:i] + char + token[i + 1:]
        elif kind == "insert":
            token = token[:i] + char + token[i:]
        elif kind == "delete" and token:
            i = at % len(token)
            token = token[:i] + token[i + 1:]
        elif kind == "truncate":
            token = token[:i]
    return token


@given(steps=edits)
@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
async def test_no_mutated_token_verifies(
    harness: Harness, steps: list[tuple[str, int, str]]
) -> None:
    """Random replacements, insertions, deletions and truncations anywhere in a genuine
    token: verification fails unless the result still says exactly the same thing."""
    tokens = harness.svc.tokens
    genuine = tokens.issue_access("user-1", "session-1", ["notes:read"], ["pwd"])
    assert (await tokens.verify_access(genuine)).sub == "user-1"
    mutated = _apply(genuine, steps)
    if _says_the_same(genuine, mutated):
        return
    with pytest.raises(AuthenticationFailed):
        await tokens.verify_access(mutated)


def _b64json(segment: str) -> dict[str, object]:
    decoded = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    value: dict[str, object] = json.loads(decoded)
    return value


@given(segment=st.sampled_from([0, 1]), changes=st.fixed_dictionaries({}, optional={
    "sub": st.text(max_size=8), "scope": st.sampled_from(["notes:read notes:write", "admin"]),
    "exp": st.integers(0, 2**40), "sid": st.text(max_size=8), "x": st.integers()}))
@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
async def test_a_rewritten_segment_keeps_no_signature(
    harness: Harness, segment: int, changes: dict[str, object]
) -> None:
    """A well-formed header or claim set with any field changed, carrying the genuine
    signature, fails: the signature binds both segments as sent."""
    tokens = harness.svc.tokens
    genuine = tokens.issue_access("user-1", "session-1", ["notes:read"], ["pwd"])
    parts = genuine.split(".")
    content = _b64json(parts[segment])
    rewritten = {**content, **changes}
    if rewritten == content:
        return
    encoded = base64.urlsafe_b64encode(json.dumps(rewritten).encode()).rstrip(b"=").decode()
    parts[segment] = encoded
    with pytest.raises(AuthenticationFailed):
        await tokens.verify_access(".".join(parts))

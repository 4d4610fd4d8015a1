"""Property: a raw attribute map becomes a UserItem only when it is a valid one (CWE-287).

The oracle below reads DynamoDB's attribute-value shapes directly, independently of the
Pydantic model; hypothesis throws valid items, damaged items and random maps at both and
they must agree. Anything refused is refused as CorruptItem, never as another error.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from dynaguard.errors import CorruptItem
from dynaguard.store.codec import encode_item
from dynaguard.store.items import UserItem, parse_item

STRINGS = {"pk", "sk", "gsi1pk", "gsi1sk", "id", "email", "password_hash"}
BOOLS = {"enabled", "email_verified", "mfa_enabled"}
INTS = {"credentials_version", "created_at"}
OPTIONAL = {"expires_at"}
LISTS = {"scopes"}
FIELDS = STRINGS | BOOLS | INTS | OPTIONAL | LISTS

VALID = encode_item({
    "pk": "USER#u1", "sk": "PROFILE", "gsi1pk": "USERS", "gsi1sk": "a@example.com",
    "id": "u1", "email": "a@example.com", "password_hash": "$argon2id$v=19$m=8,t=1,p=1$x$y",
    "enabled": True, "email_verified": True, "scopes": ["notes:read"],
    "credentials_version": 0, "mfa_enabled": False, "created_at": 1_700_000_000,
})

number_text = st.one_of(
    st.sampled_from(["NaN", "Infinity", "abc"]),
    st.integers(-(10**6), 10**6).map(str),
    st.sampled_from(["1.0", "1.5", "-0", "1e2", "2E-1", "NaN", "sNaN", "Infinity", "-Infinity",
                     "abc", "", " 7 ", "1e999999", "0x10", "1_000"]),
)
leaf = st.one_of(
    st.text(max_size=12).map(lambda s: {"S": s}),
    number_text.map(lambda s: {"N": s}),
    st.booleans().map(lambda b: {"BOOL": b}),
    st.just({"NULL": True}),
    st.binary(max_size=8).map(lambda b: {"B": b}),
    st.lists(st.text(max_size=6), max_size=3).map(lambda xs: {"SS": xs}),
    st.lists(number_text, max_size=3).map(lambda xs: {"NS": xs}),
    # Shapes DynamoDB never sends: the parser must still refuse them cleanly.
    st.sampled_from([{}, {"S": 1}, {"BOOL": "true"}, {"N": 3}, {"S": "a", "N": "1"}, "raw", 5]),
)
attribute = st.recursive(
    leaf,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3).map(lambda xs: {"L": xs}),
        st.dictionaries(st.text(max_size=4), inner, max_size=3).map(lambda m: {"M": m}),
    ),
    max_leaves=6,
)


def _integral(value: Any) -> int | None:
    if not (isinstance(value, dict) and set(value) == {"N"} and isinstance(value["N"], str)):
        return None
    try:
        number = Decimal(value["N"])
    except InvalidOperation:
        return None
    if not number.is_finite() or number.adjusted() > 125 or number != number.to_integral_value():
        return None
    return int(number)


def _string_list(value: Any) -> bool:
    if isinstance(value, dict) and set(value) == {"SS"}:
        return (isinstance(value["SS"], list) and len(value["SS"]) > 0  # no empty sets
                and all(isinstance(s, str) for s in value["SS"]))
    return (isinstance(value, dict) and set(value) == {"L"} and isinstance(value["L"], list)
            and all(isinstance(v, dict) and set(v) == {"S"} and isinstance(v["S"], str)
                    for v in value["L"]))


def is_valid_user(item: dict[str, Any]) -> bool:  # noqa: PLR0911 -- one rule per line
    """The oracle: what a stored user item must look like, attribute by attribute."""
    if set(item) - FIELDS or not set(item) >= (FIELDS - OPTIONAL):
        return False
    for name in STRINGS:
        v = item[name]
        if not (isinstance(v, dict) and set(v) == {"S"} and isinstance(v["S"], str)):
            return False
    if item["password_hash"]["S"] == "":
        return False
    for name in BOOLS:
        v = item[name]
        if not (isinstance(v, dict) and set(v) == {"BOOL"} and isinstance(v["BOOL"], bool)):
            return False
    for name in INTS:
        if _integral(item[name]) is None:
            return False
    if (_integral(item["credentials_version"]) or 0) < 0:
        return False
    if not _string_list(item["scopes"]):
        return False
    # The key must name the account the item describes.
    if item["pk"]["S"] != f"USER#{item['id']['S']}" or item["sk"]["S"] != "PROFILE":
        return False
    if "expires_at" in item:
        v = item["expires_at"]
        return (isinstance(v, dict) and set(v) == {"NULL"}) or _integral(v) is not None
    return True


def _parses(item: dict[str, Any]) -> bool:
    try:
        parse_item(UserItem, item)
    except CorruptItem:
        return False
    return True


damage = st.lists(
    st.one_of(
        st.tuples(st.just("drop"), st.sampled_from(sorted(FIELDS))),
        st.tuples(st.just("set"), st.sampled_from(sorted(FIELDS)), attribute),
        st.tuples(st.just("add"), st.text(min_size=1, max_size=8), attribute),
    ),
    max_size=3,
)


@given(edits=damage)
@settings(max_examples=150, deadline=None)
def test_a_damaged_user_item_parses_only_when_still_valid(edits: list[tuple[Any, ...]]) -> None:
    """Dropping, retyping or adding attributes: parsed if and only if the oracle agrees."""
    item: dict[str, Any] = dict(VALID)
    for edit in edits:
        if edit[0] == "drop":
            item.pop(edit[1], None)
        else:
            item[edit[1]] = edit[2]
    assert _parses(item) == is_valid_user(item), repr(item)


@given(item=st.dictionaries(st.sampled_from(sorted(FIELDS)) | st.text(max_size=6), attribute,
                            max_size=len(FIELDS) + 2))
@settings(max_examples=80, deadline=None)
def test_a_random_attribute_map_never_parses_unless_valid(item: dict[str, Any]) -> None:
    """Maps made from scratch are refused as corrupt unless the oracle says valid."""
    assert _parses(item) == is_valid_user(item), repr(item)


def test_the_oracle_accepts_the_valid_item() -> None:
    """The baseline the damage starts from is valid for both, so both sides are exercised."""
    assert is_valid_user(VALID)
    assert _parses(VALID)

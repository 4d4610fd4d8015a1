"""Attribute-value codec: what is stored comes back as it went in, and nothing is rounded."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dynaguard.store.codec import (
    Unreadable,
    decode_item,
    decode_value,
    encode_item,
    encode_value,
)

# DynamoDB numbers carry up to 38 significant digits.
_ints = st.integers(-(10**38) + 1, 10**38 - 1)
_decimals = st.decimals(allow_nan=False, allow_infinity=False, places=6,
                        min_value=-(10**20), max_value=10**20)
_scalars = st.one_of(st.none(), st.booleans(), _ints, _decimals, st.text(max_size=20),
                     st.binary(max_size=20))
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=12,
)


def _same(decoded: object, original: object) -> None:
    """Equal, and a number is an ``int`` exactly when it is integral."""
    if isinstance(original, list):
        assert isinstance(decoded, list)
        assert len(decoded) == len(original)
        for d, o in zip(decoded, original, strict=True):
            _same(d, o)
    elif isinstance(original, dict):
        assert isinstance(decoded, dict)
        assert decoded.keys() == original.keys()
        for key in original:
            _same(decoded[key], original[key])
    elif isinstance(original, Decimal | int) and not isinstance(original, bool):
        assert decoded == original
        integral = original == int(original)
        assert type(decoded) is (int if integral else Decimal)
    else:
        assert type(decoded) is type(original)
        assert decoded == original


@settings(max_examples=100, deadline=None, derandomize=True, database=None)
@given(st.dictionaries(st.text(min_size=1, max_size=8), _values, max_size=6))
def test_encode_then_decode_gives_back_the_item(item: dict[str, Any]) -> None:
    """Any item of supported values survives a round trip; top-level Nones are not stored."""
    encoded = encode_item(item)
    assert set(encoded) == {k for k, v in item.items() if v is not None}
    decoded = decode_item(encoded)
    _same(decoded, {k: v for k, v in item.items() if v is not None})


@pytest.mark.parametrize(("stored", "expected"), [
    ("1.5", Decimal("1.5")), ("-0.001", Decimal("-0.001")), ("12", 12), ("1.0", 1),
    ("1E+3", 1000), ("-7", -7),
])
def test_numbers_decode_to_int_only_when_integral(stored: str, expected: object) -> None:
    """A fractional number stays a Decimal, so an int field can refuse it."""
    decoded = decode_value({"N": stored})
    assert decoded == expected
    assert type(decoded) is type(expected)


@pytest.mark.parametrize("value", [1.5, 0.0, object(), {1, 2}])
def test_values_the_store_cannot_hold_exactly_are_refused(value: object) -> None:
    """Floats (inexact) and unknown types cannot be encoded at all."""
    with pytest.raises(TypeError):
        encode_value(value)


@pytest.mark.parametrize("raw", [{"X": "1"}, {"S": "a", "N": "1"}, "plain", {"N": 5}])
def test_unknown_shapes_decode_to_unreadable(raw: object) -> None:
    """A shape the codec does not know becomes a marker that no model field accepts."""
    decoded = decode_value(raw)
    assert isinstance(decoded, Unreadable)
    assert decoded != raw


def test_string_and_number_sets_decode_to_lists() -> None:
    assert decode_value({"SS": ["a", "b"]}) == ["a", "b"]
    assert decode_value({"NS": ["1", "2.5"]}) == [1, Decimal("2.5")]

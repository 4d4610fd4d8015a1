"""Conversion between DynamoDB attribute values and plain Python values.

Numbers come back as ``int`` only when integral; anything else stays a ``Decimal`` so
a strict model refuses it instead of silently rounding.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

__all__ = ["AttributeValue", "Item", "decode_item", "encode_item", "encode_value"]

AttributeValue = dict[str, Any]
Item = dict[str, AttributeValue]


def encode_value(value: object) -> AttributeValue:  # noqa: PLR0911 -- one branch per type
    """Encode one Python value as a DynamoDB attribute value."""
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int | Decimal):
        return {"N": str(value)}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, bytes):
        return {"B": value}
    if isinstance(value, list | tuple):
        return {"L": [encode_value(v) for v in value]}
    if isinstance(value, dict):
        return {"M": {str(k): encode_value(v) for k, v in value.items()}}
    raise TypeError(f"cannot store a {type(value).__name__}")


def encode_item(values: dict[str, object]) -> Item:
    """Encode a mapping of attribute names to values, dropping ``None``s."""
    return {k: encode_value(v) for k, v in values.items() if v is not None}


DYNAMODB_MAX_EXPONENT = 125


class Unreadable:
    """What an attribute value of no known shape decodes to: no item field accepts it."""

    def __init__(self, raw: object) -> None:
        self.raw = raw


def _decode_number(text: str) -> int | Decimal | Unreadable:
    """An int when integral, a Decimal otherwise; no number DynamoDB could hold (NaN,
    infinities, garbage) is Unreadable, so the item is refused as corrupt instead of
    the decoder raising."""
    try:
        number = Decimal(text)
    except InvalidOperation:
        return Unreadable(text)
    if not number.is_finite() or number.adjusted() > DYNAMODB_MAX_EXPONENT:
        return Unreadable(text)
    return int(number) if number == number.to_integral_value() else number


def decode_value(value: object) -> object:  # noqa: PLR0911 -- one branch per type
    """Decode one attribute value; an unknown shape decodes to :class:`Unreadable`, so
    validation fails on it whatever type the field wants."""
    if not isinstance(value, dict) or len(value) != 1:
        return Unreadable(value)
    ((kind, inner),) = value.items()
    if (kind, type(inner)) in (("S", str), ("BOOL", bool), ("B", bytes)):
        return inner
    if kind == "N" and isinstance(inner, str):
        return _decode_number(inner)
    if kind == "NULL":
        return None
    if kind == "L" and isinstance(inner, list):
        return [decode_value(v) for v in inner]
    if kind == "M" and isinstance(inner, dict):
        return {k: decode_value(v) for k, v in inner.items()}
    # DynamoDB holds no empty set; one here was not written by DynamoDB's rules.
    if kind == "SS" and isinstance(inner, list) and inner and all(
            isinstance(v, str) for v in inner):
        return list(inner)
    if kind == "NS" and isinstance(inner, list) and inner and all(
            isinstance(v, str) for v in inner):
        return [_decode_number(v) for v in inner]
    return Unreadable(value)


def decode_item(item: Mapping[str, Any]) -> dict[str, object]:
    """Decode a whole item into plain values ready for a Pydantic model."""
    return {k: decode_value(v) for k, v in item.items()}

"""Read capacity units of a DynamoDB read, by DynamoDB's published sizing rules.

moto answers ``ReturnConsumedCapacity`` with fixed figures (0.5 per ``GetItem`` whatever
the item's size or the consistency asked for, 1 per ``BatchGetItem`` item, 1 per
``Query``), so the benchmarks also work the units out as DynamoDB bills them:

- one unit reads up to 4 KB strongly consistently; an eventually consistent read costs
  half; a read of a missing item still costs the minimum;
- ``GetItem`` and each key of a ``BatchGetItem`` round their item up to 4 KB apiece;
  a ``Query`` rounds the sum of the items it read, once; an index is read eventually;
- the size is the whole stored item's: a ``ProjectionExpression`` trims the answer, not
  the bill, which is why the proxy sizes the full items (see :mod:`bench.dynamo_proxy`);
- an item's size is the UTF-8 length of its attribute names plus their values.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

__all__ = ["READS", "item_size", "query_units", "read_units"]

READS = frozenset({"GetItem", "BatchGetItem", "Query", "TransactGetItems"})
UNIT_BYTES = 4096


def _number_size(text: str) -> int:
    digits = Decimal(text).normalize().as_tuple().digits
    return (len(digits) + 1) // 2 + 1


def _binary_size(text: str) -> int:
    return math.ceil(len(text) * 3 / 4)  # base64 on the wire


_SCALARS = {
    "S": lambda v: len(v.encode()), "N": _number_size, "B": _binary_size,
    "BOOL": lambda _: 1, "NULL": lambda _: 1,
}
_SETS = {"SS": "S", "NS": "N", "BS": "B"}


def value_size(value: dict[str, Any]) -> int:
    """Bytes of one attribute value in DynamoDB's JSON form (``{"S": "x"}``)."""
    (kind, inner), = value.items()
    if kind in _SCALARS:
        return int(_SCALARS[kind](inner))
    if kind in _SETS:
        return sum(int(_SCALARS[_SETS[kind]](v)) for v in inner)
    if kind == "L":
        return 3 + sum(1 + value_size(v) for v in inner)
    if kind == "M":
        return 3 + sum(1 + len(k.encode()) + value_size(v) for k, v in inner.items())
    raise ValueError(f"unknown attribute type {kind}")


def item_size(item: dict[str, Any] | None) -> int:
    """Bytes of a stored item (0 when there is none)."""
    if not item:
        return 0
    return sum(len(name.encode()) + value_size(v) for name, v in item.items())


def read_units(size: int, *, consistent: bool) -> float:
    """Units of one item read (``GetItem``, one ``BatchGetItem`` key)."""
    units = max(1, math.ceil(size / UNIT_BYTES))
    return float(units if consistent else units / 2)


def query_units(sizes: list[int], *, consistent: bool) -> float:
    """Units of a ``Query`` that read items of ``sizes``."""
    units = max(1, math.ceil(sum(sizes) / UNIT_BYTES))
    return float(units if consistent else units / 2)

"""Careful readers of raw DynamoDB attributes: a missing or mistyped value is ``None``.

Safe code paths decide with these; a ``None`` where a value is needed is a deny.
"""

from __future__ import annotations

from typing import Any

__all__ = ["bool_attr", "int_attr", "list_attr", "str_attr"]


def _typed(item: dict[str, Any], name: str, kind: str) -> Any:
    value = item.get(name)
    if isinstance(value, dict) and len(value) == 1 and kind in value:
        return value[kind]
    return None


def str_attr(item: dict[str, Any], name: str) -> str | None:
    value = _typed(item, name, "S")
    return value if isinstance(value, str) else None


def bool_attr(item: dict[str, Any], name: str) -> bool | None:
    value = _typed(item, name, "BOOL")
    return value if isinstance(value, bool) else None


def int_attr(item: dict[str, Any], name: str) -> int | None:
    value = _typed(item, name, "N")
    if not isinstance(value, str) or not value.lstrip("-").isdigit():
        return None
    return int(value)


def list_attr(item: dict[str, Any], name: str) -> list[str] | None:
    """A list of strings stored as ``L`` of ``S``."""
    value = _typed(item, name, "L")
    if not isinstance(value, list):
        return None
    strings = [v.get("S") for v in value if isinstance(v, dict)]
    if len(strings) != len(value) or not all(isinstance(s, str) for s in strings):
        return None
    return [str(s) for s in strings]

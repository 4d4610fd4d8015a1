"""Valid values from JSON schemas: what the scanner sends in the fields of a registration
body that are neither the identifier nor the password.

A value is taken from the schema itself where it offers one (``const``, ``default``,
``enum``, ``examples``), else made to fit its type and constraints (lengths, bounds,
formats, a pattern tried against a few candidates), recursing into nested objects and
arrays. Fields that name the account (an email, a username, a password confirmation)
become the placeholders ``{email}``, ``{username}`` and ``{password}``, filled when the
body is sent; every other string is escaped for that filling.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

__all__ = ["JsonSchema", "is_email_field", "is_username_field", "required_values", "value_for"]

JsonSchema = dict[str, Any]
Resolve = Callable[[Any], Any]

USERNAME_NAMES = frozenset({"username", "user_name", "username_field", "login", "handle",
                            "nickname", "nick", "user", "userid", "user_id", "account",
                            "account_name", "screen_name", "name_id"})
# A required flag named like a privilege is sent false: the scanner's accounts must be
# ordinary ones, whatever a careless registration lets a client ask for.
PRIVILEGE_WORDS = ("admin", "superuser", "staff", "root", "privileg", "moderator")
FORMAT_VALUES = {
    "date": "2000-01-01", "date-time": "2000-01-01T00:00:00Z", "time": "12:00:00",
    "uuid": "6f1c3a52-8e0b-4d7e-9a43-2b1d5c7e9f10", "uri": "https://example.com/",
    "url": "https://example.com/", "hostname": "example.com", "ipv4": "192.0.2.1",
    "ipv6": "2001:db8::1", "byte": "ZGdzY2Fu", "binary": "dgscan",
}
NAMED_VALUES = (("phone", "+14155550123"), ("country", "US"), ("lang", "en"),
                ("locale", "en"), ("currency", "USD"), ("zip", "94105"), ("postal", "94105"),
                ("url", "https://example.com/"), ("website", "https://example.com/"),
                ("color", "#336699"), ("timezone", "UTC"))
PATTERN_CANDIDATES = ("dgscan", "Dgscan1", "dgscan1", "DGSCAN", "dgscan-1", "dgscan_1",
                      "1", "12345", "a", "A", "ab", "aB3$dgscan", "2000-01-01", "US", "en",
                      "+14155550123", "https://example.com/", "dgscan@example.com")
MAX_DEPTH = 6


def _words(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def is_email_field(name: str, schema: JsonSchema) -> bool:
    """Does this field hold an email address (its format, name, example or pattern)?"""
    if schema.get("format") in ("email", "idn-email"):
        return True
    examples = [*schema.get("examples", []), schema.get("example")]
    if any(isinstance(e, str) and re.fullmatch(r"[^@\s]+@[^@\s]+\.\w+", e) for e in examples):
        return True
    return "mail" in _words(name) or "@" in str(schema.get("pattern", ""))


def is_username_field(name: str, schema: JsonSchema) -> bool:
    """Does this field name the account without being an email address?"""
    return _words(name) in USERNAME_NAMES and not is_email_field(name, schema)


def _escape(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("{", "{{").replace("}", "}}")
    if isinstance(value, list):
        return [_escape(v) for v in value]
    if isinstance(value, dict):
        return {k: _escape(v) for k, v in value.items()}
    return value


def _merged(schema: JsonSchema, resolve: Resolve) -> JsonSchema:
    """The schema with its ``$ref`` resolved, its ``allOf`` merged and a nullable union
    reduced to its first non-null alternative."""
    schema = resolve(schema) if isinstance(schema, dict) else {}
    for key in ("anyOf", "oneOf"):
        options = [resolve(o) for o in schema.get(key, [])]
        real = [o for o in options if isinstance(o, dict) and o.get("type") != "null"]
        if real:
            rest = {k: v for k, v in schema.items() if k != key}
            schema = {**_merged(real[0], resolve), **rest}
    if schema.get("allOf"):
        merged: JsonSchema = {k: v for k, v in schema.items() if k != "allOf"}
        for raw in schema["allOf"]:
            part = _merged(raw, resolve)
            merged["properties"] = {**merged.get("properties", {}),
                                    **part.get("properties", {})}
            merged["required"] = [*merged.get("required", []), *part.get("required", [])]
            merged.update({k: v for k, v in part.items() if k not in ("properties", "required")})
        schema = merged
    kind = schema.get("type")
    if isinstance(kind, list):
        schema = {**schema, "type": next((k for k in kind if k != "null"), "null")}
    return schema


def _fits(value: str, schema: JsonSchema) -> bool:
    if len(value) < int(schema.get("minLength", 0)):
        return False
    if "maxLength" in schema and len(value) > int(schema["maxLength"]):
        return False
    pattern = schema.get("pattern")
    if pattern:
        try:
            return re.search(str(pattern), value) is not None
        except re.error:
            return True  # a dialect Python cannot read: the target will judge
    return True


def _string(name: str, schema: JsonSchema) -> str:
    low = _words(name)
    named = next((v for word, v in NAMED_VALUES if word in low), None)
    base = FORMAT_VALUES.get(str(schema.get("format")), named or "dgscan")
    if _fits(base, schema):
        return base
    for candidate in PATTERN_CANDIDATES:
        if _fits(candidate, schema):
            return candidate
    low_len, high = int(schema.get("minLength", 0)), schema.get("maxLength")
    padded = (base + "x" * max(0, low_len - len(base)))
    return padded[:int(high)] if high is not None else padded


def _bounds(schema: JsonSchema, side: str) -> tuple[float | None, bool]:
    """A bound (``"minimum"`` or ``"maximum"``) and whether it is exclusive, in either
    JSON Schema's form or OpenAPI 3.0's (``exclusiveMinimum: true`` beside ``minimum``)."""
    exclusive = schema.get("exclusive" + side.capitalize())
    if isinstance(exclusive, bool):
        value = schema.get(side)
        return (float(value), exclusive) if value is not None else (None, False)
    if exclusive is not None:
        return float(exclusive), True
    value = schema.get(side)
    return (float(value), False) if value is not None else (None, False)


def _number(schema: JsonSchema, integer: bool) -> int | float:
    low, low_open = _bounds(schema, "minimum")
    high, high_open = _bounds(schema, "maximum")
    step = float(schema.get("multipleOf") or (1 if integer else 0))

    def fits(value: float) -> bool:
        return ((low is None or value > low or (value == low and not low_open))
                and (high is None or value < high or (value == high and not high_open)))

    candidates = [1.0]
    if low is not None:
        candidates.append(low + (step or 1) if low_open else low)
    if high is not None:
        candidates.append(high - (step or 1) if high_open else high)
    if low is not None and high is not None:
        candidates.append((low + high) / 2)
    for candidate in candidates:
        value = math.ceil(candidate / step) * step if step else candidate
        if fits(value):
            return int(value) if integer else value
    return int(candidates[-1]) if integer else candidates[-1]


def _placeholder(name: str, schema: JsonSchema) -> str | None:
    """``{email}``, ``{password}`` or ``{username}`` for a string naming the account."""
    if schema.get("type", "string") != "string" or schema.get("enum"):
        return None
    words = _words(name)
    if is_email_field(name, schema):
        return "{email}"
    if "password" in words or "passwd" in words:
        return "{password}"
    return "{username}" if is_username_field(name, schema) else None


_NOTHING = object()


def _offered(schema: JsonSchema) -> Any:
    """The value the schema itself offers (``const``, ``default``, ``enum``, a fitting
    example), else ``_NOTHING``."""
    if "const" in schema:
        return schema["const"]
    if schema.get("default") is not None:
        return schema["default"]
    if schema.get("enum"):
        return next((e for e in schema["enum"] if e is not None), schema["enum"][0])
    for example in [*schema.get("examples", []), schema.get("example")]:
        if example is not None and (not isinstance(example, str) or _fits(example, schema)):
            return example
    return _NOTHING


def value_for(name: str, schema: JsonSchema, resolve: Resolve = lambda s: s,  # noqa: PLR0911 -- one return per JSON type
              depth: int = 0) -> Any:
    """A value for field ``name`` that satisfies ``schema``; placeholders for the fields
    that name the account, escaped strings for the rest."""
    schema = _merged(schema, resolve)
    placeholder = _placeholder(name, schema)
    if placeholder is not None:
        return placeholder
    offered = _offered(schema)
    if offered is not _NOTHING:
        return _escape(offered)
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        return required_values(schema, resolve, depth + 1) if depth < MAX_DEPTH else {}
    if kind == "array":
        item = schema.get("items", {})
        return [value_for(name, item, resolve, depth + 1)
                for _ in range(int(schema.get("minItems", 0)))] if depth < MAX_DEPTH else []
    if kind in ("integer", "number"):
        return _number(schema, kind == "integer")
    if kind == "boolean":
        return not any(word in _words(name) for word in PRIVILEGE_WORDS)
    if kind == "null":
        return None
    return _escape(_string(name, schema))


def required_values(schema: JsonSchema, resolve: Resolve = lambda s: s,
                    depth: int = 0) -> dict[str, Any]:
    """A value for every required property of an object schema."""
    schema = _merged(schema, resolve)
    props = schema.get("properties", {})
    return {name: value_for(name, props.get(name, {}), resolve, depth)
            for name in schema.get("required", []) if isinstance(name, str)}

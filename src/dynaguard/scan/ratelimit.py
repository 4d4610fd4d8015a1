"""How many more requests a target says it accepts, from its rate-limit header fields.

Three forms are read:

* the IETF draft's structured pair (draft-ietf-httpapi-ratelimit-headers, -07 on):
  ``RateLimit: "name";r=12;t=540`` and ``RateLimit-Policy: "name";q=30;w=600``, lists of
  items that may name several policies;
* the earlier drafts' ``RateLimit-Remaining`` / ``RateLimit-Limit`` / ``RateLimit-Reset``
  (delta seconds);
* the de-facto ``X-RateLimit-Remaining`` / ``X-RateLimit-Limit`` / ``X-RateLimit-Reset``,
  whose reset is delta seconds or, as some services send it, an epoch time.

Whatever a target sends is data, never trusted to be well formed: a value that does not
parse is ignored, and nothing here raises on it. When several policies or forms are
present, the one with the fewest requests left is the one that counts.
"""

from __future__ import annotations

import math
import re
import time
from collections import UserString
from collections.abc import Mapping
from dataclasses import dataclass

import httpx
from http_sf import parse

__all__ = ["RateBudget", "remaining_budget"]

# Reset values at least this large are epoch times (seconds, or milliseconds beyond the
# second bound), not delays: no window lasts thirty years.
_EPOCH_S = 1_000_000_000
_EPOCH_MS = 1_000_000_000_000
_INTEGER = re.compile(r"\s*(\d{1,15})\s*")
# The earlier drafts let the limit field go on with a policy list ("10, 10;w=1").
_LEADING_INTEGER = re.compile(r"\s*(\d{1,15})\s*(?:[;,].*)?", re.S)
_NUMBER = re.compile(r"\s*(\d{1,15})(?:\.\d{1,9})?\s*")
_LEGACY = (("RateLimit-Remaining", "RateLimit-Limit", "RateLimit-Reset"),
           ("X-RateLimit-Remaining", "X-RateLimit-Limit", "X-RateLimit-Reset"))


@dataclass(frozen=True)
class RateBudget:
    """Requests a target still accepts under one of its policies, as it advertised."""

    remaining: int
    field: str
    reset_s: int | None = None
    quota: int | None = None
    window_s: int | None = None
    policy: str | None = None

    def describe(self) -> str:
        """E.g. ``12 more requests for 540 s (RateLimit header, policy "address": 30 per
        600 s)``."""
        within = f" for {self.reset_s} s" if self.reset_s is not None else ""
        source = f"{self.field} header"
        if self.policy:
            source += f', policy "{self.policy}"'
        if self.quota is not None:
            per = f" per {self.window_s} s" if self.window_s is not None else ""
            source += f": {self.quota}{per}" if self.policy else f"; limit {self.quota}{per}"
        return f"{self.remaining} more requests{within} ({source})"


def remaining_budget(headers: httpx.Headers | Mapping[str, str],
                     now: float | None = None) -> RateBudget | None:
    """The smallest budget any rate-limit field of ``headers`` advertises, or None."""
    fields = headers if isinstance(headers, httpx.Headers) else httpx.Headers(headers)
    budgets = [*_structured(fields), *_legacy(fields, time.time() if now is None else now)]
    return min(budgets, key=lambda b: b.remaining, default=None)


def _sf_list(headers: httpx.Headers, name: str) -> list[tuple[str, dict[str, object]]]:
    """The (name, parameters) members of a structured-field list split over any number of
    field lines; a field that does not parse is ignored whole, as RFC 9651 says."""
    lines = headers.get_list(name)
    if not lines:
        return []
    try:
        parsed: object = parse(", ".join(lines).encode("latin-1"), tltype="list")
    except ValueError:  # StructuredFieldError, or a value that is not latin-1 text
        return []
    members = []
    for member in parsed if isinstance(parsed, list) else []:
        if not isinstance(member, tuple) or len(member) != 2:
            continue
        value, params = member
        if isinstance(value, str | UserString) and isinstance(params, dict):
            members.append((str(value), dict(params)))
    return members


def _count(value: object) -> int | None:
    """A non-negative Integer parameter (a boolean is not one)."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return None


def _structured(headers: httpx.Headers) -> list[RateBudget]:
    policies: dict[str, dict[str, object]] = {}
    for name, params in _sf_list(headers, "RateLimit-Policy"):
        policies.setdefault(name, params)
    budgets = []
    for name, params in _sf_list(headers, "RateLimit"):
        remaining = _count(params.get("r"))
        if remaining is None:
            continue
        policy = policies.get(name, {})
        window = _count(policy.get("w"))
        budgets.append(RateBudget(remaining, "RateLimit", reset_s=_count(params.get("t")),
                                  quota=_count(policy.get("q")), window_s=window or None,
                                  policy=name or None))
    return budgets


def _legacy(headers: httpx.Headers, now: float) -> list[RateBudget]:
    budgets = []
    for remaining_name, limit_name, reset_name in _LEGACY:
        # Each field line alone: a proxy may repeat a field, and a joined "5, 3" is no count.
        counts = [_integer(line, _INTEGER) for line in headers.get_list(remaining_name)]
        if not counts:
            continue
        limits = [_integer(line, _LEADING_INTEGER) for line in headers.get_list(limit_name)]
        resets = [_reset(line, now) for line in headers.get_list(reset_name)]
        limit = limits[0] if len(limits) == 1 else None
        reset = resets[0] if len(resets) == 1 else None
        budgets += [RateBudget(count, remaining_name, quota=limit, reset_s=reset)
                    for count in counts if count is not None]
    return budgets


def _integer(value: str | None, pattern: re.Pattern[str]) -> int | None:
    match = pattern.fullmatch(value) if value is not None else None
    return int(match.group(1)) if match is not None else None


def _reset(value: str | None, now: float) -> int | None:
    """Seconds until the budget is restored: a delay, or an epoch time turned into one."""
    if value is None or _NUMBER.fullmatch(value) is None:
        return None
    number = float(value)
    if number >= _EPOCH_MS:
        number = number / 1000 - now
    elif number >= _EPOCH_S:
        number -= now
    return max(0, math.ceil(number))

"""How guessable a set of secret tokens is, judged from a few samples of the same kind.

A black-box estimate, never a proof of strength: the alphabet the samples use and their
length bound the entropy from above; characters every sample shares (a timestamp prefix)
carry none; tokens repeated between requests, numbers in sequence, or a hash of the
account's identifier and the time of the request are predictable whatever their length.
"""

from __future__ import annotations

import hashlib
import math
import string
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from itertools import pairwise
from typing import Any

__all__ = ["MIN_BITS", "TokenStrength", "assess_tokens"]

MIN_BITS = 64
"""Below this many bits a token can be guessed online or offline (OWASP ASVS V2.5 / V3.2
ask for at least 64 bits from a CSPRNG; dynaguard issues 256)."""

_ALPHABETS: tuple[tuple[str, frozenset[str]], ...] = (
    ("decimal digits", frozenset(string.digits)),
    ("lowercase hex", frozenset("0123456789abcdef")),
    ("uppercase hex", frozenset("0123456789ABCDEF")),
    ("lowercase letters and digits", frozenset(string.ascii_lowercase + string.digits)),
    ("uppercase letters and digits", frozenset(string.ascii_uppercase + string.digits)),
    ("letters and digits", frozenset(string.ascii_letters + string.digits)),
    ("base64url", frozenset(string.ascii_letters + string.digits + "-_=")),
    ("base64", frozenset(string.ascii_letters + string.digits + "+/=")),
)
_HASHES = ("md5", "sha1", "sha256")
SEQUENCE_GAP = 1000
CLOCK_SLACK_S = 2


@dataclass(frozen=True)
class TokenStrength:
    """What the samples show; ``weaknesses`` is empty when nothing speaks against them."""

    samples: int
    length: int
    alphabet: str
    alphabet_size: int
    distinct_characters: int
    shared_prefix: int
    estimated_bits: float
    weaknesses: tuple[str, ...]
    derivation: str | None = None

    @property
    def predictable(self) -> bool:
        """Guessable without brute force: repeated, sequential or derived."""
        return self.derivation is not None or any(
            w.startswith(("repeated", "sequential")) for w in self.weaknesses)

    def evidence(self) -> dict[str, Any]:
        data = asdict(self)
        data["estimated_bits"] = round(self.estimated_bits, 1)
        data["weaknesses"] = list(self.weaknesses)
        return data


def _alphabet(tokens: Sequence[str]) -> tuple[str, int]:
    used = set("".join(tokens))
    for name, chars in _ALPHABETS:
        if used <= chars:
            return name, len(chars) - (1 if "=" in chars else 0)
    return "printable characters", 94


def _shared_prefix(tokens: Sequence[str]) -> int:
    if len(set(tokens)) < 2:
        return 0
    count = 0
    for chars in zip(*tokens, strict=False):
        if len(set(chars)) > 1:
            break
        count += 1
    return count


def _as_numbers(tokens: Sequence[str], alphabet: str) -> list[int] | None:
    base = 10 if alphabet == "decimal digits" else 16 if "hex" in alphabet else 0
    if not base:
        return None
    return [int(token, base) for token in tokens]


def _derivation(tokens: Sequence[str], identifier: str, window: tuple[float, float]) -> str | None:
    """A common home-made recipe that reproduces a sample: a hash of the identifier and
    the epoch second of the request, cut to the token's length."""
    moments = range(int(window[0]) - CLOCK_SLACK_S, int(window[1]) + CLOCK_SLACK_S + 1)
    recipes = [("{id}", None)] + [(pattern, t) for t in moments for pattern in
                                  ("{id}:{t}", "{id}{t}", "{t}:{id}", "{t}{id}", "{t}")]
    wanted = {token.lower() for token in tokens if len(token) >= 6}
    for name in _HASHES:
        for pattern, moment in recipes:
            material = pattern.format(id=identifier, t=moment)
            digest = hashlib.new(name, material.encode(), usedforsecurity=False).hexdigest()
            if any(digest.startswith(token) for token in wanted):
                return f"{name}({pattern.replace('{id}', 'identifier').replace('{t}', 'epoch')})"
    return None


def assess_tokens(tokens: Sequence[str], identifier: str,
                  window: tuple[float, float]) -> TokenStrength:
    """Judge ``tokens`` (issued to ``identifier`` between the epoch seconds of ``window``)."""
    if not tokens:
        raise ValueError("no tokens to assess")
    alphabet, size = _alphabet(tokens)
    length = min(len(token) for token in tokens)
    prefix = _shared_prefix(tokens)
    bits = max(0, length - prefix) * math.log2(size)
    weaknesses: list[str] = []
    if len(set(tokens)) < len(tokens):
        weaknesses.append("repeated: separate requests were given the same token")
    numbers = _as_numbers(tokens, alphabet)
    if numbers is not None and len(set(numbers)) > 1:
        ordered = sorted(set(numbers))
        if all(b - a <= SEQUENCE_GAP for a, b in pairwise(ordered)):
            weaknesses.append(f"sequential: the tokens differ by at most {SEQUENCE_GAP}")
    derivation = _derivation(tokens, identifier, window)
    if derivation is not None:
        weaknesses.append(f"derived: the token is {derivation}")
    if bits < MIN_BITS:
        weaknesses.append(f"short: about {bits:.0f} bits, under {MIN_BITS}")
    distinct = len(set("".join(tokens)))
    return TokenStrength(len(tokens), length, alphabet, size, distinct, prefix, bits,
                         tuple(weaknesses), derivation)

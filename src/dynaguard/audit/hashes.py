"""What a stored password value is: its format, and whether its cost is enough.

Thresholds are the OWASP Password Storage Cheat Sheet's minimums: Argon2id one of
m=47104/t=1, m=19456/t=2, m=12288/t=3, m=9216/t=4, m=7168/t=5 (KiB, p=1); bcrypt cost 10;
PBKDF2 600 000 iterations with HMAC-SHA-256, 1 300 000 with SHA-1, 210 000 with SHA-512;
scrypt N=2^17/r=8/p=1 or an equivalent (2^16/8/2, 2^15/8/3, 2^14/8/5, 2^13/8/10).
Fast digests (one round, or md5-crypt / sha-crypt rounds, which are not memory-hard) are
"fast"; sha-crypt with 500 000 rounds or more only "weak".
Nothing here keeps or returns a whole hash: :attr:`Verdict.shown` is the format's
parameters and at most a few characters of the value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

__all__ = ["Strength", "Verdict", "assess"]


class Strength(StrEnum):
    PLAINTEXT = "plaintext"  # CWE-256
    UNSALTED = "unsalted"  # a fast digest with no salt: CWE-759 and CWE-916
    FAST = "fast"  # a fast digest, salted: CWE-916
    WEAK_COST = "weak-cost"  # a password hash, but cheaper than the minimum: CWE-916
    VERY_WEAK_COST = "very-weak-cost"  # far cheaper than the minimum
    UNKNOWN = "unknown"  # a structured value of a format we do not know
    STRONG = "strong"


@dataclass(frozen=True)
class Verdict:
    format: str
    strength: Strength
    shown: str
    """What may be printed: the format and its parameters, never the salt or the digest."""
    detail: str = ""


ARGON2_MINIMUMS = ((47_104, 1), (19_456, 2), (12_288, 3), (9_216, 4), (7_168, 5))
BCRYPT_MIN_COST = 10
PBKDF2_MINIMUMS = {"sha1": 1_300_000, "sha256": 600_000, "sha512": 210_000}
SCRYPT_MINIMUMS = ((2**17, 1), (2**16, 2), (2**15, 3), (2**14, 5), (2**13, 10))
SCRYPT_MIN_R = 8
# Below a tenth of the minimum work a hash is hardly a hash: rated "very weak".
VERY_WEAK_FACTOR = 10
HEX_DIGESTS = {32: "MD5", 40: "SHA-1", 56: "SHA-224", 64: "SHA-256", 96: "SHA-384",
               128: "SHA-512"}
RAW_DIGESTS = {16: "MD5", 20: "SHA-1", 28: "SHA-224", 32: "SHA-256", 48: "SHA-384",
               64: "SHA-512"}

_ARGON2 = re.compile(r"\$(argon2(?:id|i|d))\$(?:v=\d+\$)?m=(\d+),t=(\d+),p=(\d+)\$")
_BCRYPT = re.compile(r"\$2[abxy]?\$(\d{1,2})\$[./A-Za-z0-9]{53}")
_BCRYPT_SHA256 = re.compile(r"\$bcrypt-sha256\$(?:v=\d,)?(?:t=2[abxy],)?r=(\d{1,2})\$")
_PBKDF2 = re.compile(
    r"^(?:\$pbkdf2(?:-(sha\d+))?\$(\d+)\$"  # passlib: $pbkdf2-sha256$29000$salt$hash
    r"|pbkdf2_(sha\d+)\$(\d+)\$"  # Django: pbkdf2_sha256$600000$salt$hash
    r"|pbkdf2:(sha\d+)(?::(\d+))?\$)"  # Werkzeug: pbkdf2:sha256:600000$salt$hash
)
_SCRYPT_PASSLIB = re.compile(r"^\$scrypt\$ln=(\d+),r=(\d+),p=(\d+)\$")
_SCRYPT_WERKZEUG = re.compile(r"^scrypt:(\d+):(\d+):(\d+)\$")
_SCRYPT_DJANGO = re.compile(r"^scrypt\$(\d+)\$[^$]+\$(\d+)\$(\d+)\$")
_SCRYPT_MCF = re.compile(r"^\$7\$([./0-9A-Za-z])([./0-9A-Za-z]{5})([./0-9A-Za-z]{5})")
_SHACRYPT = re.compile(r"^\$([56])\$(?:rounds=(\d+)\$)?")
_MD5CRYPT = re.compile(r"^\$(?:1|apr1)\$")
_LDAP = re.compile(r"^\{(SSHA512|SSHA256|SSHA|SMD5|SHA512|SHA384|SHA256|SHA|MD5)\}",
                   re.IGNORECASE)
SHACRYPT_STRONG_ROUNDS = 500_000
_DJANGO_FAST = re.compile(r"^(unsalted_md5|unsalted_sha1|md5|sha1|crypt)\$([^$]*)\$")
_MYSQL41 = re.compile(r"^\*[0-9A-Fa-f]{40}$")
UNPADDED_MIN_BYTES = 32
_HEX = re.compile(r"^[0-9A-Fa-f]+$")
_B64 = re.compile(r"^[A-Za-z0-9+/_-]+={0,2}$")
_ITOA64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _cost(fmt: str, shown: str, work: float, minimum: float, detail: str) -> Verdict:
    if work >= minimum:
        return Verdict(fmt, Strength.STRONG, shown, detail)
    weak = Strength.VERY_WEAK_COST if work * VERY_WEAK_FACTOR < minimum else Strength.WEAK_COST
    return Verdict(fmt, weak, shown, detail)


def _argon2(match: re.Match[str]) -> Verdict:
    variant, memory, time_cost, lanes = match[1], int(match[2]), int(match[3]), int(match[4])
    shown = f"${variant}$m={memory},t={time_cost},p={lanes}$…"
    # Equal defence at each OWASP point: compare memory x passes with the cheapest one
    # this hash's pass count reaches, so m=64 MiB/t=1 passes and m=8 KiB/t=1 does not.
    meets = any(memory >= m and time_cost >= t for m, t in ARGON2_MINIMUMS)
    work = memory * time_cost
    cheapest = min(m * t for m, t in ARGON2_MINIMUMS)
    if meets:
        return Verdict(variant, Strength.STRONG, shown)
    weak = Strength.VERY_WEAK_COST if work * VERY_WEAK_FACTOR < cheapest else Strength.WEAK_COST
    return Verdict(variant, weak, shown,
                   f"memory {memory} KiB, {time_cost} passes: under the OWASP minimum "
                   "(19456 KiB with 2 passes, or an equivalent)")


def _pbkdf2(match: re.Match[str]) -> Verdict:
    groups = list(match.groups())
    digest = (groups[0] or groups[2] or groups[4] or "sha1").lower()
    iterations_text = groups[1] or groups[3] or groups[5]
    minimum = PBKDF2_MINIMUMS.get(digest, PBKDF2_MINIMUMS["sha256"])
    fmt = f"pbkdf2-{digest}"
    if iterations_text is None:
        return Verdict(fmt, Strength.UNKNOWN, f"{match[0]}…",
                       "no iteration count in the value: the library default applies")
    iterations = int(iterations_text)
    return _cost(fmt, f"{fmt} {iterations} iterations", iterations, minimum,
                 f"{iterations} iterations; OWASP asks at least {minimum} for {digest}")


def _scrypt(n: int, r: int, p: int) -> Verdict:
    shown = f"scrypt N={n},r={r},p={p}"
    if any(n * r >= mn * SCRYPT_MIN_R and p >= mp for mn, mp in SCRYPT_MINIMUMS):
        return Verdict("scrypt", Strength.STRONG, shown)
    cheapest = min(mn * SCRYPT_MIN_R * mp for mn, mp in SCRYPT_MINIMUMS)
    weak = (Strength.VERY_WEAK_COST if n * r * p * VERY_WEAK_FACTOR < cheapest
            else Strength.WEAK_COST)
    return Verdict("scrypt", weak, shown, f"N={n}, r={r}, p={p}: under the OWASP minimum "
                   "(N=2^17, r=8, p=1 or an equivalent)")


def _itoa_int(text: str) -> int:
    return sum(_ITOA64.index(c) << (6 * i) for i, c in enumerate(text))


def _structured(value: str) -> Verdict | None:  # noqa: PLR0911 -- one return per format
    if match := _ARGON2.search(value):
        return _argon2(match)
    if match := _BCRYPT_SHA256.search(value):
        cost = int(match[1])
        return _cost("bcrypt-sha256", f"$bcrypt-sha256$r={cost}$…", 2**cost,
                     2**BCRYPT_MIN_COST, f"cost {cost}; OWASP asks at least {BCRYPT_MIN_COST}")
    if match := _BCRYPT.search(value):
        cost = int(match[1])
        prefix = value[match.start():match.start() + 7]
        return _cost("bcrypt", f"{prefix}…", 2**cost, 2**BCRYPT_MIN_COST,
                     f"cost {cost}; OWASP asks at least {BCRYPT_MIN_COST}")
    if match := _PBKDF2.match(value):
        return _pbkdf2(match)
    if match := _SCRYPT_PASSLIB.match(value):
        return _scrypt(2 ** int(match[1]), int(match[2]), int(match[3]))
    if match := (_SCRYPT_WERKZEUG.match(value) or _SCRYPT_DJANGO.match(value)):
        return _scrypt(int(match[1]), int(match[2]), int(match[3]))
    if match := _SCRYPT_MCF.match(value):
        return _scrypt(2 ** _ITOA64.index(match[1]), _itoa_int(match[2]),
                       _itoa_int(match[3]))
    if match := _SHACRYPT.match(value):
        name = "sha256-crypt" if match[1] == "5" else "sha512-crypt"
        rounds = int(match[2] or 5000)
        strength = Strength.WEAK_COST if rounds >= SHACRYPT_STRONG_ROUNDS else Strength.FAST
        return Verdict(name, strength, f"${match[1]}$rounds={rounds}$…",
                       f"{rounds} rounds of a fast hash: not a memory-hard password hash")
    if _MD5CRYPT.match(value):
        return Verdict("md5-crypt", Strength.FAST, value[:value.index("$", 1) + 1] + "…",
                       "1000 rounds of MD5")
    return _legacy(value)


def _legacy(value: str) -> Verdict | None:
    if match := _LDAP.match(value):
        scheme = match[1].upper()
        salted = scheme in ("SSHA", "SSHA256", "SSHA512", "SMD5")
        return Verdict(f"ldap-{scheme.lower()}", Strength.FAST if salted else Strength.UNSALTED,
                       f"{{{match[1]}}}…", "one round of a fast digest")
    if match := _DJANGO_FAST.match(value):
        name = match[1]
        unsalted = name.startswith("unsalted") or not match[2]
        return Verdict(f"django-{name}", Strength.UNSALTED if unsalted else Strength.FAST,
                       f"{name}$…", "one round of a fast digest")
    if _MYSQL41.match(value):
        return Verdict("mysql41", Strength.UNSALTED, "*" + value[1:5] + "…",
                       "SHA-1 of SHA-1, no salt")
    return None


def _bare_digest(value: str) -> Verdict | None:
    if _HEX.match(value) and len(value) in HEX_DIGESTS:
        name = HEX_DIGESTS[len(value)]
        return Verdict(f"hex-{name.lower()}", Strength.UNSALTED,
                       f"{name} hex digest {value[:4]}… ({len(value)} hex)",
                       "a bare digest: no salt, no work factor")
    if _B64.match(value):
        raw = (len(value.rstrip("=")) * 6) // 8
        padded = value.endswith("=")
        mixed = (any(c.isupper() for c in value) and any(c.islower() for c in value)
                 and any(c.isdigit() for c in value))
        # Unpadded, a 22- or 27-character value may as well be a passphrase: only digests
        # of 32 bytes or more are recognised without their padding.
        if raw in RAW_DIGESTS and (padded or (mixed and raw >= UNPADDED_MIN_BYTES)):
            name = RAW_DIGESTS[raw]
            return Verdict(f"base64-{name.lower()}", Strength.UNSALTED,
                           f"{name} base64 digest {value[:4]}… ({len(value)} chars)",
                           "a bare digest: no salt, no work factor")
    return None


def assess(value: str) -> Verdict:
    """The format and strength of one stored password value."""
    found = _structured(value) or _bare_digest(value)
    if found is not None:
        return found
    if value.startswith(("$", "{")) or value.count("$") >= 2:
        # Nothing of the value itself is shown: a plaintext password such as
        # "$summer2024$" looks just like an unknown scheme's "$name$".
        fields = value.count("$") + value.count("{")
        return Verdict("unrecognised", Strength.UNKNOWN,
                       f"({len(value)} chars, {fields} separators, not shown)",
                       "a structured value of a format the audit does not know")
    return Verdict("plaintext", Strength.PLAINTEXT, f"({len(value)} characters, not shown)",
                   "not any known hash format: the password itself")

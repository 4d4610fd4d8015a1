"""Where each weakness sits in CWE, OWASP API Security Top 10 (2023) and SOC 2 (TSC 2017)."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["CWE_NAMES", "owasp_for", "soc2_for"]

CWE_NAMES = {
    204: "Observable Response Discrepancy",
    208: "Observable Timing Discrepancy",
    209: "Generation of Error Message Containing Sensitive Information",
    287: "Improper Authentication",
    306: "Missing Authentication for Critical Function",
    307: "Improper Restriction of Excessive Authentication Attempts",
    308: "Use of Single-factor Authentication",
    309: "Use of Password System for Primary Authentication",
    330: "Use of Insufficiently Random Values",
    347: "Improper Verification of Cryptographic Signature",
    384: "Session Fixation",
    521: "Weak Password Requirements",
    613: "Insufficient Session Expiration",
    639: "Authorization Bypass Through User-Controlled Key",
    640: "Weak Password Recovery Mechanism for Forgotten Password",
    863: "Incorrect Authorization",
    285: "Improper Authorization",
    614: "Sensitive Cookie in HTTPS Session Without 'Secure' Attribute",
    942: "Permissive Cross-domain Policy with Untrusted Domains",
    1004: "Sensitive Cookie Without 'HttpOnly' Flag",
    1275: "Sensitive Cookie with Improper SameSite Attribute",
    # Weaknesses `dynaguard audit` finds in stored data.
    20: "Improper Input Validation",
    256: "Plaintext Storage of a Password",
    312: "Cleartext Storage of Sensitive Information",
    522: "Insufficiently Protected Credentials",
    759: "Use of a One-Way Hash without a Salt",
    916: "Use of Password Hash With Insufficient Computational Effort",
    1188: "Initialization of a Resource with an Insecure Default",
}

_OWASP = {
    204: ("API2:2023",), 208: ("API2:2023",), 209: ("API8:2023",), 287: ("API2:2023",),
    306: ("API2:2023", "API5:2023"), 307: ("API2:2023", "API4:2023"), 308: ("API2:2023",),
    309: ("API2:2023",), 347: ("API2:2023",), 384: ("API2:2023",), 521: ("API2:2023",),
    613: ("API2:2023",), 639: ("API1:2023",), 640: ("API2:2023",), 863: ("API5:2023",),
    330: ("API2:2023",),
    285: ("API5:2023",), 614: ("API8:2023",), 942: ("API8:2023",), 1004: ("API8:2023",),
    1275: ("API8:2023",),
}

# CC6.1 logical access security; CC6.2 credentials issued and removed; CC6.3 access by role;
# CC6.6 protection against threats from outside the system boundary; CC6.7 information
# protected in transmission; CC7.2 monitoring.
_SOC2 = {
    204: ("CC6.1",), 208: ("CC6.1",), 209: ("CC7.2",), 287: ("CC6.1",), 306: ("CC6.1", "CC6.3"),
    307: ("CC6.1", "CC6.6"), 308: ("CC6.1",), 309: ("CC6.1",), 347: ("CC6.1",),
    384: ("CC6.1",), 521: ("CC6.1",), 613: ("CC6.1", "CC6.2"), 639: ("CC6.3",),
    640: ("CC6.1", "CC6.2"), 863: ("CC6.3",),
    330: ("CC6.1",),
    285: ("CC6.3",), 614: ("CC6.7",), 942: ("CC6.1", "CC6.6"), 1004: ("CC6.1",),
    1275: ("CC6.1", "CC6.6"),
}


def _collect(table: dict[int, tuple[str, ...]], cwes: Iterable[int]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for cwe in cwes:
        for item in table.get(cwe, ()):
            seen[item] = None
    return tuple(seen)


def owasp_for(cwes: Iterable[int]) -> tuple[str, ...]:
    """OWASP API Top 10 2023 categories of these CWEs, in first-seen order."""
    return _collect(_OWASP, cwes)


def soc2_for(cwes: Iterable[int]) -> tuple[str, ...]:
    """SOC 2 common criteria these CWEs bear on."""
    return _collect(_SOC2, cwes)

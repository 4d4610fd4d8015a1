"""Where a sign-in may send the browser afterwards (``return_to``), without an open
redirect (CWE-601).

Security-sensitive: a path of this service is allowed (one leading slash, never ``//`` or a
backslash, which browsers read as another host); an absolute URL only when its origin
equals an allow-listed entry's and its path lies under that entry's path. Anything else is
dropped for the account page.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

__all__ = ["allowed_origins", "safe_return_to"]

MAX_LENGTH = 2048


def _clean(value: str) -> bool:
    return 0 < len(value) <= MAX_LENGTH and value.isprintable() and "\\" not in value \
        and not any(c.isspace() for c in value)


def safe_return_to(value: str | None, allowed: Sequence[str]) -> str | None:
    """``value`` when it may be followed, else None."""
    if value is None or not _clean(value):
        return None
    if value.startswith("/") and not value.startswith("//"):
        return value
    try:
        target = urlsplit(value)
    except ValueError:
        return None
    if target.scheme not in ("https", "http") or not target.netloc or "@" in target.netloc:
        return None
    for entry in allowed:
        base = urlsplit(entry)
        same_origin = (target.scheme, target.netloc.lower()) == (base.scheme,
                                                                   base.netloc.lower())
        prefix = base.path if base.path.endswith("/") else base.path + "/"
        if same_origin and (target.path == base.path or target.path.startswith(prefix)
                            or not base.path.strip("/")):
            return value
    return None


def allowed_origins(allowed: Sequence[str]) -> list[str]:
    """The origins of the allow-list, for the pages' ``form-action``."""
    origins = []
    for entry in allowed:
        parts = urlsplit(entry)
        origins.append(f"{parts.scheme}://{parts.netloc}")
    return sorted(set(origins))

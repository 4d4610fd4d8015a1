"""A short, human device label from a User-Agent header ("Firefox on Linux").

For the session list only: the header is whatever the client says, so the label is a
hint for the account's owner, never an input to a decision.
"""

from __future__ import annotations

import re

__all__ = ["device_label"]

# Order matters: Edge and Opera claim to be Chrome, Chrome claims to be Safari.
_BROWSERS: list[tuple[str, str]] = [
    (r"\bEdgA?/", "Edge"),
    (r"\bOPR/|\bOpera\b", "Opera"),
    (r"\bSamsungBrowser/", "Samsung Internet"),
    (r"\bFirefox/|\bFxiOS/", "Firefox"),
    (r"\bChrome/|\bCriOS/|\bChromium/", "Chrome"),
    (r"\bVersion/[\d.]+.*\bSafari/", "Safari"),
    (r"^curl/", "curl"),
    (r"^Wget/", "Wget"),
    (r"^python-httpx/", "httpx"),
    (r"^python-requests/", "Python requests"),
    (r"^okhttp/", "OkHttp"),
    (r"^PostmanRuntime/", "Postman"),
]
_SYSTEMS: list[tuple[str, str]] = [
    (r"\biPhone\b", "iPhone"),
    (r"\biPad\b", "iPad"),
    (r"\bAndroid\b", "Android"),
    (r"\bCrOS\b", "ChromeOS"),
    (r"\bWindows\b", "Windows"),
    (r"\bMac OS X\b|\bMacintosh\b", "macOS"),
    (r"\bLinux\b", "Linux"),
]


def _first(table: list[tuple[str, str]], text: str) -> str | None:
    for pattern, name in table:
        if re.search(pattern, text):
            return name
    return None


def device_label(user_agent: str) -> str:
    """"<browser> on <system>", either part alone when the other is unknown, else "Unknown"."""
    text = user_agent[:512]
    browser, system = _first(_BROWSERS, text), _first(_SYSTEMS, text)
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or "Unknown device"

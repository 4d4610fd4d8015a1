"""Where the lab may listen: loopback addresses only, because it is vulnerable on purpose.

Kept free of the web stack so ``dynaguard lab --help`` and a refused ``--host`` answer
without loading the app.
"""

from __future__ import annotations

import ipaddress

__all__ = ["NotLoopback", "base_url", "ensure_loopback"]


class NotLoopback(ValueError):
    """The lab was asked to listen on an address other machines can reach."""


def base_url(host: str, port: int) -> str:
    """``http://host:port``, with an IPv6 address in brackets."""
    host = host.strip("[]")
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def ensure_loopback(host: str) -> None:
    """Refuse any address but loopback: the lab is vulnerable on purpose."""
    if host == "localhost":
        return
    try:
        loopback = ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise NotLoopback(
            f"refusing to serve the vulnerable lab on {host!r}: it listens on loopback only "
            "(127.0.0.1, ::1 or localhost)"
        )

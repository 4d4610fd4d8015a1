"""Rendering the sign-in pages: escaped templates, a fresh nonce, and protective headers.

Security-sensitive: autoescape is on and no template marks a client value safe (the only
markup passed through is the QR code segno drew). The Content-Security-Policy allows the
stylesheet and script of our own origin and, for scripts, only with this response's nonce;
no inline script or style, no plugin, no framing (``frame-ancestors 'none'`` and
``X-Frame-Options``); forms post to this origin (and to the allowed ``return_to`` origins
a sign-in may redirect to). Pages are never cached: they hold CSRF tokens, and some hold
secrets shown once (a TOTP secret, recovery codes).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined

__all__ = ["page_headers", "render"]

TEMPLATES = Path(__file__).parent / "templates"


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES), undefined=StrictUndefined,
                       autoescape=True, trim_blocks=True, lstrip_blocks=True)


def page_headers(nonce: str, form_targets: Sequence[str] = ()) -> dict[str, str]:
    """The headers of every page; ``form_targets`` are further origins a form may reach."""
    targets = " ".join(["'self'", *form_targets])
    return {
        "Content-Security-Policy": (
            f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'self'; "
            f"img-src 'self'; connect-src 'self'; form-action {targets}; "
            "frame-ancestors 'none'; base-uri 'none'"
        ),
        "Cache-Control": "no-store",
        "Pragma": "no-cache",
        # Not no-referrer: under it browsers send `Origin: null` with the pages' own posts,
        # and the origin check needs their real origin. No other site learns a page's URL.
        "Referrer-Policy": "same-origin",
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "X-Robots-Tag": "noindex, nofollow",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    }


def render(
    template: str, *, status: int = 200, form_targets: Sequence[str] = (),
    headers: dict[str, str] | None = None, **context: object,
) -> HTMLResponse:
    """The ``template`` page with a nonce of its own and :func:`page_headers`."""
    nonce = secrets.token_urlsafe(16)
    html = _environment().get_template(template).render(nonce=nonce, **context)
    return HTMLResponse(html, status_code=status,
                        headers={**page_headers(nonce, form_targets), **(headers or {})})

"""Rendering the link pages: escaped templates and the headers that keep them safe.

Security-sensitive: every value is HTML-escaped (autoescape, and no template marks a
client value safe); the only inline code is the stylesheet, allowed by its hash in a
Content-Security-Policy that allows nothing else (no script at all), lets forms post
only to this origin and forbids framing. The page URL carries the token, so no referrer
leaves the page, and no cache or search engine keeps it.
"""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache
from pathlib import Path

from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined

__all__ = ["PAGE_HEADERS", "render_page"]

TEMPLATES = Path(__file__).parent / "templates"

STYLE = (
    "body{margin:0;padding:24px;background:#f4f5f7;color:#1d2330;"
    "font-family:system-ui,-apple-system,'Segoe UI',sans-serif}"
    "main{max-width:480px;margin:40px auto;background:#fff;border-radius:8px;padding:28px}"
    ".service{margin:0 0 12px;font-size:13px;color:#5b6475}"
    "h1{margin:0 0 20px;font-size:20px}"
    "label{display:block;margin:16px 0 6px;font-size:14px}"
    "input[type=password]{box-sizing:border-box;width:100%;padding:8px;font-size:16px;"
    "border:1px solid #b8bfcc;border-radius:6px}"
    "button{margin-top:20px;background:#2456d3;color:#fff;border:0;border-radius:6px;"
    "padding:10px 18px;font-size:15px;cursor:pointer}"
    ".error{border-left:4px solid #c0392b;padding:4px 12px;margin:16px 0;background:#fdf0ee}"
    ".success{border-left:4px solid #1e8e4f;padding:8px 12px;background:#eef8f1}"
    ".failure{border-left:4px solid #c0392b;padding:8px 12px;background:#fdf0ee}"
    "a{color:#1f4fbf}"
)
_STYLE_HASH = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()

PAGE_HEADERS = {
    "Content-Security-Policy": (
        f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "X-Robots-Tag": "noindex, nofollow",
}


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES), undefined=StrictUndefined,
                       autoescape=True)


def render_page(
    template: str, *, status: int = 200, headers: dict[str, str] | None = None,
    **context: object,
) -> HTMLResponse:
    """The ``template`` page as a response carrying :data:`PAGE_HEADERS` (and ``headers``)."""
    html = _environment().get_template(template).render(css=STYLE, **context)
    return HTMLResponse(html, status_code=status, headers={**PAGE_HEADERS, **(headers or {})})

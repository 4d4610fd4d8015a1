"""The mails the guard sends, as text + HTML templates under ``mail_templates/``.

A text template's first line is ``Subject: …``; its HTML twin extends ``_layout.html``.
Values are escaped in HTML templates and left alone in text ones. Mails
that carry a token keep a ``Token: <token>`` line in the text part, which the scanner
and the tests read.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

__all__ = ["Letter", "mask_email", "render_letter"]

TEMPLATES = Path(__file__).parent / "mail_templates"


@dataclass(frozen=True)
class Letter:
    subject: str
    text: str
    html: str


@lru_cache(maxsize=1)
def _environment() -> Environment:
    # Escaping follows the file: every value in an .html template is escaped, none in a
    # .txt one (escaping text/plain would only garble it).
    return Environment(
        loader=FileSystemLoader(TEMPLATES), undefined=StrictUndefined, keep_trailing_newline=True,
        autoescape=select_autoescape(enabled_extensions=("html",), default=False),
    )


def render_letter(name: str, **context: object) -> Letter:
    """Render the ``name`` mail; a missing context value is an error, never a blank."""
    env = _environment()
    rendered = env.get_template(f"{name}.txt").render(**context)
    first, _, body = rendered.partition("\n")
    if not first.startswith("Subject: "):
        raise ValueError(f"mail template {name}.txt must start with a Subject line")
    subject = first.removeprefix("Subject: ").strip()
    html = env.get_template(f"{name}.html").render(subject=subject, **context)
    return Letter(subject=subject, text=body.lstrip("\n"), html=html)


def mask_email(email: str) -> str:
    """``a***@example.com``: enough for the owner to recognise, little for anyone else."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"

"""Helpers for the link-page tests: follow a mailed link and submit its form as a
browser would."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from email.message import Message
from urllib.parse import urljoin, urlsplit

import httpx

from tests.conftest import Harness, mail_text

__all__ = ["PageForm", "link_in", "open_page"]

_LINK = re.compile(r"^(https?://\S+)$", re.MULTILINE)


def link_in(mail: Message) -> str:
    """The path and query of the one link in a mail's text part (the part a person reads)."""
    links = _LINK.findall(mail_text(mail))
    assert len(links) == 1, links
    parts = urlsplit(links[0])
    return f"{parts.path}?{parts.query}"


@dataclass
class PageForm:
    """The form of a link page, as a browser would submit it."""

    action: str
    fields: dict[str, str]

    async def submit(self, client: httpx.AsyncClient, **values: str) -> httpx.Response:
        return await client.post(self.action, data={**self.fields, **values})


def form_of(page: httpx.Response, page_url: str) -> PageForm:
    """The page's one form: its action resolved against the page URL, its hidden fields."""
    body = page.text
    (action,) = re.findall(r'<form method="post" action="([^"]*)">', body)
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', body))
    return PageForm(urljoin(page_url, html.unescape(action)),
                    {k: html.unescape(v) for k, v in hidden.items()})


async def open_page(harness: Harness, url: str) -> tuple[httpx.Response, PageForm]:
    """GET a link page and read its form."""
    page = await harness.client.get(url)
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    return page, form_of(page, url)

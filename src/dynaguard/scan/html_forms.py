"""Forms and links of a server-rendered page, read with the standard library's parser.

A page is data from the target: nothing in it is executed, only ``<form>``, its
controls and ``<a href>`` are read, and at most ``MAX_FORMS`` forms and ``MAX_LINKS``
links per page are kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

__all__ = ["Control", "Form", "Page", "parse_page", "same_path"]

MAX_FORMS = 20
MAX_LINKS = 200
# Controls a browser never submits by themselves.
UNSENT_TYPES = frozenset({"submit", "button", "reset", "image", "file"})


@dataclass(frozen=True)
class Control:
    """One named form control as the page wrote it."""

    name: str
    type: str
    value: str = ""
    checked: bool = False
    required: bool = False


@dataclass
class Form:
    """A ``<form>``: where it goes, how, and its controls in page order."""

    action: str
    method: str
    controls: list[Control] = field(default_factory=list)

    def of_type(self, *types: str) -> list[Control]:
        return [c for c in self.controls if c.type in types]

    @property
    def passwords(self) -> list[Control]:
        return self.of_type("password")

    def defaults(self) -> dict[str, str]:
        """What a browser would send if nobody typed anything: hidden fields (CSRF tokens),
        prefilled values, checked boxes and the selected options."""
        sent: dict[str, str] = {}
        for control in self.controls:
            if control.type in UNSENT_TYPES:
                continue
            if control.type in ("checkbox", "radio") and not control.checked:
                continue
            sent.setdefault(control.name, control.value or
                            ("on" if control.type in ("checkbox", "radio") else ""))
        return sent


@dataclass
class Page:
    forms: list[Form] = field(default_factory=list)
    links: list[str] = field(default_factory=list)


class _Reader(HTMLParser):
    def __init__(self, base_url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.base_url = base_url
        self.page = Page()
        self._form: Form | None = None
        self._select: tuple[str, list[tuple[str, bool]], bool] | None = None
        self._textarea: tuple[str, bool] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): v or "" for k, v in attrs}
        if tag == "base" and a.get("href"):
            self.base_url = urljoin(self.base_url, a["href"])
        elif tag == "a" and a.get("href") and len(self.page.links) < MAX_LINKS:
            self.page.links.append(urljoin(self.base_url, a["href"]))
        elif tag == "form" and len(self.page.forms) < MAX_FORMS:
            self._form = Form(urljoin(self.base_url, a.get("action") or self.base_url),
                              (a.get("method") or "get").upper())
            self.page.forms.append(self._form)
        elif self._form is None or not a.get("name"):
            return
        elif tag == "input":
            kind = (a.get("type") or "text").lower()
            self._form.controls.append(Control(a["name"], kind, a.get("value", ""),
                                               "checked" in a, "required" in a))
        elif tag == "select":
            self._select = (a["name"], [], "required" in a)
        elif tag == "textarea":
            self._textarea = (a["name"], "required" in a)
        elif tag == "button" and (a.get("type") or "submit").lower() == "submit":
            self._form.controls.append(Control(a["name"], "submit", a.get("value", "")))
        if tag == "option" and self._select is not None:
            self._select[1].append((a.get("value", ""), "selected" in a))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select" and self._select is not None and self._form is not None:
            name, options, required = self._select
            chosen = next((v for v, selected in options if selected),
                          options[0][0] if options else "")
            self._form.controls.append(Control(name, "select", chosen, required=required))
            self._select = None
        elif tag == "textarea" and self._textarea is not None and self._form is not None:
            name, required = self._textarea
            self._form.controls.append(Control(name, "textarea", required=required))
            self._textarea = None


def parse_page(html: str, url: str) -> Page:
    """The forms (actions made absolute) and links of ``html`` served at ``url``."""
    reader = _Reader(url)
    reader.feed(html)
    reader.close()
    return reader.page


def same_path(a: str, b: str) -> bool:
    """Do two URLs name the same page (query and fragment aside)?"""
    return urlsplit(a).path.rstrip("/") == urlsplit(b).path.rstrip("/")

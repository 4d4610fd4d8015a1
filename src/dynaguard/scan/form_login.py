"""Sign-in by HTML form: find a web page's sign-in (and sign-up) form and the pages a
session opens, so an application whose login is a page is scanned like an API.

The crawl starts at ``/`` and ``/login``, follows links and redirects on the target's own
origin only, never follows a sign-out link, and fetches at most ``MAX_PAGES`` pages.
Once an account exists, :func:`complete_with_session` looks at the page a sign-in
leads to, once, for the sign-out control and a page only a session opens.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

import httpx

from dynaguard.scan.errors import Skip
from dynaguard.scan.form_submit import send
from dynaguard.scan.html_forms import Control, Form, parse_page, same_path
from dynaguard.scan.http import ScanHTTP, origin_of
from dynaguard.scan.profile import Accounts, Endpoint, Profile, SessionStyle
from dynaguard.scan.session import read_credential

if TYPE_CHECKING:
    from dynaguard.scan.accounts import Account, AccountPool

__all__ = ["MAX_PAGES", "START_PAGES", "complete_with_session", "discover_forms",
           "form_endpoint", "url_on_target"]

START_PAGES = ("/", "/login")
MAX_PAGES = 12
LOGIN_WORDS = re.compile(r"log[-_]?in|sign[-_]?in|log[-_]?on|session|auth", re.I)
REGISTER_WORDS = re.compile(r"regist|sign[-_]?up|join|creat|new|enrol", re.I)
LOGOUT_WORDS = re.compile(r"log[-_]?out|sign[-_]?out|log[-_]?off", re.I)
ACCOUNT_WORDS = re.compile(r"account|profile|dashboard|settings|\bme\b|home|user", re.I)
CHANGE_WORDS = re.compile(r"new|current|old|confirm|repeat|again|2", re.I)
IDENTIFIER_NAMES = re.compile(r"mail|user|login|ident|account|name", re.I)
ASSET = re.compile(r"\.(?:js|mjs|css|png|jpe?g|gif|svg|ico|woff2?|pdf|zip)(?:[?#]|$)", re.I)


def url_on_target(http: ScanHTTP, url: str) -> bool:
    """Is ``url`` on the target's origin, under the scan's base URL?"""
    return url.startswith(("http://", "https://")) and \
        origin_of(url) == origin_of(http.target) and url.startswith(http.target)


@dataclass
class _Crawl:
    http: ScanHTTP
    queue: list[str]
    seen: set[str] = field(default_factory=set)
    login: tuple[str, Form] | None = None
    register: tuple[str, Form] | None = None
    logout: tuple[str, Form | None, str] | None = None
    # (page, where it sent an anonymous visitor): 401/403 or a redirect.
    refused: list[tuple[str, str]] = field(default_factory=list)

    def on_target(self, url: str) -> bool:
        return url_on_target(self.http, url)

    def enqueue(self, url: str) -> None:
        url = url.split("#", maxsplit=1)[0]
        if url in self.seen or url in self.queue or not self.on_target(url) or ASSET.search(url):
            return
        if LOGOUT_WORDS.search(url):
            if self.logout is None:
                self.logout = (url, None, "GET")
            return
        path = urlsplit(url).path
        if LOGIN_WORDS.search(path) or REGISTER_WORDS.search(path):
            self.queue.insert(0, url)
        else:
            self.queue.append(url)


def _identifier(form: Form) -> Control | None:
    texts = form.of_type("email", "text")
    return next((c for c in texts if c.type == "email"), None) or \
        next((c for c in texts if IDENTIFIER_NAMES.search(c.name)), None) or \
        (texts[0] if texts else None)


def _classify(crawl: _Crawl, page: str, form: Form) -> None:
    passwords = form.passwords
    if LOGOUT_WORDS.search(form.action) and crawl.logout is None:
        crawl.logout = (page, form, form.method)
        return
    if not passwords or _identifier(form) is None or form.method not in ("POST", "GET"):
        return
    action, shown_on = urlsplit(form.action).path, urlsplit(page).path
    signs_up = len(passwords) > 1 or (not LOGIN_WORDS.search(action) and (
        REGISTER_WORDS.search(action) or REGISTER_WORDS.search(shown_on)))
    if signs_up:
        if len(passwords) <= 2 and crawl.register is None:
            crawl.register = (page, form)
    elif not CHANGE_WORDS.search(passwords[0].name) and crawl.login is None:
        crawl.login = (page, form)


def _path(http: ScanHTTP, url: str) -> str:
    return "/" + url.removeprefix(http.target).lstrip("/").split("#")[0]


def form_endpoint(http: ScanHTTP, page: str, form: Form) -> Endpoint:
    """The endpoint that submits ``form`` of ``page`` (fetched fresh each time)."""
    identifier = _identifier(form)
    passwords = form.passwords
    return Endpoint(path=_path(http, form.action), method=form.method, body="form",
                    identifier=identifier.name if identifier else None,
                    password=passwords[0].name if passwords else None,
                    form_page=_path(http, page))


async def _visit(crawl: _Crawl, url: str) -> None:
    response = await crawl.http.request("GET", url, headers={"Accept": "text/html"})
    if response.is_redirect:
        location = urljoin(url, response.headers.get("location", ""))
        crawl.refused.append((url, location))
        crawl.enqueue(location)
        return
    if response.status_code in (401, 403):
        crawl.refused.append((url, ""))
        return
    if not response.is_success or "html" not in response.headers.get("content-type", ""):
        return
    page = parse_page(response.text, url)
    for form in page.forms:
        if crawl.on_target(form.action):
            _classify(crawl, url, form)
    for link in page.links:
        crawl.enqueue(link)


def _protected_page(crawl: _Crawl, login_page: str) -> str | None:
    """A page that sends anonymous visitors to the sign-in (or refuses them)."""
    pages = [page for page, to in crawl.refused
             if not to or same_path(to, login_page) or LOGIN_WORDS.search(urlsplit(to).path)]
    pages = [p for p in pages if not same_path(p, login_page)]
    ranked = sorted(pages, key=lambda p: not ACCOUNT_WORDS.search(urlsplit(p).path))
    return ranked[0] if ranked else None


async def discover_forms(http: ScanHTTP) -> Profile | None:
    """The profile a sign-in form suggests (login, register, logout, a page only a session
    opens; cookie sessions), or None when the crawl finds no sign-in form."""
    crawl = _Crawl(http, [http.url(p) for p in START_PAGES])
    while crawl.queue and len(crawl.seen) < MAX_PAGES:
        url = crawl.queue.pop(0)
        if url in crawl.seen:
            continue
        crawl.seen.add(url)
        try:
            await _visit(crawl, url)
        except httpx.HTTPError:
            continue
    if crawl.login is None:
        return None
    page, form = crawl.login
    login = form_endpoint(http, page, form)
    endpoints = {"login": login}
    if crawl.register is not None:
        endpoints["register"] = form_endpoint(http, *crawl.register)
    if crawl.logout is not None:
        endpoints["logout"] = _logout_endpoint(http, *crawl.logout)
    protected = _protected_page(crawl, http.url(login.form_page or login.path))
    if protected is not None:
        endpoints["me"] = Endpoint(path=_path(http, protected), method="GET", body="none")
    identifier = _identifier(form)
    kind = "email" if identifier and (identifier.type == "email" or
                                      "mail" in identifier.name.lower()) else "username"
    cookies = SessionStyle(token_from="cookie")  # noqa: S106 -- where, not a secret
    return Profile(endpoints=endpoints, session=cookies, accounts=Accounts(identifier=kind))


def _logout_endpoint(http: ScanHTTP, page: str, form: Form | None, method: str) -> Endpoint:
    if form is None:
        return Endpoint(path=_path(http, page), method="GET", body="none")
    return Endpoint(path=_path(http, form.action), method=method, body="form",
                    form_page=_path(http, page))


async def complete_with_session(http: ScanHTTP, profile: Profile,
                                pool: AccountPool) -> Profile:
    """``profile`` with the sign-out and a session-only page that the page a form sign-in
    leads to shows, when discovery could not see them anonymously (one sign-in, one or
    two page fetches)."""
    login = profile.endpoint("login")
    if login is None or login.form_page is None or \
            (profile.endpoint("logout") and profile.endpoint("me")):
        return profile
    try:
        return await _look_signed_in(http, profile, login, await pool.get(0))
    except Skip:
        return profile
    except httpx.HTTPError:
        return profile  # the checks meet the same failure and say so themselves


async def _look_signed_in(http: ScanHTTP, profile: Profile, login: Endpoint,
                          account: Account) -> Profile:
    response = await send(http, login, identifier=account.identifier,
                          password=account.password)
    credential = read_credential(response, profile.session) if response.is_success else None
    if credential is None:
        return profile
    location = response.headers.get("location")
    landing = urljoin(http.url(login.path), location) if location else http.url("/")
    if not url_on_target(http, landing):
        return profile
    page = await http.request("GET", landing, headers=credential.headers())
    if not page.is_success or "html" not in page.headers.get("content-type", ""):
        return profile
    crawl = _Crawl(http, [])
    parsed = parse_page(page.text, landing)
    for form in parsed.forms:
        if crawl.on_target(form.action):
            _classify(crawl, landing, form)
    for link in parsed.links:
        crawl.enqueue(link)
    found = dict(profile.endpoints)
    if "logout" not in found and crawl.logout is not None:
        found["logout"] = _logout_endpoint(http, *crawl.logout)
    if "me" not in found and not (await http.request("GET", landing)).is_success:
        found["me"] = Endpoint(path=_path(http, landing), method="GET", body="none")
    return profile.model_copy(update={"endpoints": found})

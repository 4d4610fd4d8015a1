"""Sending an endpoint's credentials: as a JSON or form body, or through an HTML form.

An endpoint with a ``form_page`` is an HTML form: before every submission its page is
fetched again (a CSRF token is good for one session, often for one submission) and the
form is sent as a browser would, with its hidden fields, the cookies the page set and
the caller's own. The answer of a server-rendered sign-in says nothing in its status (a
failed sign-in re-renders the form with 200, a good one redirects), so it is judged by
where it leads and handed on in API terms: ``200`` when it left the form, ``401`` when it
showed the form again or led back to it, the target's own status from 400 up (a 429
stays a 429). Body and headers are the target's, the page's cookies included.

Cookies the caller sends (a session to fix, a session to end) go with the page fetch and
the submission and nowhere else: no cookie jar outlives one call.
"""

from __future__ import annotations

import secrets
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from dynaguard.scan.html_forms import UNSENT_TYPES, Form, parse_page, same_path
from dynaguard.scan.http import ScanHTTP
from dynaguard.scan.profile import Endpoint
from dynaguard.scan.session import build_body

__all__ = ["FORM_STATUS", "send", "timed_send"]

# Where a relabelled answer keeps the target's own status code.
FORM_STATUS = "dynaguard.form_status"
REBUILT_HEADERS = frozenset({"content-encoding", "transfer-encoding", "content-length"})
TEXT_TYPES = ("text", "search", "tel", "url", "textarea", "number")


def _cookie_pairs(header: str | None) -> dict[str, str]:
    if not header:
        return {}
    jar = SimpleCookie()
    try:
        jar.load(header)
    except CookieError:
        return {}
    return {name: morsel.value for name, morsel in jar.items()}


def matching_form(html: str, url: str, endpoint: Endpoint, target: str) -> Form | None:
    """The form on the page that ``endpoint`` submits: same action, else the only form with
    the endpoint's password field."""
    forms = parse_page(html, url).forms
    action = target + endpoint.path
    for form in forms:
        if same_path(form.action, action) and form.method == endpoint.method:
            return form
    named = [f for f in forms if endpoint.password and
             any(c.name == endpoint.password for c in f.controls)]
    return named[0] if len(named) == 1 else None


def fill(form: Form, fields: dict[str, str], values: dict[str, str]) -> dict[str, str]:
    """The form's own values, then everything a person would type: the role fields, the
    password being set again in a confirmation field, and a value in every other required field."""
    data = form.defaults()
    # A confirmation field repeats the password being set: the new one on a change form.
    password = values.get("new_password") or values.get("password") or ""
    identifier = values.get("identifier", "")
    for control in form.controls:
        if control.name in fields or control.type in UNSENT_TYPES:
            continue
        if control.type == "password" and password:
            data[control.name] = password
        elif control.type == "email" and not data.get(control.name):
            local = identifier.partition("@")[0] or "dgscan-" + secrets.token_hex(4)
            data[control.name] = f"{local}@example.com"
        elif control.type == "checkbox" and control.required:
            data[control.name] = control.value or "on"
        elif control.required and control.type in TEXT_TYPES and not data.get(control.name):
            data[control.name] = "1" if control.type == "number" else "dgscan"
    button = next((c for c in form.controls if c.type == "submit"), None)
    if button is not None:
        data.setdefault(button.name, button.value)
    data.update(fields)
    return data


def _left_the_form(response: httpx.Response, endpoint: Endpoint, target: str) -> bool:
    own = [target + p for p in (endpoint.path, endpoint.form_page) if p]
    if response.is_redirect:
        location = urljoin(str(response.url), response.headers.get("location", ""))
        return not any(same_path(location, page) for page in own)
    if response.is_success:
        form = matching_form(response.text, str(response.url), endpoint, target)
        return form is None
    return False


def _relabelled(response: httpx.Response, status: int,
                page_cookies: list[str]) -> httpx.Response:
    set_now = {c.name for c in response.cookies.jar}
    headers = [(k, v) for k, v in response.headers.multi_items()
               if k.lower() not in REBUILT_HEADERS]
    for header in page_cookies:
        name = header.partition("=")[0].strip()
        if name and name not in set_now:
            headers.append(("set-cookie", header))
    return httpx.Response(status, headers=headers, content=response.content,
                          request=response.request,
                          extensions={FORM_STATUS: response.status_code})


async def _through_form(http: ScanHTTP, endpoint: Endpoint, headers: dict[str, str],
                        values: dict[str, str]) -> tuple[httpx.Response, float]:
    assert endpoint.form_page is not None  # noqa: S101 -- checked by the caller
    cookie = next((v for k, v in headers.items() if k.lower() == "cookie"), None)
    plain = {k: v for k, v in headers.items() if k.lower() != "cookie"}
    jar = _cookie_pairs(cookie)
    page = await http.request("GET", endpoint.form_page, headers={
        **plain, **({"Cookie": cookie} if cookie else {})})
    page_cookies = page.headers.get_list("set-cookie")
    jar.update({c.name: c.value or "" for c in page.cookies.jar})
    if page.status_code >= 400:
        return page, 0.0
    form = matching_form(page.text, str(page.url), endpoint, http.target)
    if form is None:
        return _relabelled(page, 401, []), 0.0
    fields = build_body(endpoint.model_copy(update={"body": "form"}), **values)["data"]
    data = fill(form, fields, values)
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(http.target))
    send: dict[str, Any] = {"data": data} if endpoint.method != "GET" else {"params": data}
    request_headers = {"Origin": origin, "Referer": str(page.url), **plain}
    if jar:
        request_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in jar.items())
    response, elapsed = await http.timed(endpoint.method, endpoint.path,
                                         headers=request_headers, **send)
    if response.status_code >= 400:
        return _relabelled(response, response.status_code, page_cookies), elapsed
    status = 200 if _left_the_form(response, endpoint, http.target) else 401
    return _relabelled(response, status, page_cookies), elapsed


async def timed_send(http: ScanHTTP, endpoint: Endpoint, *,
                     headers: dict[str, str] | None = None,
                     **values: str) -> tuple[httpx.Response, float]:
    """Send ``endpoint`` with its role fields filled from ``values``; the answer and the
    submission's own wall time (an HTML form's page fetch is not counted)."""
    if endpoint.form_page is None:
        return await http.timed(endpoint.method, endpoint.path, headers=headers,
                                **build_body(endpoint, **values))
    return await _through_form(http, endpoint, dict(headers or {}), values)


async def send(http: ScanHTTP, endpoint: Endpoint, *, headers: dict[str, str] | None = None,
               **values: str) -> httpx.Response:
    """Send ``endpoint`` as :func:`timed_send` does; the answer only."""
    response, _ = await timed_send(http, endpoint, headers=headers, **values)
    return response

"""Every page operation is listed, and none acts for a browser that is not signed in."""

from __future__ import annotations

import re

from dynaguard.guard.ui.router import UI_ROUTES
from tests.guard.conftest import SharedApp
from tests.guard.test_routes import _walk
from tests.guard.ui.conftest import BASE, Browser

PUBLIC_PAGES = {"/ui", "/ui/sign-in", "/ui/register", "/ui/forgot", "/ui/static/ui.css",
                "/ui/static/webauthn.js", "/ui/static/icon.svg", "/ui/sign-in/second-step"}


def test_the_list_names_every_page_operation(shared_app: SharedApp) -> None:
    walked = {op for op in _walk(list(shared_app.app.routes)) if op[1].startswith("/ui")}
    assert walked == UI_ROUTES


async def test_signed_in_pages_send_a_visitor_to_sign_in(ui_browser: Browser) -> None:
    for method, path in sorted(UI_ROUTES):
        if method != "GET" or path in PUBLIC_PAGES:
            continue
        answer = await ui_browser.get(path)
        assert answer.status_code == 303, path
        assert answer.headers["location"].startswith("/ui/sign-in?return_to="), path


async def test_every_post_without_a_csrf_token_is_refused(ui_browser: Browser) -> None:
    """Without the token of the browser's cookie, no post does anything but refuse."""
    await ui_browser.get("/ui/sign-in")
    for method, path in sorted(UI_ROUTES):
        if method != "POST":
            continue
        answer = await ui_browser.client.post(path, data={"csrf": "x"}, headers={
            "Origin": BASE, "Sec-Fetch-Site": "same-origin"})
        assert answer.status_code in (400, 403), path
        assert re.search(r"refused|could not be read", answer.text), path

"""The sign-in pages' defences: cross-site posts, session fixation, open redirects and
the headers every page carries."""

from __future__ import annotations

import re

import httpx

from dynaguard.guard.ui.cookie import COOKIE
from tests.conftest import TEST_PASSWORD, MakeUser
from tests.guard.ui.conftest import BASE, Browser


async def sign_in(browser: Browser, email: str, password: str = TEST_PASSWORD, *,
                  headers: dict[str, str] | None = None, **extra: str) -> httpx.Response:
    return await browser.post("/ui/sign-in", {"email": email, "password": password, **extra},
                              headers=headers)


async def test_pages_carry_csp_framing_and_no_store(ui_browser: Browser) -> None:
    for path in ("/ui/sign-in", "/ui/register", "/ui/forgot"):
        page = await ui_browser.get(path)
        assert page.status_code == 200, path
        csp = page.headers["content-security-policy"]
        nonce = re.search(r"script-src 'nonce-([A-Za-z0-9_-]+)'", csp)
        assert nonce is not None, csp
        assert "frame-ancestors 'none'" in csp
        assert "default-src 'none'" in csp
        assert "unsafe-inline" not in csp
        assert page.headers["x-frame-options"] == "DENY"
        assert page.headers["cache-control"] == "no-store"
        assert "<script>" not in page.text  # no inline script anywhere


async def test_cookie_is_host_prefixed_secure_httponly_lax(ui_browser: Browser) -> None:
    page = await ui_browser.get("/ui/sign-in")
    set_cookie = page.headers["set-cookie"]
    assert set_cookie.startswith(f"{COOKIE}=")
    assert COOKIE.startswith("__Host-")
    flags = {part.strip().lower() for part in set_cookie.split(";")[1:]}
    assert {"secure", "httponly", "samesite=lax", "path=/"} <= flags
    assert not any(flag.startswith("domain") for flag in flags)


async def test_cross_site_post_is_refused(ui_browser: Browser, make_account: MakeUser) -> None:
    """A form posted from another site is refused, even with a valid token and cookie."""
    user = await make_account()
    for headers in ({"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
                    {"Origin": "https://evil.example"},
                    {"Origin": "null"},
                    {"Sec-Fetch-Site": "same-site"}):
        answer = await sign_in(ui_browser, user.email, headers=headers)
        assert answer.status_code == 403, headers
        assert "another site" in answer.text
    assert (await ui_browser.get("/ui/account")).status_code == 303  # still signed out


async def test_post_without_the_csrf_token_is_refused(
        ui_browser: Browser, make_account: MakeUser) -> None:
    user = await make_account()
    await ui_browser.get("/ui/sign-in")
    for token in ("", "forged", None):
        data = {"email": user.email, "password": TEST_PASSWORD}
        if token is not None:
            data["csrf"] = token
        answer = await ui_browser.client.post("/ui/sign-in", data=data, headers={
            "Origin": BASE, "Sec-Fetch-Site": "same-origin"})
        assert answer.status_code in (400, 403), token
    assert (await ui_browser.get("/ui/account")).status_code == 303


async def test_pre_sign_in_cookie_is_replaced_at_sign_in(
        ui_browser: Browser, make_account: MakeUser) -> None:
    """The value a browser held before signing in (whoever planted it) never signs in."""
    user = await make_account()
    await ui_browser.get("/ui/sign-in")
    planted = ui_browser.cookie
    assert planted is not None
    answer = await sign_in(ui_browser, user.email)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/ui/account"
    signed = ui_browser.cookie
    assert signed is not None
    assert signed != planted
    assert (await ui_browser.get("/ui/account")).status_code == 200
    # The planted value is still an anonymous visitor's.
    ui_browser.hold(planted)
    again = await ui_browser.get("/ui/account")
    assert again.status_code == 303
    assert again.headers["location"].startswith("/ui/sign-in")


async def test_forged_session_cookie_is_a_new_visitor(
        ui_browser: Browser, make_account: MakeUser) -> None:
    user = await make_account()
    await sign_in(ui_browser, user.email)
    real = ui_browser.cookie
    assert real is not None
    assert real.startswith("s.")
    parts = real.split(".")
    forged = ".".join([*parts[:3], str(int(parts[3]) + 1), parts[4]])
    ui_browser.hold(forged)
    assert (await ui_browser.get("/ui/account")).status_code == 303


async def test_return_to_another_origin_is_refused(
        ui_browser: Browser, make_account: MakeUser) -> None:
    user = await make_account()
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example",
                   "https:evil.example", "javascript:alert(1)", "https://testserver@evil.example/"):
        page = await ui_browser.get(f"/ui/sign-in?return_to={target}")
        assert target not in page.text
        answer = await sign_in(ui_browser, user.email, return_to=target)
        assert answer.status_code == 303
        assert answer.headers["location"] == "/ui/account", target
        await ui_browser.post("/ui/sign-out", {}, csrf_from="/ui/account")


async def test_return_to_a_page_of_the_service_is_followed(
        ui_browser: Browser, make_account: MakeUser) -> None:
    user = await make_account()
    answer = await sign_in(ui_browser, user.email, return_to="/ui/sessions")
    assert answer.headers["location"] == "/ui/sessions"


async def test_sign_in_failures_look_alike(ui_browser: Browser, make_account: MakeUser) -> None:
    """Unknown account and wrong password: the same page (CWE-204)."""
    user = await make_account()
    unknown = await sign_in(ui_browser, "nobody-here@example.com", "wrong-password-123")
    wrong = await sign_in(ui_browser, user.email, "wrong-password-123")
    assert unknown.status_code == wrong.status_code == 401

    def stable(html: str) -> str:
        html = re.sub(r'value="[^"]*"', "", html)
        return html.replace("nobody-here@example.com", "X").replace(user.email, "X")

    assert stable(unknown.text) == stable(wrong.text)


async def test_sign_out_ends_the_server_session(
        ui_browser: Browser, make_account: MakeUser) -> None:
    user = await make_account()
    await sign_in(ui_browser, user.email)
    signed = ui_browser.cookie
    assert signed is not None
    out = await ui_browser.post("/ui/sign-out", {}, csrf_from="/ui/account")
    assert out.status_code == 303
    ui_browser.hold(signed)  # replayed
    assert (await ui_browser.get("/ui/account")).status_code == 303

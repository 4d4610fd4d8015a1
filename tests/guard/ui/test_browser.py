"""Every account journey of the sign-in pages in Debian's chromium: register, confirm the
address, sign in, TOTP, recovery codes, passkeys through chromium's virtual authenticator,
sessions and their revocation, password recovery; at 360 px and by keyboard alone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, CDPSession, Page, sync_playwright

from tests.conftest import TEST_PASSWORD
from tests.guard.ui.browser_support import AXE, AuthenticatorApp, Looker, UiServer, shots_dir

CHROMIUM = Path("/usr/bin/chromium")
NEW_PASSWORD = "amber-meadow-compass-42"


@pytest.fixture(scope="module")
def ui_server(dynamodb_endpoint: str, tmp_path_factory: pytest.TempPathFactory
              ) -> Iterator[UiServer]:
    server = UiServer(dynamodb_endpoint, tmp_path_factory.mktemp("ui")).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    """Headless Debian chromium, one for the module; missing chromium or axe-core fails."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (./dev test does)")
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `npm ci --prefix tests/js` (./dev test does)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield launched
        launched.close()


@pytest.fixture
def looker(tmp_path: Path) -> Iterator[Looker]:
    watcher = Looker(shots_dir(tmp_path))
    yield watcher
    assert watcher.trouble == []


def open_page(chromium: Browser, looker: Looker, *, width: int = 800) -> tuple[BrowserContext,
                                                                               Page]:
    context = chromium.new_context(viewport={"width": width, "height": 900})
    return context, looker.watch(context.new_page())


def add_virtual_authenticator(page: Page) -> CDPSession:
    """Chromium's virtual platform authenticator, with user verification, for this page."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable", {"enableUI": False})
    cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True,
        "hasUserVerification": True, "isUserVerified": True,
        "automaticPresenceSimulation": True}})
    return cdp


def sign_in(page: Page, url: str, email: str, password: str = TEST_PASSWORD) -> None:
    page.goto(f"{url}/ui/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out", exact=True).first.click()
    page.wait_for_url("**/ui/sign-in")


def register_and_confirm(page: Page, looker: Looker, server: UiServer, email: str) -> None:
    page.goto(f"{server.url}/ui/register")
    looker.look(page, "register")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(TEST_PASSWORD)
    page.get_by_label("Repeat the password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Create the account").click()
    assert page.locator("h1").inner_text() == "Check your inbox"
    looker.look(page, "registered")
    page.goto(server.mailed_link(email, "/auth/pages/verify-email"))
    looker.look(page, "verify-email")
    page.get_by_role("button", name="Confirm my email").click()
    assert page.locator("h1").inner_text() == "Email address confirmed"
    page.get_by_role("link", name="Go to sign in").click()
    looker.look(page, "sign-in")


def enrol_totp(page: Page, looker: Looker) -> tuple[AuthenticatorApp, list[str]]:
    """Turn TOTP on from the security page; the app and the recovery codes shown once."""
    page.get_by_role("link", name="Security").click()
    looker.look(page, "security")
    page.locator("#totp_password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Set up an authenticator app").click()
    assert page.locator(".qr svg").count() == 1
    app = AuthenticatorApp(page.locator("#totp-secret").inner_text())
    looker.look(page, "totp-setup")
    page.get_by_label("Code from the app").fill(app.next_code())
    page.get_by_role("button", name="Turn on the authenticator app").click()
    codes = page.locator("#recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    looker.look(page, "recovery-codes")
    return app, codes


def second_step(page: Page, code: str) -> None:
    page.wait_for_url("**/ui/sign-in/second-step")
    page.get_by_label("Code").fill(code)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/ui/account")


def register_passkey(page: Page, looker: Looker, url: str) -> None:
    add_virtual_authenticator(page)
    page.goto(f"{url}/ui/security")
    page.get_by_label("Name of the new passkey").fill("Laptop")
    page.locator("#passkey_password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Add a passkey").click()
    looker.look(page, "passkey-create")
    page.get_by_role("button", name="Create the passkey").click()
    page.wait_for_url("**/ui/security/passkeys")
    assert "The passkey 'Laptop' was added." in page.locator("[role=status]").inner_text()
    assert page.locator(".passkeys li").count() == 1


def passwordless_sign_in(page: Page, looker: Looker) -> None:
    page.get_by_role("button", name="Sign in with a passkey").click()
    looker.look(page, "passkey-sign-in")
    page.get_by_role("button", name="Sign in with my passkey").click()
    page.wait_for_url("**/ui/account")


def revoke_the_other_session(page: Page, looker: Looker, url: str) -> None:
    page.goto(f"{url}/ui/sessions")
    sessions = page.locator("li.session")
    assert sessions.count() == 2
    looker.look(page, "sessions")
    sessions.and_(page.locator(":not(.current)")).get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/ui/sessions")
    assert page.locator("li.session").count() == 1
    assert page.locator("li.session.current").count() == 1


def test_the_whole_journey(chromium: Browser, ui_server: UiServer, looker: Looker) -> None:
    """Register → mailed link → sign in → TOTP → sign out → password + TOTP → passkey →
    sign out → passwordless → revoke the other session, which is then signed out."""
    url, email = ui_server.url, "journey@example.com"
    context, page = open_page(chromium, looker)
    register_and_confirm(page, looker, ui_server, email)
    sign_in(page, url, email)
    page.wait_for_url("**/ui/account")
    assert page.locator("#account-email").inner_text() == email
    looker.look(page, "account")
    app, codes = enrol_totp(page, looker)

    sign_out(page)
    sign_in(page, url, email)
    page.wait_for_url("**/ui/sign-in/second-step")
    looker.look(page, "second-step")
    second_step(page, app.next_code())
    register_passkey(page, looker, url)

    sign_out(page)
    passwordless_sign_in(page, looker)
    assert page.locator("#account-email").inner_text() == email

    other_context, other = open_page(chromium, looker)
    sign_in(other, url, email)
    second_step(other, codes[0])  # a recovery code, this time
    revoke_the_other_session(page, looker, url)
    other.reload()
    other.wait_for_url("**/ui/sign-in?return_to=*")
    assert other.locator("h1").inner_text() == "Sign in"
    page.reload()
    assert page.locator("h1").inner_text() == "Your sessions"  # this one is still signed in
    other_context.close()
    context.close()


def test_forgotten_password_is_reset_through_the_mailed_link(
        chromium: Browser, ui_server: UiServer, looker: Looker) -> None:
    url, email = ui_server.url, "forgetful@example.com"
    context, page = open_page(chromium, looker)
    page.goto(f"{url}/ui/register")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(TEST_PASSWORD)
    page.get_by_label("Repeat the password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Create the account").click()

    page.goto(f"{url}/ui/sign-in")
    page.get_by_role("link", name="Forgot your password?").click()
    looker.look(page, "forgot")
    page.get_by_label("Email address").fill(email)
    page.get_by_role("button", name="Send the link").click()
    assert page.locator("h1").inner_text() == "Check your inbox"

    page.goto(ui_server.mailed_link(email, "/auth/pages/password-reset"))
    looker.look(page, "password-reset")
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Repeat the new password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Save the new password").click()
    assert page.locator("h1").inner_text() == "Password changed"
    page.get_by_role("link", name="Go to sign in").click()
    sign_in(page, url, email, NEW_PASSWORD)  # a reset also confirms the address
    page.wait_for_url("**/ui/account")
    context.close()


def test_sign_in_error_is_linked_to_its_fields(
        chromium: Browser, ui_server: UiServer, looker: Looker) -> None:
    context, page = open_page(chromium, looker)
    sign_in(page, ui_server.url, "nobody@example.com", "not-the-password-1")
    alert = page.get_by_role("alert")
    assert "not right" in alert.inner_text()
    email = page.get_by_label("Email address")
    assert email.get_attribute("aria-invalid") == "true"
    assert email.get_attribute("aria-describedby") == "sign-in-error"
    assert page.get_by_label("Email address").input_value() == "nobody@example.com"
    looker.look(page, "sign-in-failed")
    context.close()


def test_keyboard_only_at_360_px(chromium: Browser, ui_server: UiServer,
                                 looker: Looker) -> None:
    """A phone-sized window, no mouse: every page fits, and Tab and Enter sign in."""
    url, email = ui_server.url, "keyboard@example.com"
    context, page = open_page(chromium, looker, width=360)
    page.goto(f"{url}/ui/register")
    for label, value in (("Email address", email), ("Password", TEST_PASSWORD),
                         ("Repeat the password", TEST_PASSWORD)):
        page.get_by_label(label, exact=True).fill(value)
    with page.expect_navigation():  # the registration's answer, before the mailed link
        page.keyboard.press("Enter")
    page.goto(ui_server.mailed_link(email, "/auth/pages/verify-email"))
    page.get_by_role("button", name="Confirm my email").focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Email address confirmed")

    page.goto(f"{url}/ui/sign-in")
    page.keyboard.press("Tab")  # the skip link comes first
    assert page.evaluate("document.activeElement.textContent") == "Skip to the content"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "email"
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "password"
    page.keyboard.type(TEST_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/ui/account")
    for path in ("/ui/account", "/ui/security", "/ui/sessions", "/ui/sign-in"):
        page.goto(f"{url}{path}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, (path, width)
    looker.look(page, "account-360")
    context.close()

"""The account pages as a browser without script uses them: password and address
changes, TOTP off and new recovery codes, a passkey added and removed, sign out
everywhere. Each calls the JSON API's flow, so its checks hold here too."""

from __future__ import annotations

import json
import re
import time
from html import unescape

import pyotp

from dynaguard.guard.mfa.passkeys import relying_party
from tests.conftest import TEST_PASSWORD, MakeUser, mail_text
from tests.guard.mfa.softauthn import SoftAuthenticator
from tests.guard.ui.conftest import Browser

NEW_PASSWORD = "amber-meadow-compass-42"


async def signed_in(browser: Browser, email: str, password: str = TEST_PASSWORD) -> None:
    answer = await browser.post("/ui/sign-in", {"email": email, "password": password})
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] in ("/ui/account", "/ui/sign-in/second-step")


def code_after(secret: str, used: set[str]) -> str:
    """A code of the next time step not used yet (the server refuses a step twice)."""
    totp = pyotp.TOTP(secret)
    current = int(time.time() // 30)
    for step in (current, current + 1):
        code = totp.generate_otp(step)
        if code not in used:
            used.add(code)
            return code
    raise AssertionError("no unused code in the drift window")


async def enrol_totp(browser: Browser) -> tuple[str, list[str], set[str]]:
    setup = await browser.post("/ui/security/totp/setup", {"totp_password": TEST_PASSWORD},
                               csrf_from="/ui/security")
    assert setup.status_code == 200, setup.text
    assert "<svg" in setup.text
    found = re.search(r'id="totp-secret" class="secret">([A-Z2-7]+)<', setup.text)
    assert found is not None
    secret, used = found.group(1), set[str]()
    done = await browser.post("/ui/security/totp/confirm", {"code": code_after(secret, used)},
                              csrf_from="/ui/security")
    codes = re.findall(r"<li><code>([^<]+)</code></li>", done.text)
    assert len(codes) == 10, done.text
    return secret, codes, used


async def test_password_change_signs_out_the_other_browsers(
        ui_browser: Browser, second_browser: Browser, make_account: MakeUser) -> None:
    other = second_browser
    user = await make_account()
    await signed_in(ui_browser, user.email)
    await signed_in(other, user.email)
    wrong = await ui_browser.post("/ui/account/password", {
        "current_password": "not-it-at-all-9", "new_password": NEW_PASSWORD,
        "confirm_password": NEW_PASSWORD}, csrf_from="/ui/account")
    assert wrong.status_code == 400
    assert 'aria-describedby="current_password-error"' in wrong.text
    done = await ui_browser.post("/ui/account/password", {
        "current_password": TEST_PASSWORD, "new_password": NEW_PASSWORD,
        "confirm_password": NEW_PASSWORD}, csrf_from="/ui/account")
    assert "Your password was changed" in done.text
    assert (await ui_browser.get("/ui/account")).status_code == 200  # still signed in
    assert (await other.get("/ui/account")).status_code == 303  # signed out


async def test_address_change_mails_the_new_address(
        ui_browser: Browser, make_account: MakeUser) -> None:
    user = await make_account()
    await signed_in(ui_browser, user.email)
    new = f"moved-{user.email}"
    done = await ui_browser.post("/ui/account/email", {
        "new_email": new, "email_password": TEST_PASSWORD}, csrf_from="/ui/account")
    assert f"We sent a link to {new}" in done.text
    mails = await ui_browser.harness.mails_to(new)
    assert "/auth/pages/email-confirm?token=" in mail_text(mails[0])


async def test_totp_off_and_new_recovery_codes(
        ui_browser: Browser, make_account: MakeUser) -> None:
    user = await make_account()
    await signed_in(ui_browser, user.email)
    secret, codes, used = await enrol_totp(ui_browser)
    fresh = await ui_browser.post("/ui/security/recovery-codes", {
        "codes_password": TEST_PASSWORD, "codes_code": codes[0]}, csrf_from="/ui/security")
    new_codes = re.findall(r"<li><code>([^<]+)</code></li>", fresh.text)
    assert len(new_codes) == 10
    assert not set(new_codes) & set(codes)
    refused = await ui_browser.post("/ui/security/totp/disable", {
        "disable_password": TEST_PASSWORD, "disable_code": codes[1]}, csrf_from="/ui/security")
    assert refused.status_code == 400  # the old codes are gone
    off = await ui_browser.post("/ui/security/totp/disable", {
        "disable_password": TEST_PASSWORD, "disable_code": code_after(secret, used)},
        csrf_from="/ui/security")
    assert "The authenticator app was removed." in off.text
    await ui_browser.post("/ui/sign-out", {}, csrf_from="/ui/account")
    answer = await ui_browser.post("/ui/sign-in", {"email": user.email,
                                                   "password": TEST_PASSWORD})
    assert answer.headers["location"] == "/ui/account"  # no second step any more


async def test_passkey_added_and_removed(
        ui_browser: Browser, make_account: MakeUser) -> None:
    user = await make_account()
    await signed_in(ui_browser, user.email)
    _, origins = relying_party(ui_browser.harness.settings)
    key = SoftAuthenticator(origins[0])
    options_page = await ui_browser.post("/ui/security/passkeys/options", {
        "name": "Phone", "passkey_password": TEST_PASSWORD}, csrf_from="/ui/security")
    found = re.search(r'data-options="([^"]+)"', options_page.text)
    assert found is not None, options_page.text
    credential = key.create(json.loads(unescape(found.group(1))))
    added = await ui_browser.post("/ui/security/passkeys", {
        "name": "Phone", "credential": json.dumps(credential)}, csrf_from="/ui/security")
    codes = re.findall(r"<li><code>([^<]+)</code></li>", added.text)
    assert len(codes) == 10  # the first factor brings recovery codes
    security = await ui_browser.get("/ui/security")
    assert "<strong>Phone</strong>" in security.text
    gone = await ui_browser.post("/ui/security/passkeys/remove", {
        "passkey_id": key.id, "remove_password": TEST_PASSWORD, "remove_code": codes[0]},
        csrf_from="/ui/security")
    assert "The passkey was removed." in gone.text
    assert "<strong>Phone</strong>" not in gone.text


async def test_sign_out_everywhere(ui_browser: Browser, second_browser: Browser,
                                   make_account: MakeUser) -> None:
    other = second_browser
    user = await make_account()
    await signed_in(ui_browser, user.email)
    await signed_in(other, user.email)
    page = await ui_browser.get("/ui/sessions")
    assert page.text.count('<li class="session') == 2
    out = await ui_browser.post("/ui/sessions/sign-out-everywhere", {},
                                csrf_from="/ui/sessions")
    assert out.headers["location"] == "/ui/sign-in"
    assert (await ui_browser.get("/ui/account")).status_code == 303
    assert (await other.get("/ui/account")).status_code == 303


async def test_a_passkey_as_the_second_factor(
        ui_browser: Browser, make_account: MakeUser) -> None:
    """Password first, then the passkey instead of a code: a new session, signed in."""
    user = await make_account()
    await signed_in(ui_browser, user.email)
    _, origins = relying_party(ui_browser.harness.settings)
    key = SoftAuthenticator(origins[0])
    options_page = await ui_browser.post("/ui/security/passkeys/options", {
        "name": "Key", "passkey_password": TEST_PASSWORD}, csrf_from="/ui/security")
    found = re.search(r'data-options="([^"]+)"', options_page.text)
    assert found is not None
    await ui_browser.post("/ui/security/passkeys", {
        "name": "Key", "credential": json.dumps(key.create(json.loads(unescape(found.group(1)))))},
        csrf_from="/ui/security")
    await ui_browser.post("/ui/sign-out", {}, csrf_from="/ui/account")

    await signed_in(ui_browser, user.email)
    step = await ui_browser.get("/ui/sign-in/second-step")
    assert "Use a passkey instead" in step.text
    ceremony = await ui_browser.post("/ui/sign-in/second-step/passkey", {},
                                     csrf_from="/ui/sign-in/second-step")
    found = re.search(r'data-options="([^"]+)"', ceremony.text)
    assert found is not None
    assertion = key.get(json.loads(unescape(found.group(1))))
    pending = ui_browser.cookie
    done = await ui_browser.post("/ui/sign-in/second-step", {
        "credential": json.dumps(assertion)}, csrf_from="/ui/sign-in/second-step")
    assert done.status_code == 303
    assert done.headers["location"] == "/ui/account"
    assert ui_browser.cookie not in (None, pending)
    assert (await ui_browser.get("/ui/account")).status_code == 200

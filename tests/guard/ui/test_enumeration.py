"""CWE-204 carried into the pages: registration and the reset request answer alike for an
address with an account and one without; only the mailbox learns which."""

from __future__ import annotations

import re

import httpx

from tests.conftest import TEST_PASSWORD, MakeUser, mail_text
from tests.guard.ui.conftest import Browser


def comparable(answer: httpx.Response, *addresses: str) -> tuple[int, str]:
    """Status and page, without the per-page CSRF token, nonce and the address typed in."""
    html = re.sub(r'name="csrf" value="[^"]*"', "", answer.text)
    html = re.sub(r'nonce="[^"]*"', "", html)
    for address in addresses:
        html = html.replace(address, "ADDRESS")
    return answer.status_code, html


async def test_register_page_is_the_same_for_a_taken_address(
        ui_browser: Browser, make_account: MakeUser) -> None:
    taken = (await make_account()).email
    fresh = "brand-new-person@example.com"
    answers = [await ui_browser.post("/ui/register", {
        "email": email, "password": TEST_PASSWORD, "confirm_password": TEST_PASSWORD})
        for email in (taken, fresh)]
    assert comparable(answers[0], taken) == comparable(answers[1], fresh)
    assert answers[0].status_code == 200
    assert "Check your inbox" in answers[0].text
    harness = ui_browser.harness
    notice = await harness.mails_to(taken)
    link = await harness.mails_to(fresh)
    assert "verify-email" not in mail_text(notice[0])  # the owner gets a notice instead
    assert "verify-email" in mail_text(link[0])
    assert len(link) == 1


async def test_forgot_page_is_the_same_for_an_unknown_address(
        ui_browser: Browser, make_account: MakeUser) -> None:
    known = (await make_account()).email
    unknown = "nobody-has-this@example.com"
    answers = [await ui_browser.post("/ui/forgot", {"email": email})
               for email in (known, unknown)]
    assert comparable(answers[0], known) == comparable(answers[1], unknown)
    assert "Check your inbox" in answers[0].text
    assert len(await ui_browser.harness.mails_to(known)) == 1
    assert await ui_browser.harness.mails_to(unknown, wait_s=0.5) == []


async def test_weak_password_is_refused_before_any_account_is_looked_at(
        ui_browser: Browser, make_account: MakeUser) -> None:
    taken = (await make_account()).email
    answers = [await ui_browser.post("/ui/register", {
        "email": email, "password": "password", "confirm_password": "password"})
        for email in (taken, "another-new-one@example.com")]
    assert answers[0].status_code == answers[1].status_code == 400
    assert comparable(answers[0], taken) == comparable(answers[1], "another-new-one@example.com")
    assert 'aria-invalid="true"' in answers[0].text
    assert 'aria-describedby="password-hint password-error"' in answers[0].text

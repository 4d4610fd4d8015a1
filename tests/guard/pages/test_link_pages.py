"""The pages behind mailed links: a GET shows a form and spends nothing; the form's POST
runs the same flow as the JSON API."""

from __future__ import annotations

import base64
import hashlib
import io
import logging
import re
import time

import structlog
from bench.dynamo_proxy import DynamoProxy, Faults

from dynaguard.guard.links import (
    EMAIL_CONFIRM_PAGE,
    PASSWORD_RESET_PAGE,
    UNLOCK_PAGE,
    VERIFY_EMAIL_PAGE,
)
from dynaguard.guard.throttle import Attempt
from dynaguard.logs import configure_logging
from dynaguard.settings import Settings
from dynaguard.store.codec import encode_item
from tests.conftest import TEST_PASSWORD, Harness, MakeUser, bearer
from tests.guard.pages.conftest import link_in, open_page
from tests.guard.recovery.conftest import add_user, running

NEW_PASSWORD = "violet-canyon-ferry-5521"
REFUSED = "This link is invalid, has expired or was already used."


async def _verified(harness: Harness, email: str) -> bool:
    user_id = await harness.svc.users.user_id_for_email(email)
    assert user_id is not None
    user = await harness.svc.users.get(user_id)
    assert user is not None
    return user.email_verified


async def test_verification_link_confirms_only_when_the_button_is_pressed(
    harness: Harness,
) -> None:
    """Fetching the mailed link (twice, as a scanner and then the person) verifies nothing;
    submitting its form does, once."""
    email = "pages-verify@example.com"
    r = await harness.client.post("/auth/register", json={"email": email,
                                                           "password": TEST_PASSWORD})
    assert r.status_code == 202
    (mail,) = await harness.mails_to(email)
    url = link_in(mail)
    assert url.startswith(VERIFY_EMAIL_PAGE + "?token=")
    await open_page(harness, url)
    page, form = await open_page(harness, url)
    assert "Confirm my email" in page.text
    assert form.action == VERIFY_EMAIL_PAGE
    assert not await _verified(harness, email), "a GET must not spend the token"

    done = await form.submit(harness.client)
    assert done.status_code == 200
    assert "Your email address is confirmed" in done.text
    assert await _verified(harness, email)
    again = await form.submit(harness.client)
    assert again.status_code == 400
    assert REFUSED in again.text
    events = [e.event for e in await harness.svc.audit.for_user(
        await harness.svc.users.user_id_for_email(email) or "")]
    assert events.count("email_verified") == 1


async def test_reset_page_sets_the_password_and_keeps_the_token_on_a_weak_one(
    harness: Harness, make_user: MakeUser,
) -> None:
    """Mismatched and weak passwords are refused with the reason and the same token stays
    usable; a good one is set (the old one stops working) and the link is then spent."""
    user = await make_user()
    session = await harness.login(user.email)
    assert (await harness.client.post("/auth/password/forgot",
                                      json={"email": user.email})).status_code == 202
    (mail,) = await harness.mails_to(user.email)
    url = link_in(mail)
    assert url.startswith(PASSWORD_RESET_PAGE + "?token=")
    await open_page(harness, url)
    page, form = await open_page(harness, url)
    assert page.text.count('type="password" autocomplete="new-password"') == 2

    mismatch = await form.submit(harness.client, new_password=NEW_PASSWORD,
                                 confirm_password=NEW_PASSWORD + "x")
    assert mismatch.status_code == 400
    assert "The two passwords do not match." in mismatch.text
    weak = await form.submit(harness.client, new_password="short", confirm_password="short")
    assert weak.status_code == 400
    assert "must be at least 12 characters" in weak.text
    assert 'name="new_password"' in weak.text, "the form comes back for another try"
    await harness.login(user.email)  # nothing changed yet

    done = await form.submit(harness.client, new_password=NEW_PASSWORD,
                             confirm_password=NEW_PASSWORD)
    assert done.status_code == 200
    assert "Your password was changed" in done.text
    await harness.login(user.email, NEW_PASSWORD)
    old = await harness.client.post("/auth/login", json={"email": user.email,
                                                         "password": TEST_PASSWORD})
    assert old.status_code == 401
    me = await harness.client.get("/auth/me", headers=bearer(session["access_token"]))
    assert me.status_code == 401, "a reset ends every session"
    again = await form.submit(harness.client, new_password="another-" + NEW_PASSWORD,
                              confirm_password="another-" + NEW_PASSWORD)
    assert again.status_code == 400
    assert REFUSED in again.text
    await harness.login(user.email, NEW_PASSWORD)


async def test_unlock_page_lifts_a_lock(harness: Harness, make_user: MakeUser) -> None:
    """A locked account's mailed link opens a page whose button unlocks sign-in, once."""
    user = await make_user()
    counter = Attempt("login", user.email, "").identifier_key()
    long_ago_ms = int((time.time() - 3600) * 1000)
    await harness.svc.db.client.put_item(TableName=harness.settings.table, Item={
        **counter, **encode_item({"failures": harness.settings.throttle_lock_after - 1,
                                  "last_failure_ms": long_ago_ms})})
    c = harness.client
    await c.post("/auth/login", json={"email": user.email, "password": "wrong-" + TEST_PASSWORD})
    locked = await c.post("/auth/login", json={"email": user.email, "password": TEST_PASSWORD})
    assert locked.status_code == 429
    (mail,) = await harness.mails_to(user.email)
    url = link_in(mail)
    assert url.startswith(UNLOCK_PAGE + "?token=")
    await open_page(harness, url)
    page, form = await open_page(harness, url)
    assert "Unlock my account" in page.text
    still = await c.post("/auth/login", json={"email": user.email, "password": TEST_PASSWORD})
    assert still.status_code == 429, "a GET must not unlock"

    done = await form.submit(c)
    assert done.status_code == 200
    assert "Your account is unlocked" in done.text
    await harness.login(user.email)
    again = await form.submit(c)
    assert (again.status_code, REFUSED in again.text) == (400, True)


async def test_email_confirm_page_switches_the_address(
    harness: Harness, make_user: MakeUser,
) -> None:
    user = await make_user()
    pair = await harness.login(user.email)
    new_email = "pages-new@example.org"
    r = await harness.client.post("/auth/email/change", headers=bearer(pair["access_token"]),
                                  json={"password": TEST_PASSWORD, "new_email": new_email})
    assert r.status_code == 202
    (mail,) = await harness.mails_to(new_email)
    url = link_in(mail)
    assert url.startswith(EMAIL_CONFIRM_PAGE + "?token=")
    await open_page(harness, url)
    page, form = await open_page(harness, url)
    assert "Confirm the new address" in page.text
    me = await harness.client.get("/auth/me", headers=bearer(pair["access_token"]))
    assert me.json()["email"] == user.email, "a GET must not switch the address"

    done = await form.submit(harness.client)
    assert done.status_code == 200
    me = await harness.client.get("/auth/me", headers=bearer(pair["access_token"]))
    assert me.json()["email"] == new_email
    again = await form.submit(harness.client)
    assert (again.status_code, REFUSED in again.text) == (400, True)


async def test_email_confirm_page_for_a_taken_address_changes_nothing(
    harness: Harness, make_user: MakeUser,
) -> None:
    """The address was claimed by another account: the page says so (409), no switch."""
    user, other = await make_user(), await make_user()
    pair = await harness.login(user.email)
    r = await harness.client.post("/auth/email/change", headers=bearer(pair["access_token"]),
                                  json={"password": TEST_PASSWORD, "new_email": other.email})
    assert r.status_code == 202
    (mail,) = await harness.mails_to(other.email)
    _, form = await open_page(harness, link_in(mail))
    taken = await form.submit(harness.client)
    assert taken.status_code == 409
    assert "already belongs to another account" in taken.text
    me = await harness.client.get("/auth/me", headers=bearer(pair["access_token"]))
    assert me.json()["email"] == user.email

async def test_markup_in_a_token_is_escaped(harness: Harness) -> None:
    """A token that carries markup comes back as text on the form and on the refusal."""
    attack = '"><script>alert(1)</script><img src=x onerror=alert(2)>'
    page, form = await open_page(harness, f"{VERIFY_EMAIL_PAGE}?token=" + attack
                                 .replace("&", "%26").replace(" ", "%20").replace("<", "%3C")
                                 .replace(">", "%3E").replace('"', "%22").replace("=", "%3D"))
    assert form.fields["token"] == attack, "the value survives, as text"
    assert "<script>" not in page.text
    assert "<img" not in page.text
    assert "&lt;script&gt;" in page.text
    refused = await form.submit(harness.client)
    assert refused.status_code == 400
    assert "<script>" not in refused.text
    r = await harness.client.post(PASSWORD_RESET_PAGE, data={
        "token": attack, "new_password": "a", "confirm_password": "b"})
    assert r.status_code == 400
    assert "<script>" not in r.text
    assert "&lt;script&gt;" in r.text


async def test_pages_carry_protective_headers(harness: Harness) -> None:
    """Form, result and refusal pages: a CSP that allows only our stylesheet (by hash) and
    same-origin forms, no framing, no referrer, no caching."""
    form_page, _ = await open_page(harness, f"{UNLOCK_PAGE}?token=abc")
    refused = await harness.client.post(UNLOCK_PAGE, data={"token": "abc"})
    missing = await harness.client.get(UNLOCK_PAGE)
    assert (refused.status_code, missing.status_code) == (400, 400)
    for page in (form_page, refused, missing):
        csp = page.headers["content-security-policy"]
        directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
        assert directives["default-src"] == "'none'"
        assert directives["form-action"] == "'self'"
        assert directives["frame-ancestors"] == "'none'"
        assert "unsafe-inline" not in csp
        assert "script-src" not in csp
        (style,) = re.findall(r"<style>(.*?)</style>", page.text, re.DOTALL)
        digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
        assert directives["style-src"] == f"'sha256-{digest}'", "the stylesheet must load"
        assert page.headers["referrer-policy"] == "no-referrer"
        assert page.headers["cache-control"] == "no-store"
        assert page.headers["x-frame-options"] == "DENY"
        assert page.headers["content-type"].startswith("text/html")
        assert "<script" not in page.text


async def test_forms_other_than_the_pages_own_are_refused(harness: Harness) -> None:
    """JSON, oversized, repeated, unknown or missing fields get a page and spend nothing."""
    email = "pages-forms@example.com"
    await harness.client.post("/auth/register", json={"email": email, "password": TEST_PASSWORD})
    (mail,) = await harness.mails_to(email)
    token = link_in(mail).split("token=", 1)[1]
    c = harness.client
    as_json = await c.post(VERIFY_EMAIL_PAGE, json={"token": token})
    assert as_json.status_code == 415
    big = await c.post(VERIFY_EMAIL_PAGE, data={"token": token, "pad": "x" * 40_000})
    assert big.status_code == 413
    for body in (f"token={token}&token={token}", f"token={token}&extra=1", "", "tok"):
        r = await c.post(VERIFY_EMAIL_PAGE, content=body,
                         headers={"content-type": "application/x-www-form-urlencoded"})
        assert r.status_code == 400, body
        assert r.headers["content-type"].startswith("text/html")
    assert (await c.get(f"{VERIFY_EMAIL_PAGE}?token={token}&token=x")).status_code == 400
    assert not await _verified(harness, email)
    ok = await c.post(VERIFY_EMAIL_PAGE, data={"token": token})
    assert ok.status_code == 200
    assert await _verified(harness, email)


async def test_guessing_through_the_page_is_throttled_like_the_api(settings: Settings) -> None:
    """Wrong tokens count against the address as on the JSON API; then a 429 page with
    Retry-After, even for the right token."""
    async with running(settings.model_copy(update={"address_failure_limit": 3})) as harness:
        user = await add_user(harness)
        await harness.client.post("/auth/password/forgot", json={"email": user.email})
        (mail,) = await harness.mails_to(user.email)
        _, form = await open_page(harness, link_in(mail))
        guesses = [await harness.client.post(PASSWORD_RESET_PAGE, data={
            "token": f"guess-{i}", "new_password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD}) for i in range(4)]
        assert [r.status_code for r in guesses] == [400, 400, 400, 429]
        r = await form.submit(harness.client, new_password=NEW_PASSWORD,
                              confirm_password=NEW_PASSWORD)
        assert r.status_code == 429
        assert int(r.headers["retry-after"]) >= 1
        assert "Too many attempts" in r.text
        assert r.headers["content-type"].startswith("text/html")


async def test_no_token_or_password_reaches_the_logs(harness: Harness) -> None:
    """The request log line of a link page names its path, never the query or the form."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    stream = io.StringIO()
    configure_logging("debug", stream)
    try:
        user = await add_user(harness)
        await harness.client.post("/auth/password/forgot", json={"email": user.email})
        (mail,) = await harness.mails_to(user.email)
        url = link_in(mail)
        token = url.split("token=", 1)[1]
        _, form = await open_page(harness, url)
        r = await form.submit(harness.client, new_password=NEW_PASSWORD,
                              confirm_password=NEW_PASSWORD)
        assert r.status_code == 200
    finally:
        structlog.reset_defaults()
        root.handlers, root.level = saved[0], saved[1]
    logged = stream.getvalue()
    assert f'"path": "{PASSWORD_RESET_PAGE}"' in logged
    assert token not in logged
    assert NEW_PASSWORD not in logged


async def test_an_unavailable_store_gives_a_503_page(
    dynamodb_endpoint: str, settings: Settings,
) -> None:
    """DynamoDB throttling every call (after botocore's retries): a page saying so, with
    Retry-After, and nothing decided."""
    async with DynamoProxy(dynamodb_endpoint, seed=5) as proxy, running(
            settings.model_copy(update={"dynamodb_endpoint": proxy.endpoint})) as harness:
        proxy.faults = Faults(throttle=1.0)
        r = await harness.client.post(VERIFY_EMAIL_PAGE, data={"token": "some-token"})
        proxy.faults = Faults()
        assert proxy.injected["throttle"] > 0
        assert r.status_code == 503
        assert r.headers["retry-after"].isdigit()
        assert r.headers["content-type"].startswith("text/html")
        assert "Try again in a moment" in r.text

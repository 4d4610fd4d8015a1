"""The lab's table as the audit's ground truth: its data flaws found, none without them."""

from __future__ import annotations

import re
import time
import uuid
from email import message_from_bytes

import httpx

from dynaguard.lab.server import running_lab
from dynaguard.scan.findings import Severity
from dynaguard.settings import Settings
from tests.audit.conftest import audit_now, by_check
from tests.conftest import TEST_PASSWORD

NEW_PASSWORD = "violet-canyon-ferry-5521"
ITEM_CHECKS = ("audit.password_plaintext", "audit.password_unsalted", "audit.password_weak_hash",
               "audit.user_schema")


def _token_to(settings: Settings, address: str, count: int) -> str:
    """The token of the ``count``-th mail to ``address`` (mails are sent after the answer)."""
    outbox = settings.outbox_dir
    assert outbox is not None
    deadline = time.monotonic() + 5
    while True:
        texts = [str(mail.get_payload()) for mail in
                 (message_from_bytes(p.read_bytes()) for p in sorted(outbox.glob("*.eml")))
                 if mail["To"] == address] if outbox.exists() else []
        if len(texts) >= count or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    match = re.search(r"Token: (\S+)", texts[count - 1])
    assert match
    return match.group(1)


def _register(client: httpx.Client) -> str:
    email = f"user-{uuid.uuid4().hex[:10]}@example.com"
    r = client.post("/auth/register", json={"email": email, "password": TEST_PASSWORD})
    assert r.status_code == 202, r.text
    return email


def test_lab_account_flaws_are_found_in_its_table(settings: Settings,
                                                  dynamodb_endpoint: str) -> None:
    """fast_hash, keyerror_bypass, missing_attr_truthy and reset_token_weak leave traces
    in the data."""
    flaws = ["fast_hash", "keyerror_bypass", "missing_attr_truthy", "reset_token_weak"]
    with running_lab(settings, flaws=flaws) as url, httpx.Client(base_url=url) as client:
        email = _register(client)  # never confirmed: no email_confirmed attribute
        assert client.post("/auth/password/forgot", json={"email": email}).status_code == 202
        _token_to(settings, email, 2)  # the reset mail: its token is stored by then
        result = audit_now(dynamodb_endpoint, settings.table)
    found = by_check(result)
    unsalted = found["audit.password_unsalted"]
    assert {f.evidence.get("format") for f in unsalted} == {"hex-sha-256"}
    assert unsalted[0].evidence["items"] == 4  # two seeded accounts, the decoy, the new one
    assert {(f.title, f.severity) for f in found["audit.user_schema"]} == {
        ("Account items without `enabled`", Severity.HIGH),
        ("Account items without `email_confirmed`", Severity.HIGH)}
    assert all(287 in f.cwe for f in found["audit.user_schema"])
    clear = {(f.evidence["item_kind"], f.evidence["where"]) for f in found["audit.tokens_in_clear"]}
    assert clear == {("TOKEN/RESET", "partition key"), ("USER/PROFILE", "mfa_secret")}
    assert [f.evidence["item_kind"] for f in found["audit.token_expiry"]] == ["TOKEN/RESET"]


def test_lab_without_flaws_has_no_password_or_schema_finding(settings: Settings,
                                                             dynamodb_endpoint: str) -> None:
    """The same flows on the lab with every flaw off leave clean hashes and items."""
    with running_lab(settings, flaws="none") as url, httpx.Client(base_url=url) as client:
        _register(client)  # left unconfirmed
        email = _register(client)
        token = _token_to(settings, email, 1)
        assert client.post("/auth/verify-email", json={"token": token}).status_code == 204
        login = client.post("/auth/login", json={"email": email, "password": TEST_PASSWORD})
        assert login.status_code == 200, login.text
        r = client.post("/auth/refresh", json={"refresh_token": login.json()["refresh_token"]})
        assert r.status_code == 200
        assert client.post("/auth/password/forgot", json={"email": email}).status_code == 202
        token = _token_to(settings, email, 2)
        r = client.post("/auth/password/reset", json={"token": token,
                                                      "new_password": NEW_PASSWORD})
        assert r.status_code == 204, r.text
        result = audit_now(dynamodb_endpoint, settings.table)
    found = by_check(result)
    assert {check: found[check] for check in ITEM_CHECKS} == {check: [] for check in ITEM_CHECKS}
    details = {c.check: c.detail for c in result.checks}
    assert "argon2id x5" in details["audit.password_weak_hash"]  # with the decoy
    assert "enabled" in details["audit.user_schema"]
    assert "email_confirmed" in details["audit.user_schema"]
    assert found["audit.token_expiry"] == []
    assert {f.evidence["where"] for f in found["audit.tokens_in_clear"]} == {"mfa_secret"}

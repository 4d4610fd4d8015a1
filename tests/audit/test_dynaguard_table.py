"""A table written by dynaguard itself audits clean; corrupting one of its items does not."""

from __future__ import annotations

import re
from typing import Any

from dynaguard.scan.findings import Severity
from tests.audit.conftest import audit_table, by_check
from tests.conftest import TEST_PASSWORD, Harness, mail_text

NEW_PASSWORD = "violet-canyon-ferry-5521"


async def _mailed_token(harness: Harness, email: str, count: int) -> str:
    mails = await harness.mails_to(email, count=count)
    match = re.search(r"Token: (\S+)", mail_text(mails[count - 1]))
    assert match, "the mail carries a token"
    return match.group(1)


async def _walk_the_flows(harness: Harness) -> None:
    """Register, verify, log in, refresh, forget the password, reset it, log in again."""
    c, email = harness.client, "walker@example.com"
    r = await c.post("/auth/register", json={"email": email, "password": TEST_PASSWORD})
    assert r.status_code == 202
    token = await _mailed_token(harness, email, 1)
    assert (await c.post("/auth/verify-email", json={"token": token})).status_code == 204
    pair = await harness.login(email)
    r = await c.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert r.status_code == 200
    assert (await c.post("/auth/password/forgot", json={"email": email})).status_code == 202
    token = await _mailed_token(harness, email, 2)
    r = await c.post("/auth/password/reset", json={"token": token, "new_password": NEW_PASSWORD})
    assert r.status_code == 204
    await harness.login(email, NEW_PASSWORD)
    r = await c.post("/auth/register", json={"email": "pending@example.com",
                                             "password": TEST_PASSWORD})
    assert r.status_code == 202  # an unverified account, its verification token pending


async def test_table_written_by_dynaguard_has_nothing_above_info(
    harness: Harness, dynamo: Any, dynamodb_endpoint: str,
) -> None:
    """With TTL, point-in-time recovery and deletion protection on, every check passes."""
    await _walk_the_flows(harness)
    table = harness.settings.table
    dynamo.update_continuous_backups(
        TableName=table,
        PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    dynamo.update_table(TableName=table, DeletionProtectionEnabled=True)
    try:
        result = await audit_table(dynamodb_endpoint, table)
        above_info = [(f.check, f.title) for f in result.findings
                      if f.severity is not Severity.INFO]
        assert above_info == []
        assert (result.score, result.grade) == (100, "A")
        details = {c.check: c.detail for c in result.checks}
        assert "dynaguard's models" in details["audit.user_schema"]
        assert "argon2id x3" in details["audit.password_plaintext"]  # two users and the decoy
        assert re.search(r"[1-9]\d* token keys", details["audit.tokens_in_clear"])
        assert "SESSION" in details["audit.token_expiry"]

        dynamo.put_item(TableName=table, Item={
            "pk": {"S": "USER#corrupt"}, "sk": {"S": "PROFILE"}, "id": {"S": "corrupt"},
            "gsi1pk": {"S": "USERS"}, "gsi1sk": {"S": "corrupt@example.com"},
            "email": {"S": "corrupt@example.com"}, "password_hash": {"S": "x" * 12},
            "email_verified": {"S": "true"}, "scopes": {"L": []},
            "credentials_version": {"N": "0"}, "mfa_enabled": {"BOOL": False},
            "created_at": {"N": "1700000000"}})
        found = by_check(await audit_table(dynamodb_endpoint, table))
        (schema,) = found["audit.user_schema"]
        assert schema.severity is Severity.HIGH
        assert schema.evidence["problems"] == ["missing enabled",
                                               "wrong type or value email_verified (S)"]
        assert [f.severity for f in found["audit.password_plaintext"]] == [Severity.CRITICAL]
    finally:
        dynamo.update_table(TableName=table, DeletionProtectionEnabled=False)

"""Each weakness planted in a table of another layout is found once, with its CWE, and no
secret the table holds is printed in any report format."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from argon2 import PasswordHasher
from typer.testing import CliRunner

from dynaguard.cli import app
from dynaguard.history import History
from dynaguard.scan.findings import CheckStatus, Severity
from dynaguard.scan.report.formats import FORMATS, render_as
from tests.audit.conftest import audit_now, by_check

runner = CliRunner()
SARIF_SCHEMA = json.loads((Path(__file__).parents[1] / "scan" / "data" /
                           "sarif-schema-2.1.0.json").read_text())

PLAIN_PASSWORD = "Tr0ub4dor-and-3-horses"
MD5 = hashlib.md5(b"shared-password-1").hexdigest()  # noqa: S324 -- planted weak hash
WEAK_ARGON2 = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash("pw-weak-argon")
GOOD_ARGON2 = PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1).hash("pw-good")
BCRYPT_8 = "$2b$08$" + "N9qo8uLOickgx2ZMRZoMye" + "IjZAgcfl7p92ldGxad68LJZdL17lhWy"
PBKDF2_LOW = "pbkdf2_sha256$10000$c2FsdHNhbHQ$" + "A" * 43 + "="
SCRYPT_LOW = "$scrypt$ln=14,r=8,p=1$c2FsdA$" + "B" * 43
REFRESH_CLEAR = "k3J9vQm2XbT7wYp1LzR8nC4dF6hS0aG5eU2iO9tWqEx"
RESET_CLEAR = "reset-7f3a9c2e1b"
JWT = ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwiZXhwIjo0MTAyNDQ0ODAwfQ."
       "c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmU")
SECRETS = [PLAIN_PASSWORD, MD5, WEAK_ARGON2, WEAK_ARGON2.rsplit("$", 2)[-2], GOOD_ARGON2,
           BCRYPT_8, BCRYPT_8[7:], PBKDF2_LOW, SCRYPT_LOW, REFRESH_CLEAR, RESET_CLEAR, JWT,
           JWT.split(".")[1]]


def s(value: str) -> dict[str, str]:
    return {"S": value}


def user(n: int, password: str, **extra: Any) -> dict[str, Any]:
    return {"PK": s(f"USER#{n:04d}"), "SK": s("METADATA"), "email": s(f"u{n}@example.com"),
            "enabled": {"BOOL": True}, "email_confirmed": {"BOOL": True},
            "passwordHash": s(password), **extra}


def seed(dynamo: Any, table: str) -> None:
    items = [
        user(1, GOOD_ARGON2, refresh_token=s(REFRESH_CLEAR)),
        {**user(2, GOOD_ARGON2), "passwordHash": s(PLAIN_PASSWORD)},
        user(3, MD5), user(4, MD5),
        user(5, BCRYPT_8), user(6, WEAK_ARGON2), user(7, PBKDF2_LOW), user(8, SCRYPT_LOW),
        {k: v for k, v in user(9, GOOD_ARGON2).items() if k != "enabled"},
        {**user(10, GOOD_ARGON2), "email_confirmed": s("false")},
        {"PK": s(f"RESET#{RESET_CLEAR}"), "SK": s("RESET"), "user": s("USER#0001")},
        {"PK": s("SESSION#0001"), "SK": s("SESSION"), "access": s(JWT),
         "expires_at": {"N": "4102444800000"}},
    ]
    for item in items:
        dynamo.put_item(TableName=table, Item=item)


@pytest.fixture
def seeded(dynamo: Any, new_table: Callable[..., str]) -> str:
    table = new_table()
    seed(dynamo, table)
    return table


def test_every_planted_weakness_is_found_with_its_cwe(dynamodb_endpoint: str,
                                                      seeded: str) -> None:
    """One finding per planted kind, each under its own check and CWE."""
    result = audit_now(dynamodb_endpoint, seeded, page_size=5)
    found = by_check(result)
    plain = found["audit.password_plaintext"]
    assert [(f.severity, f.cwe, f.evidence["items"]) for f in plain] == [
        (Severity.CRITICAL, (256,), 1)]
    unsalted = {f.evidence.get("format") for f in found["audit.password_unsalted"]}
    assert unsalted == {"hex-md5", None}  # the MD5 digests, and the value two accounts share
    assert all(759 in f.cwe for f in found["audit.password_unsalted"])
    weak = {f.evidence["format"]: f.severity for f in found["audit.password_weak_hash"]}
    assert weak == {"bcrypt": Severity.MEDIUM, "argon2id": Severity.HIGH,
                    "pbkdf2-sha256": Severity.HIGH, "scrypt": Severity.MEDIUM}
    assert all(f.cwe == (916,) for f in found["audit.password_weak_hash"])
    schema = {f.title: f.evidence["items"] for f in found["audit.user_schema"]}
    assert schema == {"Account items without `enabled`": 1,
                      "Account flag `email_confirmed` stored as S, not a boolean": 1}
    clear = {(f.evidence["item_kind"], f.evidence["where"]) for f in found["audit.tokens_in_clear"]}
    assert clear == {("USER/METADATA", "refresh_token"), ("RESET/RESET", "partition key"),
                     ("SESSION/SESSION", "access")}
    assert all(f.cwe == (312, 522) for f in found["audit.tokens_in_clear"])
    expiry = {(f.evidence["item_kind"], f.evidence["reason"].split(" ")[0])
              for f in found["audit.token_expiry"]}
    assert expiry == {("RESET/RESET", "no"), ("SESSION/SESSION", "expires_at")}
    assert [f.cwe for f in found["audit.table_ttl"]] == [(613,)]
    assert [f.cwe for f in found["audit.table_pitr"]] == [(1188,)]
    assert [f.cwe for f in found["audit.table_deletion_protection"]] == [(1188,)]
    assert result.grade == "F"
    assert result.requests == 3 + 3  # three Describe calls, 12 items in pages of five


def test_no_secret_is_printed_in_any_format(dynamodb_endpoint: str, seeded: str) -> None:
    """Evidence shows formats and a short prefix at most, never a whole secret."""
    result = audit_now(dynamodb_endpoint, seeded)
    for fmt in FORMATS:
        report = render_as(result, fmt)
        leaked = [secret[:12] for secret in SECRETS if secret in report]
        assert not leaked, f"{fmt} report prints {leaked}"
    assert "$2b$08$" in render_as(result, "json"), "the format and cost are shown"


def test_other_layout_keyed_by_email(dynamodb_endpoint: str, dynamo: Any,
                                     new_table: Callable[..., str]) -> None:
    """A one-key table with camelCase names: bcrypt 12 passes, a bare SHA-1 does not."""
    table = new_table(keys=("id",))
    sha1 = hashlib.sha1(b"letmein").hexdigest()  # noqa: S324 -- planted weak hash
    dynamo.put_item(TableName=table, Item={"id": s("ann@example.com"), "isActive": {"BOOL": True},
                                           "passwd": s("$2y$12$" + "x" * 53)})
    dynamo.put_item(TableName=table, Item={"id": s("bob@example.com"), "isActive": {"BOOL": True},
                                           "passwd": s(sha1)})
    found = by_check(audit_now(dynamodb_endpoint, table))
    assert [f.evidence["format"] for f in found["audit.password_unsalted"]] == ["hex-sha-1"]
    assert found["audit.password_weak_hash"] == []
    assert found["audit.user_schema"] == []


def test_cli_formats_gates_and_exit_codes(dynamodb_endpoint: str, seeded: str,
                                          tmp_path: Path) -> None:
    """JSON on stdout, SARIF that validates, --fail-on / --fail-under exit 1, a missing table 3."""
    base = ["audit", "--endpoint", dynamodb_endpoint, "--table", seeded, "--quiet"]
    done = runner.invoke(app, [*base, "--format", "json"])
    assert done.exit_code == 0, done.output
    document = json.loads(done.stdout)
    assert document["schema"] == "dynaguard.scan/1"
    assert document["target"].endswith(f":table/{seeded}")
    assert {f["check"] for f in document["findings"]} >= {"audit.password_plaintext",
                                                          "audit.tokens_in_clear"}
    sarif_file = tmp_path / "audit.sarif"
    gated = runner.invoke(app, [*base, "--format", "sarif", "--output", str(sarif_file),
                                "--fail-on", "critical"])
    assert gated.exit_code == 1
    assert "gate failed" in gated.output
    errors = list(jsonschema.Draft4Validator(SARIF_SCHEMA).iter_errors(
        json.loads(sarif_file.read_text())))
    assert errors == []
    assert runner.invoke(app, [*base, "--fail-under", "50"]).exit_code == 1
    missing = runner.invoke(app, ["audit", "--endpoint", dynamodb_endpoint, "--table",
                                  "no-such-table", "--quiet"])
    assert missing.exit_code == 3
    assert "not found" in missing.output
    assert runner.invoke(app, [*base, "--endpoint", "ftp://x"]).exit_code == 2


def test_cli_records_audits_and_gates_regressions(dynamodb_endpoint: str, seeded: str,
                                                  tmp_path: Path) -> None:
    """Audits go into the history under the table's ARN, and gate regressions as scans do:
    against the previous audit of the table, or a baseline report."""
    base = ["audit", "--endpoint", dynamodb_endpoint, "--table", seeded, "--quiet"]
    first = runner.invoke(app, base)
    assert first.exit_code == 0, first.output
    assert "recorded as scan 1 in" in first.output
    (row,) = History().scans()
    assert row.target.endswith(f":table/{seeded}")
    assert row.findings > 0
    again = runner.invoke(app, [*base, "--fail-on-regression"])
    assert again.exit_code == 0, again.output
    assert "recorded as scan 2 in" in again.output
    document = json.loads(runner.invoke(app, [*base, "--format", "json",
                                              "--no-history"]).stdout)
    clean = tmp_path / "clean.json"
    clean.write_text(json.dumps({**document, "findings": [], "score": 100, "grade": "A"}))
    regressed = runner.invoke(app, [*base, "--no-history", "--baseline", str(clean)])
    assert regressed.exit_code == 1
    assert "gate failed" in regressed.output
    assert len(History().scans()) == 2


def test_item_limit_bounds_the_scan(dynamodb_endpoint: str, seeded: str) -> None:
    """--max-items stops reading and says so in every item check."""
    result = audit_now(dynamodb_endpoint, seeded, page_size=2, max_items=3)
    assert result.requests == 3 + 2
    items_checks = [c for c in result.checks if c.check.startswith(("audit.password",
                                                                    "audit.user"))]
    assert all("stopped at --max-items 3" in c.detail for c in items_checks)
    assert all(c.status is not CheckStatus.SKIPPED for c in result.checks)

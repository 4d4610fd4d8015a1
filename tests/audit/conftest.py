"""Fixtures for the table audit: a plain boto3 client on the test engine, and a runner.

Audit tests judge the cost of stored hashes, so the guard and the lab here store them at
the OWASP minimum Argon2 profile, not the suite's cheap one (which the audit rightly
reports as far too weak).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest

from dynaguard.audit import AuditConfig, run_audit
from dynaguard.scan.findings import Finding, ScanResult
from dynaguard.settings import Settings

Audit = Callable[..., ScanResult]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"argon2_profile": "owasp-minimum"})


@pytest.fixture(scope="session")
def dynamo(dynamodb_endpoint: str) -> Any:
    """A synchronous client for seeding tables and changing their settings."""
    return boto3.client("dynamodb", endpoint_url=dynamodb_endpoint, region_name="us-east-1",
                        aws_access_key_id="local", aws_secret_access_key="local")


@pytest.fixture
def new_table(dynamo: Any) -> Iterator[Callable[..., str]]:
    """``new_table(keys=("PK", "SK"))``: a fresh on-demand table with string keys."""
    made: list[str] = []

    def make(keys: tuple[str, ...] = ("PK", "SK")) -> str:
        name = f"audit-{uuid.uuid4().hex[:12]}"
        schema = [{"AttributeName": k, "KeyType": t} for k, t in
                  zip(keys, ("HASH", "RANGE"), strict=False)]
        dynamo.create_table(TableName=name, BillingMode="PAY_PER_REQUEST", KeySchema=schema,
                            AttributeDefinitions=[{"AttributeName": k, "AttributeType": "S"}
                                                  for k in keys])
        made.append(name)
        return name

    yield make
    for name in made:
        dynamo.delete_table(TableName=name)


async def audit_table(endpoint: str, table: str, **options: Any) -> ScanResult:
    return await run_audit(AuditConfig(table=table, endpoint=endpoint, region="us-east-1",
                                       **options))


def audit_now(endpoint: str, table: str, **options: Any) -> ScanResult:
    """The audit from synchronous code."""
    return asyncio.run(audit_table(endpoint, table, **options))


def by_check(result: ScanResult) -> dict[str, list[Finding]]:
    found: dict[str, list[Finding]] = {c.check: [] for c in result.checks}
    for finding in result.findings:
        found[finding.check].append(finding)
    return found

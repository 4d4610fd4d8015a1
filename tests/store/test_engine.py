"""The embedded engine isolates conditional writes as DynamoDB does."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from dynaguard.store.client import Dynamo, error_code, open_client
from dynaguard.store.engine import LocalEngine
from dynaguard.store.schema import ensure_table, key


@pytest.fixture(scope="module")
def engine() -> Iterator[LocalEngine]:
    local = LocalEngine()
    local.start()
    yield local
    local.stop()


async def test_concurrent_conditional_updates_succeed_once(engine: LocalEngine) -> None:
    """Rounds of 25 concurrent transactions spending one token: one wins each round, and
    the refused ones neither write nor undo anything."""
    rounds = 4
    async with open_client(engine.endpoint, "us-east-1") as client:
        db = Dynamo(client, "engine-isolation")
        await ensure_table(db)

        async def spend(token: str, n: int) -> str:
            try:
                await client.transact_write_items(TransactItems=[
                    {"Update": {"TableName": db.table, "Key": key(f"TOKEN#{token}", "TOKEN"),
                                "UpdateExpression": "SET used = :t",
                                "ConditionExpression": "attribute_exists(pk) AND used = :f",
                                "ExpressionAttributeValues": {":t": {"BOOL": True},
                                                              ":f": {"BOOL": False}}}},
                    {"Put": {"TableName": db.table, "Item": key(f"NEXT#{token}#{n}", "TOKEN"),
                             "ConditionExpression": "attribute_not_exists(pk)"}},
                ])
            except ClientError as error:
                return error_code(error)
            return "spent"

        for r in range(rounds):
            await client.put_item(TableName=db.table, Item={
                **key(f"TOKEN#t{r}", "TOKEN"), "used": {"BOOL": False}})
            results = await asyncio.gather(*(spend(f"t{r}", n) for n in range(25)))
            assert results.count("spent") == 1, (r, results)
            assert set(results) == {"spent", "TransactionCanceledException"}
        page = await client.scan(TableName=db.table)
    assert len(page["Items"]) == 2 * rounds


async def test_a_repeated_transaction_token_returns_the_first_success(
        engine: LocalEngine) -> None:
    """A retry whose first reply was lost (same ClientRequestToken) succeeds without
    writing twice; the token reused with other parameters is refused; a new token runs the
    transaction again and fails its condition."""
    async with open_client(engine.endpoint, "us-east-1") as client:
        db = Dynamo(client, "engine-idempotency")
        await ensure_table(db)
        counter = key("COUNTER#c", "COUNTER")

        def bump(token: str, by: int = 1) -> Any:
            return client.transact_write_items(ClientRequestToken=token, TransactItems=[
                {"Put": {"TableName": db.table, "Item": key("ONCE#c", "ONCE"),
                         "ConditionExpression": "attribute_not_exists(pk)"}},
                {"Update": {"TableName": db.table, "Key": counter,
                            "UpdateExpression": "ADD n :one",
                            "ExpressionAttributeValues": {":one": {"N": str(by)}}}},
            ])

        await bump("token-1")
        await bump("token-1")  # the retry: answered from the first success
        with pytest.raises(ClientError) as mismatch:
            await bump("token-1", by=2)
        assert error_code(mismatch.value) == "IdempotentParameterMismatchException"
        with pytest.raises(ClientError) as again:
            await bump("token-2")
        assert error_code(again.value) == "TransactionCanceledException"
        item = await client.get_item(TableName=db.table, Key=counter)
    assert item["Item"]["n"] == {"N": "1"}

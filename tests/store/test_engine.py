"""The embedded engine isolates conditional writes as DynamoDB does."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

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

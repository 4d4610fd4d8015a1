"""The direct per-request read: signed as botocore signs, read as botocore reads, and
failing as the client fails (StoreUnavailable, within the client's limits)."""

from __future__ import annotations

import datetime
import json
import socket
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import botocore.auth
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from dynaguard.errors import StoreUnavailable
from dynaguard.store.client import ClientLimits, Dynamo, open_store
from dynaguard.store.gate_reader import sign_v4
from dynaguard.store.schema import ensure_table, key

WHEN = datetime.datetime(2026, 12, 3, 15, 4, 5, tzinfo=datetime.UTC)
BODY = json.dumps({"TableName": "t", "Key": {"pk": {"S": "a"}, "sk": {"S": "b"}}}).encode()


@pytest.mark.parametrize("token", [None, "session-token/with+odd=chars"])
@pytest.mark.parametrize("host", ["dynamodb.eu-west-1.amazonaws.com", "127.0.0.1:8000"])
def test_the_signature_is_botocores(monkeypatch: pytest.MonkeyPatch, token: str | None,
                                    host: str) -> None:
    """Same request, same instant, same credentials: the same Authorization header."""
    creds = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", token)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: WHEN)
    request = AWSRequest(method="POST", url=f"https://{host}/", data=BODY, headers={
        "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": "DynamoDB_20120810.GetItem"})
    SigV4Auth(creds, "dynamodb", "eu-west-1").add_auth(request)
    ours = sign_v4(credentials=creds.get_frozen_credentials(), region="eu-west-1", host=host,
                   body=BODY, target="DynamoDB_20120810.GetItem", when=WHEN)
    assert ours["authorization"] == request.headers["Authorization"]
    assert ours["x-amz-date"] == request.headers["X-Amz-Date"]
    assert ours.get("x-amz-security-token") == request.headers.get("X-Amz-Security-Token")


def test_another_secret_or_day_signs_otherwise() -> None:
    a = Credentials("AKID", "secret-one").get_frozen_credentials()
    b = Credentials("AKID", "secret-two").get_frozen_credentials()
    one = sign_v4(credentials=a, region="us-east-1", host="h", body=BODY, target="T", when=WHEN)
    two = sign_v4(credentials=b, region="us-east-1", host="h", body=BODY, target="T", when=WHEN)
    later = sign_v4(credentials=a, region="us-east-1", host="h", body=BODY, target="T",
                    when=WHEN + datetime.timedelta(days=1))
    assert len({one["authorization"], two["authorization"], later["authorization"]}) == 3


@pytest.fixture
async def store(dynamodb_endpoint: str) -> AsyncIterator[Dynamo]:
    async with open_store(dynamodb_endpoint, "us-east-1", "gate-reader") as db:
        assert db.reader is not None
        await ensure_table(db)
        await db.client.put_item(TableName=db.table, Item={
            **key("USER#u", "SESSION#s"), "gate": {"S": '{"x":1}'}, "other": {"N": "7"}})
        yield db


async def test_it_reads_one_attribute_as_botocore_does(store: Dynamo) -> None:
    present = key("USER#u", "SESSION#s")
    assert await store.get_attribute(present, "gate") == {"S": '{"x":1}'}
    assert await store.get_attribute(present, "missing") is None
    assert await store.get_attribute(key("USER#u", "SESSION#absent"), "gate") is None
    botocore_read = await store.client.get_item(
        TableName=store.table, Key=present, ConsistentRead=True,
        ProjectionExpression="#a", ExpressionAttributeNames={"#a": "gate"})
    assert botocore_read["Item"]["gate"] == await store.get_attribute(present, "gate")


async def test_a_missing_table_is_unavailable_not_absent(store: Dynamo) -> None:
    """An engine that refuses (here: no such table) is no answer: never "no session"."""
    store.reader.table = "no-such-table"  # type: ignore[union-attr]
    with pytest.raises(StoreUnavailable):
        await store.get_attribute(key("USER#u", "SESSION#s"), "gate")


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never answers (a hung engine)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        yield listener.getsockname()[1]


async def test_a_hung_engine_costs_the_call_deadline_at_most(silent_port: int) -> None:
    limits = ClientLimits(connect_timeout=0.2, read_timeout=0.3, max_attempts=3,
                          call_timeout=0.7)
    endpoint = f"http://127.0.0.1:{silent_port}"
    async with open_store(endpoint, "us-east-1", "t", limits) as db:
        started = time.monotonic()
        with pytest.raises(StoreUnavailable):
            await db.get_attribute(key("USER#u", "SESSION#s"), "gate")
        assert time.monotonic() - started < 0.7 + 0.3


async def test_a_refused_connection_is_retried_then_unavailable() -> None:
    with socket.socket() as placeholder:
        placeholder.bind(("127.0.0.1", 0))
        port = placeholder.getsockname()[1]
    limits = ClientLimits(max_attempts=3)
    attempts: list[Any] = []
    async with open_store(f"http://127.0.0.1:{port}", "us-east-1", "t", limits) as db:
        assert db.reader is not None
        real = db.reader._attempt

        async def counted(*args: Any) -> Any:
            attempts.append(args)
            return await real(*args)

        db.reader._attempt = counted  # type: ignore[method-assign]
        started = time.monotonic()
        with pytest.raises(StoreUnavailable):
            await db.get_attribute(key("USER#u", "SESSION#s"), "gate")
        assert time.monotonic() - started < 1.0
    assert len(attempts) == 3

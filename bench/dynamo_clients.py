"""DynamoDB clients side by side: CPU per call and calls per second, one loop, one engine.

    .venv/bin/python -m bench.dynamo_clients [--calls 400] [--rounds 2]

The three calls the guard's request path makes, with the parameters it uses: ``GetItem``
with ``ConsistentRead`` and a ``ProjectionExpression``, ``TransactWriteItems`` of a
conditional put and a conditional update, and a consistent ``BatchGetItem`` of two items.
Each client runs the same calls, 8 at a time, on the same event loop against the same
engine process (`python -m dynaguard.store.engine`), in rounds that alternate the clients
so drift on a shared machine hits them alike. CPU is this process's (``process_time``):
the client's own cost, the engine's being in another process. Clients:

- ``aiobotocore``: as the guard opens it (``dynaguard.store.client.open_client``);
- ``aiobotocore, no validation``: the same with ``parameter_validation=False``;
- ``aiodynamo``, if installed (``pip install aiodynamo[aiohttp]``; not a dependency):
  its ``send_request`` with the same DynamoDB-JSON payloads (the guard builds its own),
  and its typed ``get_item`` / ``batch_get`` for comparison.

Bounded: ``--calls`` per client, operation and round, and 60 s per measurement.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import os
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
from aiobotocore.config import AioConfig
from aiobotocore.session import get_session

from dynaguard.store.client import ClientLimits, open_client
from dynaguard.store.engine import free_port
from dynaguard.store.retries import install_retry_policy

TABLE = "clients"
CONCURRENCY = 8
# Every client waits as long as the engine needs (it is moto on a shared machine, slower
# than DynamoDB): a timed-out and retried call would measure the retry, not the client.
PATIENT = ClientLimits(read_timeout=10, call_timeout=30)
Call = Callable[[int], Awaitable[Any]]


def _get_kwargs(n: int) -> dict[str, Any]:
    return {"TableName": TABLE, "Key": {"pk": {"S": f"USER#{n % 50}"}, "sk": {"S": "PROFILE"}},
            "ConsistentRead": True, "ProjectionExpression": "#e, enabled, scopes, cv",
            "ExpressionAttributeNames": {"#e": "email"}}


def _batch_kwargs(n: int) -> dict[str, Any]:
    keys = [{"pk": {"S": f"USER#{n % 50}"}, "sk": {"S": "PROFILE"}},
            {"pk": {"S": f"USER#{(n + 1) % 50}"}, "sk": {"S": "PROFILE"}}]
    return {"RequestItems": {TABLE: {"Keys": keys, "ConsistentRead": True}}}


_SERIAL = itertools.count()


def _transact_kwargs(_: int, run: str) -> dict[str, Any]:
    n = next(_SERIAL)  # every transaction new: a repeated token is answered from memory
    return {"ClientRequestToken": f"{run}-{n}", "TransactItems": [
        {"Put": {"TableName": TABLE, "Item": {"pk": {"S": f"SESSION#{run}-{n}"},
                                              "sk": {"S": "SESSION"}, "v": {"N": "1"}},
                 "ConditionExpression": "attribute_not_exists(pk)"}},
        {"Update": {"TableName": TABLE,
                    "Key": {"pk": {"S": f"USER#{n % 50}"}, "sk": {"S": "PROFILE"}},
                    "UpdateExpression": "SET logins = if_not_exists(logins, :z) + :one",
                    "ConditionExpression": "enabled = :t",
                    "ExpressionAttributeValues": {":z": {"N": "0"}, ":one": {"N": "1"},
                                                  ":t": {"BOOL": True}}}},
    ]}


def _profile(n: int) -> dict[str, Any]:
    return {"pk": {"S": f"USER#{n}"}, "sk": {"S": "PROFILE"},
            "email": {"S": f"user{n}@example.com"}, "enabled": {"BOOL": True},
            "scopes": {"L": [{"S": "notes:read"}, {"S": "notes:write"}]}, "cv": {"N": "3"},
            "hash": {"S": "$argon2id$v=19$m=65536,t=3,p=4$" + "x" * 60}}


@contextlib.contextmanager
def _engine() -> Any:
    port = free_port()
    proc = subprocess.Popen(  # noqa: S603 -- our own interpreter, fixed arguments
        [sys.executable, "-m", "dynaguard.store.engine", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(endpoint + "/moto-api/", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield endpoint
    finally:
        proc.terminate()
        proc.wait(10)


@contextlib.asynccontextmanager
async def _botocore_calls(endpoint: str, *, validate: bool) -> AsyncIterator[dict[str, Call]]:
    if validate:
        opened: Any = open_client(endpoint, "us-east-1", PATIENT)
    else:
        limits = PATIENT
        config = AioConfig(retries={"mode": "standard", "total_max_attempts": 1},
                           connect_timeout=limits.connect_timeout,
                           read_timeout=limits.read_timeout,
                           max_pool_connections=limits.max_in_flight,
                           parameter_validation=False)
        opened = get_session().create_client(
            "dynamodb", region_name="us-east-1", endpoint_url=endpoint, config=config,
            aws_access_key_id="local", aws_secret_access_key="local")
    run = uuid.uuid4().hex[:8]
    async with opened as client:
        if not validate:
            install_retry_policy(client, PATIENT.max_attempts)
        yield {
            "GetItem": lambda n: client.get_item(**_get_kwargs(n)),
            "TransactWriteItems": lambda n: client.transact_write_items(
                **_transact_kwargs(n, run)),
            "BatchGetItem": lambda n: client.batch_get_item(**_batch_kwargs(n)),
        }


@contextlib.asynccontextmanager
async def _aiodynamo_calls(endpoint: str, *, typed: bool) -> AsyncIterator[dict[str, Call]]:
    import aiohttp  # noqa: PLC0415 -- aiobotocore's own HTTP client, installed with it
    from aiodynamo.client import Client  # noqa: PLC0415 -- optional, checked by the caller
    from aiodynamo.credentials import Key, StaticCredentials  # noqa: PLC0415
    from aiodynamo.expressions import F  # noqa: PLC0415
    from aiodynamo.http.aiohttp import AIOHTTP  # noqa: PLC0415
    from aiodynamo.models import BatchGetRequest  # noqa: PLC0415
    from yarl import URL  # noqa: PLC0415

    connector = aiohttp.TCPConnector(limit=PATIENT.max_in_flight)
    timeout = aiohttp.ClientTimeout(sock_connect=PATIENT.connect_timeout,
                                    sock_read=PATIENT.read_timeout)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        client = Client(AIOHTTP(session), StaticCredentials(Key("local", "local")),
                        "us-east-1", URL(endpoint))
        run = uuid.uuid4().hex[:8]

        def raw(action: str, payload: Callable[[int], dict[str, Any]]) -> Call:
            return lambda n: client.send_request(action=action, payload=payload(n))

        calls = {
            "GetItem": raw("GetItem", _get_kwargs),
            "TransactWriteItems": raw("TransactWriteItems",
                                      lambda n: _transact_kwargs(n, run)),
            "BatchGetItem": raw("BatchGetItem", _batch_kwargs),
        }
        if typed:
            projection = F("email") & F("enabled") & F("scopes") & F("cv")
            calls = {
                "GetItem": lambda n: client.get_item(
                    TABLE, {"pk": f"USER#{n % 50}", "sk": "PROFILE"},
                    projection=projection, consistent_read=True),
                "BatchGetItem": lambda n: client.batch_get({TABLE: BatchGetRequest(
                    keys=[{"pk": f"USER#{n % 50}", "sk": "PROFILE"},
                          {"pk": f"USER#{(n + 1) % 50}", "sk": "PROFILE"}],
                    consistent_read=True)}),
            }
        yield calls


async def _measure(call: Call, calls: int) -> tuple[float, float, int]:
    """CPU ms per call, calls per second, and failed calls, for ``calls`` calls."""
    issued = 0
    failed = 0

    async def worker() -> None:
        nonlocal issued, failed
        while issued < calls and time.perf_counter() < deadline:
            n = issued
            issued += 1
            try:
                await call(n)
            except Exception:  # noqa: BLE001 -- a benchmark counts failures, never hides them
                failed += 1

    cpu0, wall0 = time.process_time(), time.perf_counter()
    deadline = wall0 + 60
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    return cpu / issued * 1000, issued / wall, failed


CLIENTS: dict[str, Callable[[str], contextlib.AbstractAsyncContextManager[dict[str, Call]]]] = {
    "aiobotocore": lambda e: _botocore_calls(e, validate=True),
    "aiobotocore, no validation": lambda e: _botocore_calls(e, validate=False),
    "aiodynamo, raw payloads": lambda e: _aiodynamo_calls(e, typed=False),
    "aiodynamo, typed API": lambda e: _aiodynamo_calls(e, typed=True),
}


async def _seed(endpoint: str) -> None:
    async with open_client(endpoint, "us-east-1", PATIENT) as client:
        await client.create_table(
            TableName=TABLE, BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                       {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                  {"AttributeName": "sk", "AttributeType": "S"}])
        for n in range(50):
            await client.put_item(TableName=TABLE, Item=_profile(n))


async def main(calls: int, rounds: int) -> None:
    try:
        import aiodynamo  # noqa: F401, PLC0415
    except ImportError:
        print("aiodynamo is not installed: measuring aiobotocore only", file=sys.stderr)
        for name in [n for n in CLIENTS if n.startswith("aiodynamo")]:
            del CLIENTS[name]
    results: dict[tuple[str, str], list[tuple[float, float, int]]] = defaultdict(list)
    load = [os.getloadavg()]
    with _engine() as endpoint:
        await _seed(endpoint)
        for _ in range(rounds):
            for name, opener in CLIENTS.items():
                async with opener(endpoint) as ops:
                    for op, call in ops.items():
                        await _measure(call, 40)  # connections and caches warm
                        results[op, name].append(await _measure(call, calls))
    load.append(os.getloadavg())
    print(f"{calls} calls per client, operation and round, {rounds} rounds, "
          f"{CONCURRENCY} at a time; load average before {load[0]}, after {load[1]}")
    print("| operation | client | CPU per call (best round) | calls/s (best round) "
          "| failed |")
    print("|---|---|---|---|---|")
    for (op, name), runs in sorted(results.items()):
        cpu = min(r[0] for r in runs)
        rate = max(r[1] for r in runs)
        print(f"| {op} | {name} | {cpu:.2f} ms | {rate:.0f} | {sum(r[2] for r in runs)} |")


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    asyncio.run(main(min(args.calls, 5000), min(args.rounds, 5)))


if __name__ == "__main__":
    cli()

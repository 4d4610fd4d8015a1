"""A loopback HTTP proxy in front of a DynamoDB engine: counts calls, injects faults.

The benchmarks count DynamoDB round trips with it (per operation, from the
``X-Amz-Target`` header), and the reliability tests make it answer a configured share of
calls with a DynamoDB-shaped throttling error or a 500, before or after forwarding them.
Every attempt carries botocore's ``amz-sdk-invocation-id`` and ``amz-sdk-request``
headers, so retries of one logical call can be counted here too.

Two more things for the benchmarks: ``delay`` holds every call that long before it is
forwarded (an engine a network hop away, as DynamoDB is), and ``meter_reads`` counts the
read capacity units of every read, twice: as the engine reports them (the proxy asks for
``ReturnConsumedCapacity: TOTAL``) and by DynamoDB's own sizing rules
(:mod:`bench.read_units`), for which it reads the full items again, uncounted, when a
projection trimmed the answer.

It speaks just enough HTTP/1.1 for botocore: keep-alive, ``Content-Length`` bodies.
Listens on 127.0.0.1 only.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

from bench.read_units import READS, item_size, query_units, read_units

__all__ = ["DynamoProxy", "Faults", "ProxyThread"]

AMZ_JSON = "application/x-amz-json-1.0"
THROTTLE_CODES = ("ProvisionedThroughputExceededException", "ThrottlingException")
HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


@dataclass
class Faults:
    """Shares of calls (0..1) answered with a fault instead of the engine's answer.

    ``throttle`` and ``error`` answer without forwarding (DynamoDB refused the call);
    ``lost_reply`` forwards the call, so it takes effect, then answers 500 (the reply
    was lost on the way back), which is what makes retried writes interesting.
    """

    throttle: float = 0.0
    error: float = 0.0
    lost_reply: float = 0.0
    operations: frozenset[str] | None = None  # None: every operation

    def applies_to(self, operation: str) -> bool:
        return self.operations is None or operation in self.operations


@dataclass
class DynamoProxy:
    """Forwards to ``upstream``; ``calls`` counts attempts per operation."""

    upstream: str
    faults: Faults = field(default_factory=Faults)
    seed: int = 0
    calls: Counter[str] = field(default_factory=Counter)
    injected: Counter[str] = field(default_factory=Counter)
    attempts_per_invocation: Counter[str] = field(default_factory=Counter)
    delay: float = 0.0  # seconds added to every call
    meter_reads: bool = False
    read_units: Counter[str] = field(default_factory=Counter)  # "engine", "rules"
    port: int = 0
    _server: asyncio.Server | None = None
    _client: httpx.AsyncClient | None = None
    _random: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)  # noqa: S311 -- fault schedule, not secrets

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def reset(self) -> None:
        """Forget every count (between measured phases)."""
        self.calls.clear()
        self.injected.clear()
        self.attempts_per_invocation.clear()
        self.read_units.clear()

    @property
    def total(self) -> int:
        return sum(self.calls.values())

    async def start(self) -> None:
        self._client = httpx.AsyncClient(base_url=self.upstream, timeout=10.0,
                                         limits=httpx.Limits(max_connections=64))
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._server.wait_closed(), 2)
        if self._client is not None:
            await self._client.aclose()

    async def __aenter__(self) -> DynamoProxy:
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.stop()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                method, path, headers = _parse_head(head)
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                status, out_headers, payload = await self._answer(method, path, headers, body)
                writer.write(_response(status, out_headers, payload))
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            writer.close()

    async def _answer(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        operation = headers.get("x-amz-target", "").rpartition(".")[2] or f"{method} {path}"
        self.calls[operation] += 1
        invocation = headers.get("amz-sdk-invocation-id")
        if invocation:
            self.attempts_per_invocation[invocation] += 1
        faults = self.faults if self.faults.applies_to(operation) else Faults()
        roll = self._random.random()
        if roll < faults.throttle:
            self.injected["throttle"] += 1
            code = THROTTLE_CODES[self.injected["throttle"] % 2]
            return 400, [("content-type", AMZ_JSON)], _error(code, "Rate exceeded")
        if roll < faults.throttle + faults.error:
            self.injected["error"] += 1
            return 500, [("content-type", AMZ_JSON)], _error("InternalServerError",
                                                             "Internal server error")
        assert self._client is not None
        forward = {k: v for k, v in headers.items() if k not in HOP_HEADERS}
        if self.delay:
            await asyncio.sleep(self.delay)
        metered = self.meter_reads and operation in READS
        request: dict[str, Any] = json.loads(body) if metered else {}
        if metered and "ReturnConsumedCapacity" not in request:
            body = json.dumps({**request, "ReturnConsumedCapacity": "TOTAL"}).encode()
        reply = await self._client.request(method, path, headers=forward, content=body)
        if metered and reply.status_code == 200:
            await self._meter(operation, request, reply.json(), forward)
        if roll < faults.throttle + faults.error + faults.lost_reply:
            self.injected["lost_reply"] += 1
            return 500, [("content-type", AMZ_JSON)], _error("InternalServerError",
                                                             "Internal server error")
        out = [(k, v) for k, v in reply.headers.items() if k.lower() not in HOP_HEADERS]
        return reply.status_code, out, reply.content


    async def _side_read(self, headers: dict[str, str], request: dict[str, Any]) -> Any:
        assert self._client is not None
        reply = await self._client.post("/", headers=headers, content=json.dumps(request))
        reply.raise_for_status()
        return reply.json()

    async def _meter(self, operation: str, request: dict[str, Any], answer: dict[str, Any],
                     headers: dict[str, str]) -> None:
        """Add one read's units, as the engine reports them and by DynamoDB's rules."""
        reported = answer.get("ConsumedCapacity") or []
        for entry in reported if isinstance(reported, list) else [reported]:
            self.read_units["engine"] += float(entry.get("CapacityUnits", 0))
        consistent = bool(request.get("ConsistentRead"))
        if operation == "GetItem":
            item = answer.get("Item")
            if "ProjectionExpression" in request:
                item = (await self._side_read(headers, _unprojected(request))).get("Item")
            self.read_units["rules"] += read_units(item_size(item), consistent=consistent)
        elif operation == "BatchGetItem":
            responses = answer.get("Responses", {})
            for table, wanted in request["RequestItems"].items():
                items = responses.get(table, [])
                if "ProjectionExpression" in wanted:
                    side = {"RequestItems": {table: _unprojected(wanted)}}
                    items = (await self._side_read(headers, side))["Responses"].get(table, [])
                strong = bool(wanted.get("ConsistentRead"))
                sizes = [item_size(i) for i in items]
                sizes += [0] * (len(wanted["Keys"]) - len(items))  # a missing item costs too
                self.read_units["rules"] += sum(read_units(n, consistent=strong) for n in sizes)
        elif operation == "Query":
            items = answer.get("Items", [])
            if "ProjectionExpression" in request:
                items = (await self._side_read(headers, _unprojected(request))).get("Items", [])
            strong = consistent and "IndexName" not in request
            self.read_units["rules"] += query_units([item_size(i) for i in items],
                                                    consistent=strong)
        else:  # TransactGetItems: twice a strongly consistent read, per item
            for entry in answer.get("Responses", []):
                self.read_units["rules"] += 2 * read_units(item_size(entry.get("Item")),
                                                           consistent=True)


def _unprojected(request: dict[str, Any]) -> dict[str, Any]:
    """``request`` reading whole items: no projection, no names only the projection used."""
    out = {k: v for k, v in request.items()
           if k not in ("ProjectionExpression", "ReturnConsumedCapacity")}
    if out.get("Select") == "SPECIFIC_ATTRIBUTES":
        del out["Select"]
    names = out.pop("ExpressionAttributeNames", None)
    if names:
        used = " ".join(str(out.get(k, "")) for k in
                        ("KeyConditionExpression", "FilterExpression"))
        kept = {k: v for k, v in names.items() if k in used}
        if kept:
            out["ExpressionAttributeNames"] = kept
    return out


def _parse_head(head: bytes) -> tuple[str, str, dict[str, str]]:
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if ":" in line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    return method, path, headers


def _error(code: str, message: str) -> bytes:
    return json.dumps({"__type": f"com.amazonaws.dynamodb.v20120810#{code}",
                       "message": message}).encode()


def _response(status: int, headers: list[tuple[str, str]], payload: bytes) -> bytes:
    lines = [f"HTTP/1.1 {status} {'OK' if status < 400 else 'Error'}"]
    lines += [f"{k}: {v}" for k, v in headers]
    lines += [f"content-length: {len(payload)}", "connection: keep-alive", "", ""]
    return "\r\n".join(lines).encode("latin-1") + payload


class ProxyThread:
    """A :class:`DynamoProxy` on an event loop of its own thread, for callers that block."""

    def __init__(self, proxy: DynamoProxy) -> None:
        self.proxy = proxy
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True,
                                        name="dynamo-proxy")

    def __enter__(self) -> DynamoProxy:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.proxy.start(), self._loop).result(10)
        return self.proxy

    def __exit__(self, *_: object) -> None:
        asyncio.run_coroutine_threadsafe(self.proxy.stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()

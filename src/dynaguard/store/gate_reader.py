"""The per-request read, spoken to DynamoDB directly: one signed ``GetItem`` of a gate.

An authenticated request makes exactly one store call, always the same one: a consistent
``GetItem`` of one session's ``gate`` attribute. Through botocore that call spends most
of a request's CPU in machinery this one call does not need (the request is built from
the service model, hooks run, the user agent is rebuilt, the endpoint rules are
re-evaluated, the answer is parsed against the model). This module sends that one request
itself, over a pooled aiohttp connection, and parses the one attribute it asked for.

What it keeps from the client it stands beside (:class:`~dynaguard.store.client.Dynamo`):

* the same endpoint, region and credential chain (botocore's, refreshed as botocore
  refreshes it), signed with Signature Version 4 (checked against botocore's signer in
  the tests);
* the same limits (:class:`~dynaguard.store.client.ClientLimits`): connect and read
  timeouts per attempt, a deadline over the whole call, the in-flight ceiling (counted
  with the client's calls), and bounded, jittered retries on the same conditions as
  :mod:`.retries` (throttling, 5xx, dropped or timed-out connections, a CRC mismatch);
* the same failure mapping: anything but a well-formed answer is ``StoreUnavailable``,
  so an outage or a surprise is a 503, never a decision.

Every other call still goes through botocore: this is the hot path only.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import functools
import hashlib
import hmac
import json
import random
import zlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

import aiohttp
import structlog

from dynaguard.errors import StoreUnavailable

__all__ = ["Credentials", "GateReader", "open_gate_reader", "sign_v4"]

log = structlog.get_logger("dynaguard.store")

_TARGET = "DynamoDB_20120810.GetItem"
_CONTENT_TYPE = "application/x-amz-json-1.0"
_RETRYABLE_CODES = frozenset({
    "ProvisionedThroughputExceededException", "ThrottlingException",
    "RequestLimitExceeded", "InternalServerError", "ServiceUnavailable",
    "TransactionInProgressException",
})
_THROTTLING_CODES = frozenset({
    "ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"})


class Credentials(Protocol):
    """botocore's frozen credentials, as ``get_frozen_credentials`` returns them."""

    access_key: str
    secret_key: str
    token: str | None


class CredentialSource(Protocol):
    async def get_frozen_credentials(self) -> Credentials: ...


def sign_v4(*, credentials: Credentials, region: str, host: str, body: bytes,
            target: str, when: datetime.datetime) -> dict[str, str]:
    """The headers of a SigV4-signed DynamoDB JSON request (POST to ``/``)."""
    amz_date = when.strftime("%Y%m%dT%H%M%SZ")
    day = amz_date[:8]
    headers = {"content-type": _CONTENT_TYPE, "host": host, "x-amz-date": amz_date,
               "x-amz-target": target}
    if credentials.token:
        headers["x-amz-security-token"] = credentials.token
    names = sorted(headers)
    signed = ";".join(names)
    canonical = "\n".join([
        "POST", "/", "", *(f"{n}:{headers[n]}" for n in names), "", signed,
        hashlib.sha256(body).hexdigest()])
    scope = f"{day}/{region}/dynamodb/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                         hashlib.sha256(canonical.encode()).hexdigest()])
    key = _signing_key(credentials.secret_key, day, region)
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = (
        f"AWS4-HMAC-SHA256 Credential={credentials.access_key}/{scope}, "
        f"SignedHeaders={signed}, Signature={signature}")
    del headers["host"]  # aiohttp sends it from the URL, byte for byte the same
    return headers


@functools.lru_cache(maxsize=4)
def _signing_key(secret: str, day: str, region: str) -> bytes:
    """The day's derived key (four HMACs), computed once per secret, day and region."""
    key = ("AWS4" + secret).encode()
    for part in (day, region, "dynamodb", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


class _Retry(Exception):
    """This attempt failed in a way another attempt may not."""

    def __init__(self, why: str, *, throttled: bool = False) -> None:
        super().__init__(why)
        self.why = why
        self.throttled = throttled


@dataclass
class GateReader:
    """Reads one attribute of one item, consistently, with the client's limits."""

    http: aiohttp.ClientSession
    url: str
    host: str
    region: str
    table: str
    credentials: CredentialSource
    max_attempts: int
    rand: Callable[[], float] = random.random

    async def get_attribute(self, key: dict[str, dict[str, str]], name: str) -> Any:
        """The attribute's raw value ({"S": ...} and the like); None when the item or the
        attribute is absent. Raises StoreUnavailable on any failure."""
        body = json.dumps({"TableName": self.table, "Key": key, "ConsistentRead": True,
                           "ProjectionExpression": "#a",
                           "ExpressionAttributeNames": {"#a": name}},
                          separators=(",", ":")).encode()
        for attempt in range(1, self.max_attempts + 1):
            try:
                return await self._attempt(body, name)
            except _Retry as failed:
                if attempt == self.max_attempts:
                    log.warning("dynamodb_unavailable", code=failed.why)
                    raise StoreUnavailable from None
                base, cap = (0.1, 1.0) if failed.throttled else (0.025, 0.25)
                await asyncio.sleep(self.rand() * min(cap, base * 2 ** (attempt - 1)))
        raise StoreUnavailable  # max_attempts < 1

    async def _attempt(self, body: bytes, name: str) -> Any:
        creds = await self.credentials.get_frozen_credentials()
        headers = sign_v4(credentials=creds, region=self.region, host=self.host, body=body,
                          target=_TARGET, when=datetime.datetime.now(datetime.UTC))
        try:
            async with self.http.post(self.url, data=body, headers=headers) as answer:
                raw = await answer.read()
                status = answer.status
                crc = answer.headers.get("x-amz-crc32")
        except (aiohttp.ClientError, TimeoutError, OSError) as error:
            raise _Retry(type(error).__name__) from None
        if crc is not None and (not crc.isdigit() or int(crc) != zlib.crc32(raw)):
            raise _Retry("crc32 mismatch")
        try:
            parsed = json.loads(raw)
        except ValueError:
            parsed = None
        if not isinstance(parsed, dict):
            if status >= 500:
                raise _Retry(f"http {status}")
            raise _Unanswered(f"http {status}")
        if status != 200:
            code = str(parsed.get("__type", "")).rpartition("#")[2]
            if code in _RETRYABLE_CODES or status >= 500:
                raise _Retry(code or f"http {status}", throttled=code in _THROTTLING_CODES)
            raise _Unanswered(code or f"http {status}")
        item = parsed.get("Item")
        if item is None:
            return None
        if not isinstance(item, dict):
            raise _Unanswered("malformed answer")
        return item.get(name)


class _Unanswered(StoreUnavailable):
    """The engine refused the request (not retryable): still no decision, a 503."""

    def __init__(self, why: str) -> None:
        super().__init__()
        log.warning("dynamodb_refused", code=why)


@contextlib.asynccontextmanager
async def open_gate_reader(client: Any, table: str, *, credentials: CredentialSource,
                           connect_timeout: float, read_timeout: float, max_attempts: int,
                           max_in_flight: int) -> AsyncIterator[GateReader]:
    """A reader for ``table`` at the aiobotocore ``client``'s endpoint and region."""
    url = str(client.meta.endpoint_url)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"unusable DynamoDB endpoint: {url}")
    default_port = {"http": 80, "https": 443}[parts.scheme]
    host = parts.hostname if parts.port in (None, default_port) else parts.netloc
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=connect_timeout,
                                    sock_read=read_timeout)
    connector = aiohttp.TCPConnector(limit=max_in_flight, ttl_dns_cache=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout,
                                     skip_auto_headers=("User-Agent",),
                                     auto_decompress=False) as http:
        yield GateReader(http=http, url=url.rstrip("/") + "/", host=host,
                         region=str(client.meta.region_name), table=table,
                         credentials=credentials, max_attempts=max_attempts)

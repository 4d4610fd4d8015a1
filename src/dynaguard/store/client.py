"""The one aiobotocore DynamoDB client of a process, and the mapping of its failures.

Every call goes through :meth:`Dynamo.call`, which turns throttling, 5xx and network
errors (after the retries of :mod:`.retries`) into :class:`StoreUnavailable`, so no caller
can mistake an outage for an answer. Errors are matched by code, never by message.

Fail fast, fail closed: an engine that hangs or refuses must cost a request a bounded,
short time, then a 503 with ``Retry-After``. Three limits see to it (:class:`ClientLimits`):
socket connect and read timeouts per attempt; a deadline over the whole call, attempts and
waits included; and a ceiling on store calls in flight, beyond which a call is refused at
once instead of queueing behind the ones already waiting on a dead engine. The ceiling is
also the size of the connection pool, so an admitted call never waits for a connection.
A call cut by its deadline may still have taken effect: callers already treat
``StoreUnavailable`` as "outcome unknown" (a lost reply looks the same).

Why aiobotocore, although it is most of a request's client CPU: aiodynamo spends about
half its CPU per call (``bench/dynamo_clients.py``), but it has neither botocore's
credential chain (web identity, SSO, assume-role profiles, ``credential_process``) nor a
generated ``ClientRequestToken`` for transactions, and its errors are shaped otherwise
than the ``ClientError`` codes and cancellation reasons every repository reads.
``parameter_validation=False`` saved nothing measurable, so requests stay validated.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import structlog
from aiobotocore.config import AioConfig
from aiobotocore.credentials import AioCredentials
from aiobotocore.session import get_session
from botocore.exceptions import BotoCoreError, ClientError

from dynaguard.errors import StoreUnavailable
from dynaguard.store.gate_reader import GateReader, open_gate_reader
from dynaguard.store.retries import install_retry_policy

if TYPE_CHECKING:
    from types_aiobotocore_dynamodb import DynamoDBClient

    from dynaguard.settings import Settings

__all__ = ["UNAVAILABLE_CODES", "ClientLimits", "Dynamo", "error_code", "open_client",
           "open_store"]

log = structlog.get_logger("dynaguard.store")
T = TypeVar("T")

UNAVAILABLE_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "LimitExceededException",
        "ResourceNotFoundException",
    }
)


def error_code(error: ClientError) -> str:
    """The DynamoDB error code of a client error."""
    return str(error.response.get("Error", {}).get("Code", ""))


def cancellation_codes(error: ClientError) -> list[str]:
    """Per-item reasons of a cancelled transaction, in request order."""
    reasons = error.response.get("CancellationReasons", [])
    return [str(r.get("Code", "None")) for r in reasons]


def cancelled_by_condition(error: ClientError) -> bool:
    """True when a transaction was cancelled because a condition (or a concurrent
    transaction on the same item) said no; raises StoreUnavailable when it was cancelled
    for capacity, and False for any other error."""
    if error_code(error) != "TransactionCanceledException":
        return False
    codes = set(cancellation_codes(error))
    if codes & {"ThrottlingError", "ProvisionedThroughputExceeded", "RequestLimitExceeded"}:
        raise StoreUnavailable from None
    return bool(codes & {"ConditionalCheckFailed", "TransactionConflict"})


@dataclass(frozen=True)
class ClientLimits:
    """How long a store call may take and how many may be under way (see the module)."""

    connect_timeout: float = 0.5
    read_timeout: float = 0.8
    max_attempts: int = 3
    call_timeout: float = 1.2
    max_in_flight: int = 128

    @classmethod
    def from_settings(cls, settings: Settings) -> ClientLimits:
        """The configured limits; at least 5 s per attempt and 25 s per call with the
        embedded engine, which serves one request at a time in this very process, so
        that a burst queues behind it as DynamoDB's calls never queue."""
        limits = cls(
            connect_timeout=settings.dynamodb_connect_timeout,
            read_timeout=settings.dynamodb_read_timeout,
            max_attempts=settings.dynamodb_max_attempts,
            call_timeout=settings.dynamodb_call_timeout,
            max_in_flight=settings.dynamodb_max_in_flight,
        )
        if settings.embedded:
            return dataclasses.replace(limits, read_timeout=max(limits.read_timeout, 5.0),
                                       call_timeout=max(limits.call_timeout, 25.0))
        return limits


class Dynamo:
    """A DynamoDB client bound to one table, with outages mapped to ``StoreUnavailable``."""

    def __init__(self, client: DynamoDBClient, table: str,
                 limits: ClientLimits | None = None, reader: GateReader | None = None) -> None:
        self.client = client
        self.table = table
        self.limits = limits or ClientLimits()
        self.reader = reader
        self.calls = 0
        self.in_flight = 0
        self.shed = 0

    async def get_attribute(self, key: dict[str, dict[str, str]], name: str) -> Any:
        """One attribute of one item, read consistently (the per-request read): its raw
        value, or None when the item or the attribute is absent. Sent directly
        (:mod:`.gate_reader`) when a reader is attached, else through botocore; the
        same limits and failure mapping either way."""
        if self.reader is None:
            found = await self.call(
                self.client.get_item, TableName=self.table, Key=key, ConsistentRead=True,
                ProjectionExpression="#a", ExpressionAttributeNames={"#a": name})
            return found.get("Item", {}).get(name)
        return await self.call(self.reader.get_attribute, key=key, name=name)

    async def call(self, operation: Callable[..., Awaitable[T]], **kwargs: Any) -> T:
        """Run one client operation; outages raise, domain errors (conditions) propagate."""
        self.calls += 1
        if self.in_flight >= self.limits.max_in_flight:
            self.shed += 1
            log.warning("dynamodb_overloaded", in_flight=self.in_flight)
            raise StoreUnavailable
        self.in_flight += 1
        try:
            async with asyncio.timeout(self.limits.call_timeout):
                return await operation(**kwargs)
        except TimeoutError:
            log.warning("dynamodb_timeout", seconds=self.limits.call_timeout)
            raise StoreUnavailable from None
        except ClientError as error:
            code = error_code(error)
            if code in UNAVAILABLE_CODES:
                log.warning("dynamodb_unavailable", code=code)
                raise StoreUnavailable from None
            raise
        except BotoCoreError as error:
            log.warning("dynamodb_unreachable", error=type(error).__name__)
            raise StoreUnavailable from None
        finally:
            self.in_flight -= 1


def _client_config(limits: ClientLimits) -> AioConfig:
    return AioConfig(
        # One attempt here: install_retry_policy adds the attempts, with bounded waits.
        retries={"mode": "standard", "total_max_attempts": 1},
        connect_timeout=limits.connect_timeout,
        read_timeout=limits.read_timeout,
        max_pool_connections=limits.max_in_flight,
    )


def _is_local(endpoint: str | None) -> bool:
    return endpoint is not None and endpoint.startswith(
        ("http://127.", "http://localhost", "http://[::1]"))


@contextlib.asynccontextmanager
async def open_client(endpoint: str | None, region: str,
                      limits: ClientLimits | None = None) -> Any:
    """Open the process's client: ``endpoint`` None means AWS's own endpoint chain."""
    limits = limits or ClientLimits()
    session = get_session()
    kwargs: dict[str, Any] = {"region_name": region, "config": _client_config(limits)}
    if endpoint is not None:
        kwargs["endpoint_url"] = endpoint
        if _is_local(endpoint):
            # A local engine accepts any credentials; do not require real ones.
            kwargs.setdefault("aws_access_key_id", "local")
            kwargs.setdefault("aws_secret_access_key", "local")
    async with session.create_client("dynamodb", **kwargs) as client:
        install_retry_policy(client, limits.max_attempts)
        yield client


@contextlib.asynccontextmanager
async def open_store(endpoint: str | None, region: str, table: str,
                     limits: ClientLimits | None = None) -> AsyncIterator[Dynamo]:
    """The process's :class:`Dynamo`: the client, and the direct reader of the
    per-request read beside it (signed with the same credential chain)."""
    limits = limits or ClientLimits()
    async with open_client(endpoint, region, limits) as client:
        credentials: Any = (AioCredentials("local", "local") if _is_local(endpoint)
                            else await get_session().get_credentials())
        if credentials is None:  # every call fails the same way through botocore
            yield Dynamo(client, table, limits)
            return
        async with open_gate_reader(
                client, table, credentials=credentials,
                connect_timeout=limits.connect_timeout, read_timeout=limits.read_timeout,
                max_attempts=limits.max_attempts, max_in_flight=limits.max_in_flight,
        ) as reader:
            yield Dynamo(client, table, limits, reader)

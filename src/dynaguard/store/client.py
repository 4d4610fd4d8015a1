"""The one aiobotocore DynamoDB client of a process, and the mapping of its failures.

Every call goes through :meth:`Dynamo.call`, which turns throttling, 5xx and network
errors (after botocore's own retries) into :class:`StoreUnavailable`, so no caller can
mistake an outage for an answer. Errors are matched by code, never by message.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

import structlog
from aiobotocore.config import AioConfig
from aiobotocore.session import get_session
from botocore.exceptions import BotoCoreError, ClientError

from dynaguard.errors import StoreUnavailable

if TYPE_CHECKING:
    from types_aiobotocore_dynamodb import DynamoDBClient

__all__ = ["UNAVAILABLE_CODES", "Dynamo", "error_code", "open_client"]

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


class Dynamo:
    """A DynamoDB client bound to one table, with outages mapped to ``StoreUnavailable``."""

    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self.client = client
        self.table = table
        self.calls = 0

    async def call(self, operation: Callable[..., Awaitable[T]], **kwargs: Any) -> T:
        """Run one client operation; outages raise, domain errors (conditions) propagate."""
        self.calls += 1
        try:
            return await operation(**kwargs)
        except ClientError as error:
            code = error_code(error)
            if code in UNAVAILABLE_CODES:
                log.warning("dynamodb_unavailable", code=code)
                raise StoreUnavailable from None
            raise
        except BotoCoreError as error:
            log.warning("dynamodb_unreachable", error=type(error).__name__)
            raise StoreUnavailable from None


def _client_config() -> AioConfig:
    return AioConfig(
        retries={"mode": "standard", "max_attempts": 3},
        connect_timeout=2,
        read_timeout=5,
        max_pool_connections=64,
    )


@contextlib.asynccontextmanager
async def open_client(endpoint: str | None, region: str) -> Any:
    """Open the process's client: ``endpoint`` None means AWS's own endpoint chain."""
    session = get_session()
    kwargs: dict[str, Any] = {"region_name": region, "config": _client_config()}
    if endpoint is not None:
        kwargs["endpoint_url"] = endpoint
        if endpoint.startswith(("http://127.", "http://localhost", "http://[::1]")):
            # A local engine accepts any credentials; do not require real ones.
            kwargs.setdefault("aws_access_key_id", "local")
            kwargs.setdefault("aws_secret_access_key", "local")
    async with session.create_client("dynamodb", **kwargs) as client:
        yield client

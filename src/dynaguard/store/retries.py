"""The DynamoDB client's retry policy: few attempts, short jittered waits, a retry budget.

botocore's ``standard`` mode decides well *whether* a failed call may be tried again
(throttling, 5xx, connection errors and timeouts, DynamoDB's CRC mismatches) and keeps a
retry budget that stops retrying once most calls fail, so an outage is not multiplied by
the retries. Its *waits*, though, are sized for batch jobs: up to 1 s, then 2 s, then 4 s,
and with DynamoDB's default of four attempts a refused connection took seconds to report.
An auth service would rather answer 503 and let the client come back.

So the client is built with botocore's own retries off (one attempt) and this module
registers the same standard conditions and budget with a bounded wait: full jitter,
``random() * min(cap, base * 2**(attempt - 1))``, on a 25 ms base capped at 250 ms, and a
100 ms base capped at 1 s after throttling (DynamoDB's partitions need a moment). Every
attempt stays inside botocore's request loop, so a ``TransactWriteItems`` keeps the
``ClientRequestToken`` botocore generated for it across attempts (DynamoDB then applies
it at most once) and every attempt carries the same ``amz-sdk-invocation-id``.

The whole call is bounded besides by the client's deadline (see :mod:`.client`).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiobotocore.retries.standard import (
    AioRetryHandler,
    AioRetryPolicy,
    AioStandardRetryConditions,
)
from botocore.retries import quota
from botocore.retries.base import BaseRetryBackoff
from botocore.retries.standard import (
    RetryContext,
    RetryEventAdapter,
    RetryQuotaChecker,
    ThrottlingErrorDetector,
)

__all__ = ["BoundedBackoff", "install_retry_policy"]


@dataclass(frozen=True)
class BoundedBackoff(BaseRetryBackoff):
    """Full-jitter exponential waits, capped; a longer scale after throttling."""

    detector: ThrottlingErrorDetector
    base: float = 0.025
    cap: float = 0.25
    throttled_base: float = 0.1
    throttled_cap: float = 1.0
    rand: Callable[[], float] = random.random

    def delay_amount(self, context: RetryContext) -> float:
        """Seconds to wait before the attempt after ``context.attempt_number``."""
        if self.detector.is_throttling_error_from_context(context):
            base, cap = self.throttled_base, self.throttled_cap
        else:
            base, cap = self.base, self.cap
        return float(self.rand() * min(cap, base * 2 ** (context.attempt_number - 1)))


def install_retry_policy(client: Any, max_attempts: int) -> None:
    """Register the standard retry conditions and budget with bounded waits on ``client``,
    which must have been built with one attempt (``total_max_attempts=1``)."""
    service = client.meta.service_model.service_id.hyphenize()
    adapter = RetryEventAdapter()
    detector = ThrottlingErrorDetector(adapter)
    budget = RetryQuotaChecker(quota.RetryQuota(), detector)
    handler = AioRetryHandler(
        retry_policy=AioRetryPolicy(
            retry_checker=AioStandardRetryConditions(max_attempts=max_attempts),
            retry_backoff=BoundedBackoff(detector),
        ),
        retry_event_adapter=adapter,
        # botocore's stubs say RetryQuota; its own register_retry_handler passes a checker.
        retry_quota=budget,  # type: ignore[arg-type]
        service_name=service,
    )
    events = client.meta.events
    events.register(f"after-call.{service}", budget.release_retry_quota)
    # Registered after botocore's own handler, which (at one attempt) never asks for a
    # retry: the emitter takes the first answer that is not None, which is this one.
    events.register(f"needs-retry.{service}", handler.needs_retry,
                    unique_id=f"dynaguard-retries-{service}")

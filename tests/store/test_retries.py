"""The client's retry waits stay short and bounded, longer after throttling; its timeouts
cannot outlast the whole call's deadline."""

from __future__ import annotations

import pytest
from botocore.retries.standard import RetryContext, RetryEventAdapter, ThrottlingErrorDetector
from pydantic import ValidationError

from dynaguard.settings import Settings, describe_validation_error
from dynaguard.store.client import ClientLimits
from dynaguard.store.retries import BoundedBackoff


def _context(attempt: int, code: str) -> RetryContext:
    response = {"Error": {"Code": code, "Message": "x"}, "ResponseMetadata": {}}
    return RetryContext(attempt_number=attempt, parsed_response=response)


def _backoff(rand: float) -> BoundedBackoff:
    return BoundedBackoff(ThrottlingErrorDetector(RetryEventAdapter()), rand=lambda: rand)


@pytest.mark.parametrize(("attempt", "longest"), [(1, 0.025), (2, 0.05), (3, 0.1), (9, 0.25)])
def test_waits_after_an_error_double_up_to_a_quarter_second(attempt: int, longest: float) -> None:
    assert _backoff(1.0).delay_amount(_context(attempt, "InternalServerError")) == longest
    assert _backoff(0.0).delay_amount(_context(attempt, "InternalServerError")) == 0.0


@pytest.mark.parametrize(("attempt", "longest"), [(1, 0.1), (2, 0.2), (4, 0.8), (9, 1.0)])
def test_waits_after_throttling_are_longer_and_capped_at_a_second(
    attempt: int, longest: float
) -> None:
    context = _context(attempt, "ProvisionedThroughputExceededException")
    assert _backoff(1.0).delay_amount(context) == longest


def test_timeouts_longer_than_the_call_deadline_are_refused_at_start() -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(dynamodb_read_timeout=3, dynamodb_call_timeout=2,
                 _env_file=None)  # type: ignore[call-arg]
    assert "dynamodb_read_timeout" in describe_validation_error(caught.value)


def test_the_embedded_engine_gets_patient_limits_and_a_real_one_the_configured() -> None:
    remote = Settings(dynamodb_endpoint="http://127.0.0.1:9", _env_file=None)  # type: ignore[call-arg]
    embedded = Settings(dynamodb_endpoint="", _env_file=None)  # type: ignore[call-arg]
    assert ClientLimits.from_settings(remote).call_timeout == remote.dynamodb_call_timeout
    assert ClientLimits.from_settings(remote).read_timeout == remote.dynamodb_read_timeout
    assert ClientLimits.from_settings(embedded).read_timeout >= 5.0
    assert ClientLimits.from_settings(embedded).call_timeout >= 25.0

"""Reading a target's rate-limit budget from its header fields, whatever form it sends."""

from __future__ import annotations

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dynaguard.scan.checks.enumeration import signature
from dynaguard.scan.ratelimit import RateBudget, remaining_budget

NOW = 1_800_000_000.0


def _budget(*fields: tuple[str, str]) -> RateBudget | None:
    return remaining_budget(httpx.Headers(list(fields)), now=NOW)


def test_structured_pair_of_the_current_draft() -> None:
    budget = _budget(("RateLimit-Policy", '"address";q=30;w=600'),
                     ("RateLimit", '"address";r=12;t=540'))
    assert budget == RateBudget(12, "RateLimit", reset_s=540, quota=30, window_s=600,
                                policy="address")
    assert budget.describe() == ('12 more requests for 540 s (RateLimit header, '
                                 'policy "address": 30 per 600 s)')


def test_structured_field_alone_and_with_a_token_name() -> None:
    assert _budget(("RateLimit", "default;r=50")) == RateBudget(50, "RateLimit",
                                                                policy="default")


def test_several_policies_the_smallest_remaining_counts() -> None:
    budget = _budget(("RateLimit-Policy", '"burst";q=100;w=60, "daily";q=1000;w=86400'),
                     ("RateLimit", '"burst";r=80;t=20, "daily";r=7;t=3600'))
    assert budget is not None
    assert (budget.policy, budget.remaining, budget.quota, budget.reset_s) == (
        "daily", 7, 1000, 3600)
    # A list may be split over several field lines.
    split = _budget(("RateLimit", '"a";r=9'), ("RateLimit", '"b";r=4;t=2'))
    assert split is not None
    assert (split.policy, split.remaining) == ("b", 4)


def test_earlier_draft_fields() -> None:
    budget = _budget(("RateLimit-Limit", "30, 30;w=600"), ("RateLimit-Remaining", "12"),
                     ("RateLimit-Reset", "540"))
    assert budget == RateBudget(12, "RateLimit-Remaining", reset_s=540, quota=30)
    assert budget.describe() == "12 more requests for 540 s (RateLimit-Remaining header; limit 30)"


@pytest.mark.parametrize(("reset", "seconds"), [
    ("90", 90), (str(int(NOW) + 90), 90), (str(int(NOW * 1000) + 90_500), 91),
    ("2.5", 3), (str(int(NOW) - 10), 0),
])
def test_de_facto_fields_with_delay_or_epoch_reset(reset: str, seconds: int) -> None:
    budget = _budget(("X-RateLimit-Limit", "60"), ("X-RateLimit-Remaining", "5"),
                     ("X-RateLimit-Reset", reset))
    assert budget == RateBudget(5, "X-RateLimit-Remaining", reset_s=seconds, quota=60)


def test_forms_together_the_smallest_remaining_counts() -> None:
    budget = _budget(("RateLimit", '"a";r=40'), ("RateLimit-Remaining", "25"),
                     ("X-RateLimit-Remaining", "3"))
    assert budget is not None
    assert (budget.field, budget.remaining) == ("X-RateLimit-Remaining", 3)


@pytest.mark.parametrize("fields", [
    [("RateLimit", '"a";r=-1')],            # negative
    [("RateLimit", '"a";r=1.5')],           # a decimal
    [("RateLimit", '"a";r')],               # a boolean
    [("RateLimit", '"a";r="3"')],           # a string
    [("RateLimit", '"a";t=30')],            # no remaining at all
    [("RateLimit", '"unterminated;r=3')],   # not a structured field
    [("RateLimit", '("a" "b");r=3')],       # an inner list is no policy
    [("RateLimit", '"a";r=3,,')],           # a broken list drops the whole field
    [("RateLimit-Remaining", "abc")],
    [("RateLimit-Remaining", "-5")],
    [("RateLimit-Remaining", "12abc")],
    [("X-RateLimit-Remaining", "9" * 40)],
    [("X-RateLimit-Remaining", "")],
    [("X-RateLimit-Remaining", "5, 3x")],
    [("Retry-After", "30")],
    [],
])
def test_malformed_values_are_ignored(fields: list[tuple[str, str]]) -> None:
    assert _budget(*fields) is None


def test_a_malformed_form_leaves_the_others() -> None:
    budget = _budget(("RateLimit", '"a";r=oops'), ("X-RateLimit-Remaining", "8"),
                     ("X-RateLimit-Reset", "soon"))
    assert budget == RateBudget(8, "X-RateLimit-Remaining")


def test_repeated_de_facto_fields_each_count() -> None:
    budget = _budget(("X-RateLimit-Remaining", "5"), ("X-RateLimit-Remaining", "2"))
    assert budget is not None
    assert budget.remaining == 2


NAMES = ["RateLimit", "RateLimit-Policy", "RateLimit-Remaining", "RateLimit-Limit",
         "RateLimit-Reset", "X-RateLimit-Remaining", "X-RateLimit-Limit", "X-RateLimit-Reset"]


@given(st.lists(st.tuples(st.sampled_from(NAMES),
                          st.binary(max_size=40).filter(lambda b: b"\r" not in b
                                                        and b"\n" not in b)),
                max_size=6))
def test_never_raises_on_what_a_target_sends(fields: list[tuple[str, bytes]]) -> None:
    budget = remaining_budget(httpx.Headers(fields), now=NOW)
    assert budget is None or (budget.remaining >= 0
                              and (budget.reset_s is None or budget.reset_s >= 0))


def _answer(**headers: str) -> httpx.Response:
    return httpx.Response(401, json={"detail": "Invalid credentials"}, headers=headers,
                          request=httpx.Request("POST", "http://127.0.0.1:8000/login"))


def test_answer_signatures_mask_budget_figures_but_not_budget_fields() -> None:
    """The response-enumeration checks compare rate-limit fields with their figures
    masked: a budget counting down is no tell, a field or policy only one side gets is."""
    policy = '"address";q=30;w=600'
    known = signature(_answer(ratelimit='"address";r=12;t=540', **{"ratelimit-policy": policy}),
                      "a@example.com")
    unknown = signature(_answer(ratelimit='"address";r=11;t=539',
                                **{"ratelimit-policy": policy}), "b@example.com")
    assert known == unknown
    per_user = signature(_answer(ratelimit='"address";r=12;t=540, "user";r=4;t=60',
                                 **{"ratelimit-policy": policy}), "a@example.com")
    assert per_user != unknown
    only_some = signature(_answer(**{"x-ratelimit-remaining": "4"}), "a@example.com")
    assert only_some != signature(_answer(), "b@example.com")

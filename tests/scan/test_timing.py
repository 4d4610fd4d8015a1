"""The timing statistics on synthetic samples (seeded, so each case is deterministic)."""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable

import pytest

from dynaguard.scan.timing import MIN_PAIRS, WARMUP_PAIRS, SamplingEnds, compare, measure


def _rng(seed: int) -> random.Random:
    return random.Random(seed)  # noqa: S311 -- synthetic latencies, not secrets


def _samples(rng: random.Random, n: int, shift: float) -> tuple[list[float], list[float]]:
    def one() -> float:
        # Loopback-like latency: a floor plus a long right tail.
        return 0.002 + rng.expovariate(1 / 0.0008) + (0.02 if rng.random() < 0.03 else 0.0)

    return [one() + shift for _ in range(n)], [one() for _ in range(n)]


def test_one_millisecond_shift_is_a_leak() -> None:
    a, b = _samples(_rng(1), 120, 0.001)
    verdict = compare(a, b)
    assert verdict.leak
    assert verdict.median_diff_s == pytest.approx(0.001, abs=0.0004)
    low, high = verdict.ci_s
    assert low < 0.001 < high
    evidence = verdict.evidence()
    assert evidence["p_value"] < 1e-3
    assert {"effect_size", "ci99_ms", "low_quantile_diff_ms", "pairs"} <= set(evidence)


def test_equal_distributions_are_not_a_leak() -> None:
    for seed in range(20):
        a, b = _samples(_rng(seed), 300, 0.0)
        assert not compare(a, b).leak


def test_significant_but_negligible_difference_is_not_a_leak() -> None:
    """50 µs is real in these samples, but below the minimum effect worth reporting."""
    a, b = _samples(_rng(3), 300, 0.00005)
    assert not compare(a, b).leak


async def test_adaptive_sampling_stops_early_when_clear() -> None:
    rng = _rng(5)
    calls = {"a": 0, "b": 0}

    def probe(kind: str, shift: float) -> Callable[[], Awaitable[float]]:
        async def once() -> float:
            calls[kind] += 1
            return 0.002 + rng.expovariate(1 / 0.0003) + shift
        return once

    verdict = await measure(probe("a", 0.003), probe("b", 0.0), rng=rng)
    assert verdict.leak
    assert verdict.pairs == 30
    assert calls["a"] == calls["b"] == 33  # 3 warm-up pairs

    calls.update(a=0, b=0)
    quiet = await measure(probe("a", 0.0), probe("b", 0.0), rng=rng, max_pairs=120)
    assert not quiet.leak
    assert 30 <= quiet.pairs <= 120


async def test_a_probe_that_can_sample_no_more_ends_sampling() -> None:
    """``SamplingEnds`` after enough pairs: those in hand are judged and the verdict says
    why sampling stopped; before ``MIN_PAIRS`` it propagates (nothing to judge)."""
    rng = _rng(9)

    def probes(limit: int, shift: float,
               jitter: float = 0.0003) -> tuple[Callable[[], Awaitable[float]], ...]:
        sent = {"n": 0}

        async def once(extra: float) -> float:
            sent["n"] += 1
            if sent["n"] > limit:
                raise SamplingEnds("its identifiers being used up")
            return 0.002 + rng.expovariate(1 / jitter) + extra

        async def a() -> float:
            return await once(shift)

        async def b() -> float:
            return await once(0.0)

        return a, b

    a, b = probes(2 * (WARMUP_PAIRS + 20), 0.003)
    verdict = await measure(a, b, rng=rng)
    assert verdict.pairs == 20
    assert verdict.leak
    assert verdict.stopped_by == ""  # a clear leak settles the answer

    # Noisy enough that 20 pairs neither show a leak nor rule one out.
    a, b = probes(2 * (WARMUP_PAIRS + 20), 0.0, jitter=0.005)
    quiet = await measure(a, b, rng=rng)
    assert quiet.pairs == 20
    assert not quiet.leak
    assert quiet.stopped_by == "its identifiers being used up"

    a, b = probes(2 * (WARMUP_PAIRS + MIN_PAIRS - 1), 0.0)
    with pytest.raises(SamplingEnds):
        await measure(a, b, rng=rng)

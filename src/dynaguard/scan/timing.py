"""Timing statistics: is one kind of request measurably slower than another? (CWE-208)

Samples come in randomly ordered pairs (one of each kind, back to back) so drift in the
target's load hits both kinds alike. Each look at the data runs two tests, each at
``alpha / 2`` (with the few looks, false positives stay well under 1%):

* a Wilcoxon signed-rank test on the paired differences, with a median difference of at
  least ``min_effect_s``, the low quantiles agreeing in direction;
* a low-quantile test: the difference of the two kinds' ``LOW_QUANTILE`` quantiles
  against its paired permutation distribution (each pair's two samples swapped at
  random: under no leak, kind does not matter), with the quantiles at least
  ``min_effect_s`` apart. The fast tail is where a loaded machine or network adds the
  least noise, so this test still sees a 1 ms leak when the medians drown in jitter.
Sampling starts small and grows only while the answer is open: it stops at a leak, when
the median's confidence interval excludes any meaningful effect, or (from 60 pairs on)
when the test shows no hint of a difference at all (p >= 0.5).
A probe may throw its pair away (``PairDiscarded``, e.g. on a throttled answer); the pair
is sampled again, at most ``MAX_DISCARDS`` times in a row. A probe (or ``before_pair``)
that can sample no more (``SamplingEnds``, e.g. its identifiers are used up) ends sampling:
the pairs in hand are judged when there are at least ``MIN_PAIRS``.
"""

from __future__ import annotations

import math
import random
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from dynaguard.scan.errors import ScanError

__all__ = ["LOOKS", "PairDiscarded", "SamplingEnds", "TimingVerdict", "compare", "measure"]

LOOKS = (30, 60, 120, 240, 300)
ALPHA = 1e-3
MIN_EFFECT_S = 0.0005
LOW_QUANTILE = 0.1
# The smallest p a permutation test can give is 1 / (PERMUTATIONS + 1): below alpha / 2.
PERMUTATIONS = 4000
CI_LEVEL = 0.99
WARMUP_PAIRS = 3
MIN_PAIRS = 12
FUTILITY_PAIRS = 60
FUTILITY_P = 0.5
TIME_CUT_STEP = 4
MAX_DISCARDS = 3

Probe = Callable[[], Awaitable[float]]


class PairDiscarded(ScanError):
    """Raised by a probe: this pair's samples are not comparable; sample it again."""


class SamplingEnds(ScanError):
    """Raised by a probe or ``before_pair``: no further pair can be sampled; the message
    says why ("its identifiers are used up"). Raised again by ``measure`` when too few
    pairs are in hand to judge."""


@dataclass(frozen=True)
class TimingVerdict:
    """The outcome of comparing kind A with kind B; differences are A minus B."""

    leak: bool
    conclusive: bool
    pairs: int
    median_diff_s: float
    ci_s: tuple[float, float]
    low_quantile_diff_s: float
    p_value: float
    quantile_p_value: float
    effect_size: float
    median_a_s: float
    median_b_s: float
    stopped_by: str = ""
    """Why sampling ended before the answer settled ("" when it settled)."""

    def evidence(self) -> dict[str, object]:
        """The figures a reader needs to judge the verdict, in milliseconds."""
        def ms(value: float) -> float:
            return round(value * 1000, 3)

        return {"pairs": self.pairs, "median_a_ms": ms(self.median_a_s),
                "median_b_ms": ms(self.median_b_s), "median_diff_ms": ms(self.median_diff_s),
                f"ci{int(CI_LEVEL * 100)}_ms": [ms(self.ci_s[0]), ms(self.ci_s[1])],
                "low_quantile_diff_ms": ms(self.low_quantile_diff_s),
                "p_value": float(f"{self.p_value:.3g}"),
                "quantile_p_value": float(f"{self.quantile_p_value:.3g}"),
                "effect_size": round(self.effect_size, 3),
                "tests": f"wilcoxon signed-rank; paired permutation of the "
                         f"{LOW_QUANTILE:.0%} quantile difference"}


def _median_ci(diffs: Sequence[float], level: float) -> tuple[float, float]:
    """Distribution-free confidence interval of the median (sign-test order statistics)."""
    from scipy import stats  # noqa: PLC0415 -- seconds to import; see compare()

    ordered = sorted(diffs)
    n = len(ordered)
    k = int(stats.binom.ppf((1 - level) / 2, n, 0.5))
    k = max(0, min(k, (n - 1) // 2))
    return ordered[k], ordered[n - 1 - k]


def _quantile(values: Sequence[float], q: float) -> float:
    return float(np.quantile(np.asarray(values), q))


def compare(a: Sequence[float], b: Sequence[float], *, alpha: float = ALPHA,
            min_effect_s: float = MIN_EFFECT_S) -> TimingVerdict:
    """Compare paired samples ``a[i]``/``b[i]`` (seconds)."""
    if len(a) != len(b) or len(a) < MIN_PAIRS:
        raise ValueError(f"compare needs at least {MIN_PAIRS} pairs of equal length")
    # Imported here: scipy takes seconds to load, and a scan whose timing checks skip
    # (a throttling target) never compares.
    from scipy import stats  # noqa: PLC0415 -- loaded only when needed, as said above

    diffs = [x - y for x, y in zip(a, b, strict=True)]
    median = statistics.median(diffs)
    if all(d == 0 for d in diffs):
        p_value = 1.0
    else:
        p_value = float(stats.wilcoxon(diffs, zero_method="wilcox").pvalue)
    mad = statistics.median(abs(d - median) for d in diffs) * 1.4826
    effect = median / mad if mad > 0 else (math.inf if median else 0.0)
    low = _quantile(a, LOW_QUANTILE) - _quantile(b, LOW_QUANTILE)
    ci = _median_ci(diffs, CI_LEVEL)
    quantile_p = _quantile_p_value(a, b)
    same_direction = (median > 0) == (low > 0)
    by_median = (p_value < alpha / 2 and abs(median) >= min_effect_s
                 and abs(low) >= min_effect_s / 2 and same_direction)
    by_quantile = quantile_p < alpha / 2 and abs(low) >= min_effect_s
    leak = by_median or by_quantile
    # Settled without a leak when the median's interval excludes any meaningful effect,
    # or when enough pairs show no hint of a difference (futility).
    settled = (leak or (-min_effect_s < ci[0] and ci[1] < min_effect_s)
               or (len(diffs) >= FUTILITY_PAIRS and min(p_value, quantile_p) >= FUTILITY_P))
    return TimingVerdict(leak, settled, len(diffs), median, ci, low, p_value, quantile_p,
                         effect, statistics.median(a), statistics.median(b))


def _quantile_p_value(a: Sequence[float], b: Sequence[float]) -> float:
    """Two-sided paired permutation p of the low-quantile difference (A minus B)."""
    x, y = np.asarray(a), np.asarray(b)
    observed = abs(np.quantile(x, LOW_QUANTILE) - np.quantile(y, LOW_QUANTILE))
    # A fixed seed: the same samples always give the same p-value.
    swap = np.random.default_rng(0).random((PERMUTATIONS, len(x))) < 0.5
    first, second = np.where(swap, y, x), np.where(swap, x, y)
    null = np.abs(np.quantile(first, LOW_QUANTILE, axis=1)
                  - np.quantile(second, LOW_QUANTILE, axis=1))
    # Ties count against a leak; the tiny tolerance keeps float noise from deciding.
    extreme = int(np.sum(null >= observed - 1e-12))
    return (1 + extreme) / (PERMUTATIONS + 1)


async def measure(probe_a: Probe, probe_b: Probe, *, max_pairs: int = LOOKS[-1],
                  rng: random.Random | None = None, alpha: float = ALPHA,
                  min_effect_s: float = MIN_EFFECT_S,
                  time_limit_s: float | None = None,
                  before_pair: Callable[[], Awaitable[None]] | None = None) -> TimingVerdict:
    """Sample pairs adaptively (30, 60, ... up to ``max_pairs``) until the answer settles.

    With ``time_limit_s``, a slow target ends sampling early, at the next multiple of
    ``TIME_CUT_STEP`` pairs once at least ``MIN_PAIRS`` are in; the verdict then says it
    is not conclusive. ``before_pair`` runs before each pair (untimed)."""
    rng = rng or random.Random()  # noqa: S311 -- ordering, not secrecy
    if max_pairs < LOOKS[0]:
        raise ValueError(f"a timing comparison needs at least {LOOKS[0]} pairs")
    a: list[float] = []
    b: list[float] = []

    async def one_pair() -> tuple[float, float]:
        if before_pair is not None:
            await before_pair()
        if rng.random() < 0.5:
            first = await probe_a()
            return first, await probe_b()
        second = await probe_b()
        return await probe_a(), second

    async def pair() -> tuple[float, float]:
        for _ in range(MAX_DISCARDS):
            try:
                return await one_pair()
            except PairDiscarded:
                continue
        return await one_pair()

    looks = [n for n in LOOKS if n < max_pairs] + [max_pairs]
    deadline = None if time_limit_s is None else time.monotonic() + time_limit_s
    try:
        for _ in range(WARMUP_PAIRS):
            await pair()
        for look in looks:
            while len(a) < look:
                x, y = await pair()
                a.append(x)
                b.append(y)
                if (deadline is not None and time.monotonic() > deadline
                        and len(a) >= MIN_PAIRS and len(a) % TIME_CUT_STEP == 0):
                    break
            verdict = compare(a, b, alpha=alpha, min_effect_s=min_effect_s)
            if verdict.conclusive:
                return verdict
            if deadline is not None and time.monotonic() > deadline:
                return replace(verdict, stopped_by="the time limit")
    except SamplingEnds as end:
        if len(a) < MIN_PAIRS:
            raise
        verdict = compare(a, b, alpha=alpha, min_effect_s=min_effect_s)
        return verdict if verdict.conclusive else replace(verdict, stopped_by=str(end))
    return replace(verdict, stopped_by=f"the {max_pairs}-pair limit")

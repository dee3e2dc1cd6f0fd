"""Weight sensitivity of the ranking (pure: numpy, no Django).

As COINr's sensitivity analysis does, each Monte Carlo draw multiplies every
area's weight by an independent factor drawn uniformly from [1 − X, 1 + X]; the
total is recomputed as the weighted mean of area percentages, rescaled so that
the nominal weights give back the published total, and provinces are ranked
again. A province's rank interval is the 5th–95th percentile of its rank over
the draws; the mean absolute rank shift is the average of |rank − nominal rank|.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from scoring.rules.uncertainty import replicate_ranks

MAX_DRAWS = 10_000
# A range of ranks under varying weights: 5th, 50th and 95th percentiles (a 90 % range).
RANK_PERCENTILES = (5, 50, 95)


@dataclass(frozen=True)
class ProvinceSensitivity:
    nominal_rank: int
    median_rank: int
    low_rank: int
    high_rank: int
    mean_shift: float  # mean absolute rank shift over the draws


@dataclass(frozen=True)
class Sensitivity:
    provinces: list[ProvinceSensitivity]
    mean_shift: float  # over every province and draw


def weighted_totals(percents: np.ndarray, weights: np.ndarray, scale: float) -> np.ndarray:
    """Totals for each weight vector: rows of `weights` (draws × areas) over `percents`
    (provinces × areas); returns draws × provinces."""
    return scale * (weights @ percents.T) / weights.sum(axis=1, keepdims=True)


def weight_sensitivity(
    percents: np.ndarray, weights: Sequence[float], *, variation: float, draws: int,
    seed: int, scale: float,
) -> Sensitivity:
    """Rank intervals of provinces when area weights vary by ±`variation` (0.2 = ±20 %).

    `percents` is provinces × areas (each area's percentage of its maximum);
    `weights` the nominal area weights (PAR: the areas' maximum points; SIPAS: 1);
    `scale` turns the weighted mean of percentages into the index's total
    (PAR: sum of the weights / 100; SIPAS: 1).
    """
    if not 0 <= variation < 1:
        raise ValueError("variation must be at least 0 and below 1")
    if not 1 <= draws <= MAX_DRAWS:
        raise ValueError(f"draws must be between 1 and {MAX_DRAWS}")
    base = np.asarray(weights, dtype=float)
    rng = np.random.default_rng(seed)
    factors = rng.uniform(1 - variation, 1 + variation, size=(draws, len(base)))
    totals = weighted_totals(percents, factors * base, scale)
    nominal = replicate_ranks(weighted_totals(percents, base[None, :], scale))[0]
    ranks = replicate_ranks(totals)
    shifts = np.abs(ranks - nominal[None, :])
    out = []
    for p in range(percents.shape[0]):
        low, median, high = np.percentile(ranks[:, p], RANK_PERCENTILES, method="inverted_cdf")
        out.append(ProvinceSensitivity(int(nominal[p]), int(median), int(low), int(high),
                                       float(shifts[:, p].mean())))
    return Sensitivity(out, float(shifts.mean()))

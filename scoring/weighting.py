"""Survey weights by post-stratification (raking), and their precision (pure: numpy).

Raking (iterative proportional fitting) finds weights, one per respondent, so
that the weighted shares of each margin variable (sex, age band, urban/rural…)
match the population's. Respondents whose answer to a variable is not in its
margins (no answer) are left out of that variable's adjustment. Weights are
scaled to average 1, so they add up to the number of respondents.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

Z95 = 1.959963984540054
MAX_ITERATIONS = 200
TOLERANCE = 1e-12


class MarginsUnreachable(ValueError):
    """The sample has no respondent in a category the margins need."""


def rake(
    categories: np.ndarray, margins: Sequence[Mapping[int, float]],
    *, max_iterations: int = MAX_ITERATIONS, tolerance: float = TOLERANCE,
) -> np.ndarray:
    """Raking weights for respondents × variables `categories` to the given margins.

    `margins[j]` maps each category of variable j to its population share (adding to 1).
    """
    n = categories.shape[0]
    weights = np.ones(n)
    if n == 0:
        return weights
    for j, margin in enumerate(margins):
        for value, share in margin.items():
            if share > 0 and not np.any(categories[:, j] == value):
                raise MarginsUnreachable(f"no respondent in category {value} of variable {j + 1}")
    for _ in range(max_iterations):
        largest = 0.0
        for j, margin in enumerate(margins):
            column = categories[:, j]
            inside = np.isin(column, list(margin))
            total = weights[inside].sum()
            for value, share in margin.items():
                members = column == value
                current = weights[members].sum()
                if current == 0:
                    continue
                factor = share * total / current
                largest = max(largest, abs(factor - 1))
                weights[members] *= factor
        if largest < tolerance:
            break
    return weights * n / weights.sum()


def kish_effective_size(weights: np.ndarray) -> float:
    """Kish's effective sample size, (Σw)² / Σw²."""
    if not len(weights):
        return 0.0
    return float(weights.sum() ** 2 / np.square(weights).sum())


def weighted_sd(values: np.ndarray, weights: np.ndarray) -> float:
    """The weighted standard deviation of respondent values (NaN values left out)."""
    keep = ~np.isnan(values)
    v, w = values[keep], weights[keep]
    if not len(v) or w.sum() == 0:
        return float("nan")
    mean = np.sum(w * v) / w.sum()
    return float(math.sqrt(np.sum(w * np.square(v - mean)) / w.sum()))


def margin_of_error(sd: float, effective_size: float) -> float:
    """Half-width of the 95 % interval of a mean: z · sd / √n_eff."""
    if effective_size <= 0 or math.isnan(sd):
        return float("nan")
    return Z95 * sd / math.sqrt(effective_size)


def required_sample(sd: float, target: float, design_effect: float = 1.0) -> int | None:
    """Respondents needed for a margin of error of ±`target` points: ⌈(z·sd/target)² · deff⌉."""
    if target <= 0:
        raise ValueError("the target margin must be positive")
    if math.isnan(sd):
        return None
    return max(1, math.ceil((Z95 * sd / target) ** 2 * design_effect))

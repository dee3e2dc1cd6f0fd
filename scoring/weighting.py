"""Survey weights by post-stratification (raking), and their precision (pure: numpy).

Raking (iterative proportional fitting) finds weights, one per respondent, so
that the weighted shares of each margin variable (sex, age band, urban/rural…)
match the population's. Respondents whose answer to a variable is not in its
margins (no answer) are left out of that variable's adjustment. Weights are
scaled to average 1, so they add up to the number of respondents.

Raking can stop without meeting the margins: when the sample's cross-table has
empty cells, no weights give every margin at once (two respondents in the top
age band, both men, cannot carry that band's half of the population if men are
a fifth). Weights are then refused rather than returned: `rake` checks every
margin after iterating, and `rake_collapsing_sparse` first merges each
category with fewer than `MIN_CELL` respondents into an adjacent one.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

Z95 = 1.959963984540054
MAX_ITERATIONS = 200
TOLERANCE = 1e-12
# A replicate's raking stops sooner (its margins are still held to MARGIN_TOLERANCE):
# thousands of rakings go into the weighted total's interval.
REPLICATE_TOLERANCE = 1e-9
# Largest gap allowed between a weighted share and its margin's share once raking ends.
MARGIN_TOLERANCE = 1e-6
# Fewest respondents a category may have before it is merged into an adjacent one.
MIN_CELL = 5


class MarginsUnreachable(ValueError):
    """The sample has no respondent in a category the margins need."""


@dataclass(frozen=True)
class MarginMiss:
    """A margin category's weighted share after raking, against its population share."""

    variable: int  # position in the margins, from 0
    value: int
    achieved: float
    target: float

    @property
    def gap(self) -> float:
        return abs(self.achieved - self.target)

    def describe(self, label: str | None = None) -> str:
        """`label` (by default "variable 1, category 5") with its share and its margin's."""
        label = label or f"variable {self.variable + 1}, category {self.value}"
        return (f"{label} reached a weighted share of {self.achieved:.6f} against its margin "
                f"of {self.target:.6f}")


class RakingDidNotConverge(MarginsUnreachable):
    """Raking ended with a weighted share further than MARGIN_TOLERANCE from its margin.

    `miss` is the category furthest off; `collapsed` the categories that had
    been merged before this raking (its `miss.value` is then a merged cell's
    lowest value).
    """

    def __init__(self, miss: MarginMiss, message: str | None = None, *,
                 collapsed: tuple[Collapsed, ...] = ()) -> None:
        self.miss, self.collapsed = miss, collapsed
        super().__init__(message or f"raking did not meet the margins (largest gap allowed "
                                    f"{MARGIN_TOLERANCE:g}): {miss.describe()}")


@dataclass(frozen=True)
class Collapsed:
    """Adjacent categories of one variable raked as one cell, with their combined share."""

    variable: int  # position in the margins, from 0
    values: tuple[int, ...]
    respondents: int
    share: float


@dataclass(frozen=True)
class Raking:
    """Raking weights and the categories merged to reach them (none when raked as given)."""

    weights: np.ndarray
    collapsed: tuple[Collapsed, ...] = ()


def rake(
    categories: np.ndarray, margins: Sequence[Mapping[int, float]],
    *, max_iterations: int = MAX_ITERATIONS, tolerance: float = TOLERANCE,
    start: np.ndarray | None = None,
) -> np.ndarray:
    """Raking weights for respondents × variables `categories` to the given margins.

    `margins[j]` maps each category of variable j to its population share (adding to 1).
    `start` gives starting weights (a bootstrap replicate's factors; 1 by default):
    raking adjusts them, and a respondent starting at 0 stays at 0.
    Raises MarginsUnreachable when a category with a share has no respondent, and
    RakingDidNotConverge (naming the category furthest off) when, after the
    iterations, a weighted share is more than MARGIN_TOLERANCE from its margin.
    """
    n = categories.shape[0]
    weights = np.ones(n) if start is None else np.asarray(start, dtype=float).copy()
    if n == 0:
        return weights
    present = weights > 0
    for j, margin in enumerate(margins):
        for value, share in margin.items():
            if share > 0 and not np.any((categories[:, j] == value) & present):
                raise MarginsUnreachable(f"no respondent in category {value} of variable {j + 1}")
    # Each variable's respondents with a margin value, and each category's (computed once).
    masks = [(np.isin(categories[:, j], list(margin)),
              [(np.flatnonzero(categories[:, j] == value), share)
               for value, share in margin.items()])
             for j, margin in enumerate(margins)]
    for _ in range(max_iterations):
        largest = 0.0
        for inside, cells in masks:
            total = weights[inside].sum()
            for members, share in cells:
                current = weights[members].sum()
                if current == 0:
                    continue
                factor = share * total / current
                largest = max(largest, abs(factor - 1))
                weights[members] *= factor
        if largest < tolerance:
            break
    weights = weights * n / weights.sum()
    miss = largest_margin_miss(categories, margins, weights)
    if miss is not None and miss.gap > MARGIN_TOLERANCE:
        raise RakingDidNotConverge(miss)
    return weights


def largest_margin_miss(categories: np.ndarray, margins: Sequence[Mapping[int, float]],
                        weights: np.ndarray) -> MarginMiss | None:
    """The category whose weighted share is furthest from its margin; None without margins.

    Shares are among the respondents with a value in that variable's margin,
    and targets are the margin's shares scaled to add up to 1.
    """
    worst: MarginMiss | None = None
    for j, margin in enumerate(margins):
        column = categories[:, j]
        total = weights[np.isin(column, list(margin))].sum()
        shares = sum(margin.values())
        if total == 0 or shares == 0:
            continue
        for value, share in sorted(margin.items()):
            miss = MarginMiss(j, value, float(weights[column == value].sum() / total),
                              share / shares)
            # A two-category variable misses both by the same gap: name the lower value,
            # whatever the last bits of the floating-point sums say.
            if worst is None or round(miss.gap, 12) > round(worst.gap, 12):
                worst = miss
    return worst


def collapse_sparse_cells(
    categories: np.ndarray, margins: Sequence[Mapping[int, float]], *, min_cell: int = MIN_CELL,
) -> tuple[np.ndarray, list[dict[int, float]], tuple[Collapsed, ...]]:
    """Merge every category with fewer than `min_cell` respondents into an adjacent one.

    Adjacent is by value order within the variable. The smallest such category
    goes first, into whichever neighbour has fewer respondents (the lower one on
    a tie); this repeats until every cell has `min_cell` respondents or the
    variable is one cell. A merged cell's share is the sum of its categories'
    shares and its respondents are theirs; it takes its lowest value. Returns
    the recoded categories, the merged margins and what was merged.
    """
    recoded = categories.copy()
    merged_margins: list[dict[int, float]] = []
    collapsed: list[Collapsed] = []
    for j, margin in enumerate(margins):
        column = categories[:, j]
        cells = [([v], int(np.count_nonzero(column == v)), margin[v]) for v in sorted(margin)]
        while len(cells) > 1:
            small = [i for i, (_, count, _) in enumerate(cells) if count < min_cell]
            if not small:
                break
            i = min(small, key=lambda i: (cells[i][1], i))
            if i == 0:
                k = 1
            elif i == len(cells) - 1:
                k = i - 1
            else:
                k = i - 1 if cells[i - 1][1] <= cells[i + 1][1] else i + 1
            lo, hi = sorted((i, k))
            cells[lo:hi + 1] = [(cells[lo][0] + cells[hi][0], cells[lo][1] + cells[hi][1],
                                 cells[lo][2] + cells[hi][2])]
        for values, count, share in cells:
            if len(values) > 1:
                recoded[np.isin(column, values), j] = values[0]
                collapsed.append(Collapsed(j, tuple(values), count, share))
        merged_margins.append({values[0]: share for values, _, share in cells})
    return recoded, merged_margins, tuple(collapsed)


def rake_collapsing_sparse(
    categories: np.ndarray, margins: Sequence[Mapping[int, float]], *, min_cell: int = MIN_CELL,
) -> Raking:
    """Rake as given; if the margins are not met, merge sparse categories and rake again.

    A sample whose margins can be met is raked exactly as `rake` does, nothing
    merged. Otherwise every category with fewer than `min_cell` respondents, in
    every variable, is merged as `collapse_sparse_cells` says, and the merged
    margins must then be met. Raises RakingDidNotConverge (the miss of the
    merged raking) when they are not, or when nothing was sparse enough to merge.
    """
    try:
        return Raking(rake(categories, margins))
    except RakingDidNotConverge as first:
        recoded, merged, collapsed = collapse_sparse_cells(categories, margins,
                                                           min_cell=min_cell)
        if not collapsed:
            raise
        try:
            return Raking(rake(recoded, merged), collapsed)
        except RakingDidNotConverge as second:
            raise RakingDidNotConverge(second.miss, collapsed=collapsed) from first


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


def reraked_weights(categories: np.ndarray, margins: Sequence[Mapping[int, float]],
                    factors: np.ndarray) -> np.ndarray:
    """A bootstrap replicate's weights: its resampling factors raked again to the margins.

    So the weighted estimate's replicates carry the variability of the weights
    too. A category the replicate happens to leave empty is dropped and its
    share spread over the others, as for the sample itself; if the margins
    still cannot be met, sparse categories are merged (rake_collapsing_sparse).
    Weights are scaled to add up to the replicate's total factor.
    """
    drawn = factors > 0
    kept = []
    for j, margin in enumerate(margins):
        present = set(np.unique(categories[drawn, j]).tolist())
        mine = {v: s for v, s in margin.items() if v in present}
        total = sum(mine.values())
        kept.append({v: s / total for v, s in mine.items()} if total else {})
    try:
        weights = rake(categories, kept, start=factors, tolerance=REPLICATE_TOLERANCE)
    except RakingDidNotConverge:
        recoded, merged, _ = collapse_sparse_cells(categories[drawn], kept)
        full = categories.copy()
        full[drawn] = recoded
        weights = rake(full, merged, start=factors, tolerance=REPLICATE_TOLERANCE)
    return weights * factors.sum() / weights.sum() if weights.sum() else weights

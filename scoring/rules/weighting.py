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

Raking alone can give a few respondents very large weights (one in a sparse
cell standing for many), which makes the weighted estimate unstable. `Bounds`
keep every weight within given multiples of the mean weight (bounded
calibration by trimming: after each raking round, weights outside the bounds
are set back to them, and raking goes on until the margins and the bounds hold
together). When no weights within the bounds meet the margins, raking refuses,
naming the bounds.

One raking round adjusts every variable with a handful of array operations,
for many rakings at once: the rows of a weights matrix (a bootstrap's
replicates) are raked side by side, each to its own shares, until each meets
its margins.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import numpy as np

Z95 = 1.959963984540054
MAX_ITERATIONS = 200
# Trimming slows raking down: each round undoes part of the last; bounded raking gets more rounds.
BOUNDED_MAX_ITERATIONS = 2000
# How often bounded raking checks each row's margins, and over how many rounds it judges a
# row's pace (see _rake_rows).
CHECK_EVERY = 10
STALL_WINDOW = 100
TOLERANCE = 1e-12
# A replicate's raking stops sooner (its margins are still held to MARGIN_TOLERANCE):
# thousands of rakings go into the weighted total's interval.
REPLICATE_TOLERANCE = 1e-9
# Largest gap allowed between a weighted share and its margin's share once raking ends.
MARGIN_TOLERANCE = 1e-6
# Fewest respondents a category may have before it is merged into an adjacent one.
MIN_CELL = 5
# Slack allowed on a bound once raking ends (floating point), relative to the bound.
BOUND_TOLERANCE = 1e-6
# Decimals a bound may have (as stored).
BOUND_PLACES = 4
MAX_UPPER = 1000


@dataclass(frozen=True)
class Bounds:
    """Limits on every weight as multiples of the mean weight: 0 ≤ lower < 1 < upper.

    For a bootstrap replicate the bound applies to the raking's adjustment of
    each respondent's resampling factor (its weight ÷ its factor), against the
    mean adjustment, so a respondent drawn twice may weigh twice as much.
    """

    lower: float
    upper: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.lower) and math.isfinite(self.upper)
                and 0 <= self.lower < 1 < self.upper <= MAX_UPPER):
            raise ValueError(f"weight bounds must satisfy 0 ≤ lower < 1 < upper ≤ {MAX_UPPER}, not "
                             f"{self.lower:g}–{self.upper:g}")

    def __str__(self) -> str:
        return f"{self.lower:g}–{self.upper:g}"

    @classmethod
    def parse(cls, text: str) -> Bounds:
        """"0.2,6" → Bounds(0.2, 6.0); ValueError with the reason for anything else.

        Each bound has at most BOUND_PLACES decimals (as stored).
        """
        parts = [part.strip() for part in text.split(",")]
        try:
            if len(parts) != 2:
                raise InvalidOperation
            lower, upper = (Decimal(part) for part in parts)
            if not (lower.is_finite() and upper.is_finite()):
                raise InvalidOperation
        except InvalidOperation:
            raise ValueError(f"weight bounds are two numbers, lower,upper (such as 0.2,6), "
                             f"not {text!r}") from None
        if any(b.as_tuple().exponent < -BOUND_PLACES for b in (lower, upper)):
            raise ValueError(f"weight bounds have at most {BOUND_PLACES} decimals, not {text!r}")
        return cls(float(lower), float(upper))


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
                 collapsed: tuple[Collapsed, ...] = (), bounds: Bounds | None = None) -> None:
        self.miss, self.collapsed, self.bounds = miss, collapsed, bounds
        within = "" if bounds is None else f" with weights within {bounds} × the mean weight"
        super().__init__(message or f"raking did not meet the margins{within} (largest gap "
                                    f"allowed {MARGIN_TOLERANCE:g}): {miss.describe()}")


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


def _columns(categories: np.ndarray, margins: Sequence[Mapping[int, float]]
             ) -> list[tuple[np.ndarray, list[int]]]:
    """Per variable: each respondent's position among its margin's categories (sorted values),
    or the number of categories for a respondent outside the margin; and those values."""
    out = []
    for j, margin in enumerate(margins):
        values = sorted(margin)
        at = np.full(categories.shape[0], len(values), dtype=np.intp)
        for i, value in enumerate(values):
            at[categories[:, j] == value] = i
        out.append((at, values))
    return out


def _rake_rows(columns: list[tuple[np.ndarray, list[int]]], shares: list[np.ndarray],
               start: np.ndarray, *, bounds: Bounds | None, max_iterations: int,
               tolerance: float) -> np.ndarray:
    """Rake each row of `start` (rakings × respondents) to its row of shares, side by side.

    `shares[j]` is rakings × categories of variable j. A row stops once its
    largest adjustment in a round (raking factor, or trimming to the bounds) is
    under `tolerance`; the others go on, up to `max_iterations` rounds. With
    bounds, trimming and raking can go on trading adjustments far below what the
    margins notice, and a row that cannot meet its margins within the bounds
    never settles; so every CHECK_EVERY rounds a row also stops once no weighted
    share is more than `tolerance` from its margin, and every STALL_WINDOW rounds a
    row stops if, at the pace its largest gap shrank over the last STALL_WINDOW
    rounds, it would not reach MARGIN_TOLERANCE in the rounds left (it is then
    refused by the check that follows). Returns the weights, not scaled or checked.
    """
    weights = start.astype(float, copy=True)
    drawn = start > 0
    # Indicator matrices: respondents × (categories + 1), the last column for "outside".
    indicators = [np.eye(len(values) + 1)[at] for at, values in columns]
    active = np.arange(len(weights))
    before = np.full(len(weights), np.inf)  # each row's largest gap STALL_WINDOW rounds ago
    for round_ in range(1, max_iterations + 1):
        if not len(active):
            break
        w = weights[active]
        largest = np.zeros(len(active))
        for (at, values), indicator, share in zip(columns, indicators, shares, strict=True):
            k = len(values)
            current = w @ indicator[:, :k]
            total = current.sum(axis=1, keepdims=True)
            factor = np.ones((len(active), k + 1))
            np.divide(share[active] * total, current, out=factor[:, :k], where=current > 0)
            largest = np.maximum(largest, np.abs(factor[:, :k] - 1).max(axis=1, initial=0))
            w *= factor[:, at]
        if bounds is not None:
            base, mask = start[active], drawn[active]
            ratio = np.divide(w, base, out=np.ones_like(w), where=mask)
            mean = w.sum(axis=1, keepdims=True) / base.sum(axis=1, keepdims=True)
            clipped = np.clip(ratio, bounds.lower * mean, bounds.upper * mean)
            change = np.divide(clipped, ratio, out=np.ones_like(w), where=mask & (ratio > 0))
            largest = np.maximum(largest, np.abs(change - 1).max(axis=1, initial=0))
            w = np.where(mask, clipped * base, w)
            if round_ % CHECK_EVERY == 0:
                gaps = _largest_gaps(indicators, [sh[active] for sh in shares], w)
                largest[gaps < tolerance] = 0.0
                if round_ % STALL_WINDOW == 0:
                    pace = gaps / before[active]
                    with np.errstate(divide="ignore", invalid="ignore"):
                        needed = STALL_WINDOW * np.log(MARGIN_TOLERANCE / gaps) / np.log(pace)
                    stalled = (gaps > MARGIN_TOLERANCE) & (
                        (pace >= 1) | (needed > max_iterations - round_))
                    largest[stalled] = 0.0
                    before[active] = gaps
        weights[active] = w
        active = active[largest >= tolerance]
    return weights


def _within_bounds(weights: np.ndarray, start: np.ndarray, bounds: Bounds | None) -> bool:
    """Whether every drawn respondent's adjustment is within the bounds × the mean one."""
    if bounds is None:
        return True
    drawn = start > 0
    if not drawn.any():
        return True
    ratio = weights[drawn] / start[drawn] / (weights.sum() / start.sum())
    return bool(ratio.min() >= bounds.lower * (1 - BOUND_TOLERANCE)
                and ratio.max() <= bounds.upper * (1 + BOUND_TOLERANCE))


def weight_range(weights: np.ndarray) -> tuple[float, float] | None:
    """The smallest and largest weight as multiples of the mean weight; None without weights."""
    if not len(weights) or weights.sum() <= 0:
        return None
    mean = weights.mean()
    return float(weights.min() / mean), float(weights.max() / mean)


def rake(
    categories: np.ndarray, margins: Sequence[Mapping[int, float]],
    *, max_iterations: int | None = None, tolerance: float = TOLERANCE,
    start: np.ndarray | None = None, bounds: Bounds | None = None,
) -> np.ndarray:
    """Raking weights for respondents × variables `categories` to the given margins.

    `margins[j]` maps each category of variable j to its population share (adding to 1).
    `start` gives starting weights (a bootstrap replicate's factors; 1 by default):
    raking adjusts them, and a respondent starting at 0 stays at 0. `bounds`
    keep each weight (each adjustment of a start weight) within multiples of the
    mean one, trimming after every round.
    Raises MarginsUnreachable when a category with a share has no respondent, and
    RakingDidNotConverge (naming the category furthest off) when, after the
    iterations, a weighted share is more than MARGIN_TOLERANCE from its margin
    or a weight is outside the bounds.
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
    if max_iterations is None:
        max_iterations = MAX_ITERATIONS if bounds is None else BOUNDED_MAX_ITERATIONS
    columns = _columns(categories, margins)
    shares = [np.array([[margin[v] for v in values]]) for (_, values), margin
              in zip(columns, margins, strict=True)]
    raked = _rake_rows(columns, shares, weights[None, :], bounds=bounds,
                       max_iterations=max_iterations, tolerance=tolerance)[0]
    raked = raked * n / raked.sum()
    miss = largest_margin_miss(categories, margins, raked)
    if (miss is not None and miss.gap > MARGIN_TOLERANCE) or not _within_bounds(
            raked, weights, bounds):
        raise RakingDidNotConverge(miss or MarginMiss(0, 0, 0.0, 0.0), bounds=bounds)
    return raked


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


def reachable_margins(categories: np.ndarray, margins: Sequence[Mapping[int, float]]
                      ) -> tuple[list[dict[int, float]], dict[int, list[int]]]:
    """Margins without the categories no respondent is in, the others scaled to add up to 1.

    Returns the margins to rake to, and the dropped categories by variable. A
    small sample may miss a category (no one over 65 among 29 respondents);
    its population share is then spread over the categories that are there.
    """
    out, dropped = [], {}
    for j, margin in enumerate(margins):
        present = set(np.unique(categories[:, j]).tolist())
        missing = sorted(v for v, share in margin.items() if share > 0 and v not in present)
        if missing:
            dropped[j] = missing
        kept = {v: share for v, share in margin.items() if v in present}
        total = sum(kept.values())
        out.append({v: share / total for v, share in kept.items()} if total else {})
    return out, dropped


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
    bounds: Bounds | None = None,
) -> Raking:
    """Rake as given; if the margins are not met, merge sparse categories and rake again.

    A sample whose margins can be met is raked exactly as `rake` does, nothing
    merged. Otherwise every category with fewer than `min_cell` respondents, in
    every variable, is merged as `collapse_sparse_cells` says, and the merged
    margins must then be met (within `bounds`, if given). Raises
    RakingDidNotConverge (the miss of the merged raking) when they are not, or
    when nothing was sparse enough to merge.
    """
    try:
        return Raking(rake(categories, margins, bounds=bounds))
    except RakingDidNotConverge as first:
        recoded, merged, collapsed = collapse_sparse_cells(categories, margins,
                                                           min_cell=min_cell)
        if not collapsed:
            raise
        try:
            return Raking(rake(recoded, merged, bounds=bounds), collapsed)
        except RakingDidNotConverge as second:
            raise RakingDidNotConverge(second.miss, collapsed=collapsed,
                                       bounds=bounds) from first


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


def _largest_gaps(indicators: list[np.ndarray], shares: list[np.ndarray],
                  weights: np.ndarray) -> np.ndarray:
    """Per row of weights: the largest gap between a weighted share and its row's share.

    `indicators[j]` is respondents × (categories + 1) of variable j, its last
    column for respondents outside the margin (as `_rake_rows` makes them).
    """
    gaps = np.zeros(len(weights))
    for indicator, share in zip(indicators, shares, strict=True):
        current = weights @ indicator[:, :-1]
        total = current.sum(axis=1, keepdims=True)
        achieved = np.divide(current, total, out=np.zeros_like(current), where=total > 0)
        target = np.where(total > 0, share, 0)
        gaps = np.maximum(gaps, np.abs(achieved - target).max(axis=1, initial=0))
    return gaps


def reraked_weights(categories: np.ndarray, margins: Sequence[Mapping[int, float]],
                    factors: np.ndarray, *, bounds: Bounds | None = None) -> np.ndarray:
    """Bootstrap replicates' weights: each replicate's resampling factors raked again.

    `factors` is replicates × respondents; so is the result, each row scaled to
    add up to its replicate's total factor. The weighted estimate's replicates
    thus carry the variability of the weights too. A category a replicate
    happens to leave empty is dropped and its share spread over the others, as
    for the sample itself; if the margins still cannot be met (within the
    bounds), sparse categories are merged (rake_collapsing_sparse). A replicate
    whose margins cannot be met even then is a row of NaN: it is left out.
    """
    factors = np.atleast_2d(np.asarray(factors, dtype=float))
    drawn = factors > 0
    columns = _columns(categories, margins)
    indicators = [np.eye(len(values) + 1)[at] for at, values in columns]
    shares = []
    for (_, values), indicator, margin in zip(columns, indicators, margins, strict=True):
        present = (drawn @ indicator[:, :-1]) > 0
        kept = np.array([margin[v] for v in values]) * present
        total = kept.sum(axis=1, keepdims=True)
        shares.append(np.divide(kept, total, out=np.zeros_like(kept), where=total > 0))
    raked = _rake_rows(columns, shares, factors, bounds=bounds,
                       max_iterations=BOUNDED_MAX_ITERATIONS if bounds else MAX_ITERATIONS,
                       tolerance=REPLICATE_TOLERANCE)
    sums = raked.sum(axis=1, keepdims=True)
    raked = np.divide(raked * factors.sum(axis=1, keepdims=True), sums,
                      out=np.zeros_like(raked), where=sums > 0)
    met = _largest_gaps(indicators, shares, raked) <= MARGIN_TOLERANCE
    if bounds is not None:
        met &= np.array([_within_bounds(w, f, bounds) for w, f in zip(raked, factors,
                                                                       strict=True)])
    for r in np.flatnonzero(~met):
        raked[r] = _rerake_merged(categories, margins, factors[r], bounds)
    return raked


def _rerake_merged(categories: np.ndarray, margins: Sequence[Mapping[int, float]],
                   factors: np.ndarray, bounds: Bounds | None) -> np.ndarray:
    """One replicate raked with its sparse categories merged; NaN when even that fails."""
    drawn = factors > 0
    kept, _ = reachable_margins(categories[drawn], margins)
    recoded, merged, _ = collapse_sparse_cells(categories[drawn], kept)
    full = categories.copy()
    full[drawn] = recoded
    try:
        weights = rake(full, merged, start=factors, tolerance=REPLICATE_TOLERANCE, bounds=bounds)
    except MarginsUnreachable:
        return np.full(len(factors), np.nan)
    return weights * factors.sum() / weights.sum()

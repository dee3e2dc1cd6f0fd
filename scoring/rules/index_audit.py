"""Audit arithmetic of a composite index (OECD/JRC Handbook checks). Pure: no Django imports.

Coverage, Cronbach's α, Pearson and Spearman correlations, effective weights, the
what-if re-weighting, each province's strengths and weaknesses, and the rank
correlation between years. The statistics are descriptive figures in floats; the
what-if totals are exact fractions ranked exactly as the published ranking is
(`engine.competition_ranks`), so unchanged weights give back the published ranks.
Thresholds and their references: docs/index-audit.md.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from scoring.rules.engine import competition_ranks

COVERAGE_MIN = 0.65  # JRC rule of thumb: an indicator or unit with less data is flagged
REDUNDANT_ABOVE = 0.92  # a pair correlated above this measures the same thing twice
BEST_WORST = 3

OK, PROVISIONAL, MISSING = "ok", "provisional", "missing"


# --- coverage ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Coverage:
    key: str  # a province code or a criterion code
    valued: int  # components with a value (appraised, self-assessed or answered)
    provisional: int  # of which on a self-assessed score only
    missing: int
    total: int

    @property
    def share(self) -> float | None:
        return self.valued / self.total if self.total else None

    @property
    def percent(self) -> float | None:
        return None if self.share is None else 100 * self.share

    @property
    def flagged(self) -> bool:
        return self.total > 0 and self.valued / self.total < COVERAGE_MIN


def coverage(statuses: Mapping[str, Mapping[str, str]], criterion_of: Mapping[str, str]
             ) -> tuple[list[Coverage], list[Coverage]]:
    """Coverage by province and by criterion, from each province's component statuses.

    `statuses` maps province → component → ok | provisional | missing; a component
    with no entry for a province counts as missing. `criterion_of` maps every
    component to its criterion. Returns (by province, by criterion), in key order.
    A provisional value is a value (it is scored) but is counted apart.
    """
    components = sorted(criterion_of)
    by_province: list[Coverage] = []
    by_criterion: dict[str, dict[str, int]] = {}
    for province in sorted(statuses):
        counts = {OK: 0, PROVISIONAL: 0, MISSING: 0}
        for component in components:
            status = statuses[province].get(component, MISSING)
            counts[status] += 1
            cell = by_criterion.setdefault(criterion_of[component], {OK: 0, PROVISIONAL: 0,
                                                                     MISSING: 0})
            cell[status] += 1
        by_province.append(Coverage(province, counts[OK] + counts[PROVISIONAL],
                                    counts[PROVISIONAL], counts[MISSING], len(components)))
    criteria = [Coverage(code, c[OK] + c[PROVISIONAL], c[PROVISIONAL], c[MISSING],
                         c[OK] + c[PROVISIONAL] + c[MISSING])
                for code, c in sorted(by_criterion.items())]
    return by_province, criteria


# --- descriptive statistics --------------------------------------------------------------------

def _mean(xs: Sequence[float]) -> float:
    return math.fsum(xs) / len(xs)


def variance(xs: Sequence[float]) -> float:
    """Sample variance (n − 1 in the denominator)."""
    m = _mean(xs)
    return math.fsum((x - m) ** 2 for x in xs) / (len(xs) - 1)


def covariance(xs: Sequence[float], ys: Sequence[float]) -> float:
    mx, my = _mean(xs), _mean(ys)
    return math.fsum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / (len(xs) - 1)


def pearson(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Pearson's r; None with fewer than 3 pairs or when either side does not vary."""
    if len(xs) != len(ys):
        raise ValueError("both series need one value per province")
    if len(xs) < 3:
        return None
    vx, vy = variance(xs), variance(ys)
    if vx <= 0 or vy <= 0:
        return None
    r = covariance(xs, ys) / math.sqrt(vx * vy)
    return max(-1.0, min(1.0, r))


def average_ranks(xs: Sequence[float]) -> list[float]:
    """Ranks 1…n, lowest first; tied values share the mean of the ranks they span."""
    order = sorted(range(len(xs)), key=lambda i: xs[i])
    ranks = [0.0] * len(xs)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and xs[order[end + 1]] == xs[order[start]]:
            end += 1
        shared = (start + end) / 2 + 1
        for k in range(start, end + 1):
            ranks[order[k]] = shared
        start = end + 1
    return ranks


def spearman(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Spearman's ρ: Pearson's r of the average ranks."""
    if len(xs) != len(ys):
        raise ValueError("both series need one value per province")
    return pearson(average_ranks(xs), average_ranks(ys))


def cronbach_alpha(items: Sequence[Sequence[float]]) -> float | None:
    """Cronbach's α of k items (each a series over the same provinces).

    α = k / (k − 1) × (1 − Σ var(item) / var(Σ items)), sample variances. None with
    fewer than 2 items, fewer than 3 provinces, or a sum that does not vary.
    """
    k = len(items)
    if k < 2 or len(items[0]) < 3:
        return None
    sums = [math.fsum(col) for col in zip(*items, strict=True)]
    total = variance(sums)
    if total <= 0:
        return None
    return k / (k - 1) * (1 - math.fsum(variance(i) for i in items) / total)


# --- correlations of the tree --------------------------------------------------------------------

@dataclass(frozen=True)
class Correlation:
    code: str
    parent: str  # its area
    pearson_area: float | None
    spearman_area: float | None
    pearson_total: float | None
    spearman_total: float | None

    @property
    def negative(self) -> bool:
        return any(r is not None and r < 0 for r in (self.pearson_area, self.pearson_total,
                                                     self.spearman_area, self.spearman_total))


def criterion_correlations(criteria: Mapping[str, Sequence[float]], parent: Mapping[str, str],
                           areas: Mapping[str, Sequence[float]], total: Sequence[float]
                           ) -> list[Correlation]:
    """Each criterion against its area and the total (Pearson and Spearman), in code order."""
    return [Correlation(code, parent[code], pearson(xs, areas[parent[code]]),
                        spearman(xs, areas[parent[code]]), pearson(xs, total),
                        spearman(xs, total))
            for code, xs in criteria.items()]


def correlation_matrix(series: Mapping[str, Sequence[float]]
                       ) -> tuple[list[str], list[list[float | None]]]:
    """Pearson's r between every pair of series (codes in the given order); 1 on the diagonal
    for a series that varies, None for one that does not.

    The numbers `pearson` gives pair by pair, to the last bit: each series' deviations
    from its mean and its variance are the same floats whichever pair they enter, and r is
    symmetric (products commute, fsum is exactly rounded), so each is computed once and
    each pair once. For par-2024's 38 criteria that is 741 sums of products instead of
    1,444 Pearson's r, each computing two means and two variances again.
    """
    codes = list(series)
    if len({len(xs) for xs in series.values()}) > 1:
        raise ValueError("every series needs one value per province")
    spread: list[tuple[list[float], float] | None] = []
    for code in codes:
        xs = series[code]
        if len(xs) < 3:
            spread.append(None)
            continue
        mean = _mean(xs)
        deviations = [x - mean for x in xs]
        var = math.fsum(d ** 2 for d in deviations) / (len(xs) - 1)
        spread.append((deviations, var) if var > 0 else None)
    matrix: list[list[float | None]] = [[None] * len(codes) for _ in codes]
    for i, a in enumerate(spread):
        for j in range(i, len(codes)):
            b = spread[j]
            if a is None or b is None:
                continue
            cov = math.fsum(x * y for x, y in zip(a[0], b[0], strict=True)) / (len(a[0]) - 1)
            matrix[i][j] = matrix[j][i] = max(-1.0, min(1.0, cov / math.sqrt(a[1] * b[1])))
    return codes, matrix


def redundant_pairs(codes: Sequence[str], matrix: Sequence[Sequence[float | None]]
                    ) -> list[tuple[str, str, float]]:
    """Pairs correlated above REDUNDANT_ABOVE (each pair once, in matrix order)."""
    return [(codes[i], codes[j], matrix[i][j])
            for i in range(len(codes)) for j in range(i + 1, len(codes))
            if matrix[i][j] is not None and matrix[i][j] > REDUNDANT_ABOVE]


def negative_pairs(codes: Sequence[str], matrix: Sequence[Sequence[float | None]]
                   ) -> list[tuple[str, str, float]]:
    """Pairs correlated negatively (each pair once, in matrix order)."""
    return [(codes[i], codes[j], matrix[i][j])
            for i in range(len(codes)) for j in range(i + 1, len(codes))
            if matrix[i][j] is not None and matrix[i][j] < 0]


# --- effective weights ------------------------------------------------------------------------

@dataclass(frozen=True)
class EffectiveWeight:
    code: str
    nominal: float  # the part's maximum over the total's maximum
    effective: float | None  # cov(part, total) / var(total): its share of the total's variance
    r_squared: float | None  # squared correlation of the part with the total

    @property
    def nominal_percent(self) -> float:
        return 100 * self.nominal

    @property
    def effective_percent(self) -> float | None:
        return None if self.effective is None else 100 * self.effective


def effective_weights(parts: Mapping[str, Sequence[float]], maxima: Mapping[str, float]
                      ) -> list[EffectiveWeight]:
    """Each part's nominal weight beside its contribution to the variance of the total.

    `parts` are the parts' contributions to the total (PAR: points; SIPAS: percent ÷
    number of parts), one value per province, so that the total is their sum:
    Σ cov(partᵢ, total) = var(total) and the effective weights add up to 1 (Paruolo,
    Saisana & Saltelli 2013). When the total does not vary they are None.
    """
    codes = list(parts)
    n = len(next(iter(parts.values()), []))
    total = [math.fsum(parts[c][p] for c in codes) for p in range(n)]
    whole = math.fsum(maxima[c] for c in codes)
    var_total = variance(total) if n >= 2 else 0.0
    out = []
    for code in codes:
        nominal = maxima[code] / whole if whole else 0.0
        if var_total <= 0:
            out.append(EffectiveWeight(code, nominal, None, None))
            continue
        r = pearson(parts[code], total)
        out.append(EffectiveWeight(code, nominal, covariance(parts[code], total) / var_total,
                                   None if r is None else r * r))
    return out


# --- what-if ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class CriterionValue:
    """One criterion of one province as the what-if reads it."""

    area: str
    value: Fraction | None  # PAR: points; SIPAS: percent (None: no value)
    weight: Fraction  # PAR: the criterion's maximum points; SIPAS: 1


@dataclass(frozen=True)
class WhatIfRow:
    province: str
    percent: Fraction | None  # the scenario's total, percent
    rank: int | None
    published_rank: int | None
    shift: int | None  # published rank − new rank (positive = moves up)


@dataclass(frozen=True)
class WhatIf:
    rows: list[WhatIfRow]  # by new rank, then province code; unranked last
    mean_shift: float | None  # mean |shift| over provinces ranked both ways
    moved: int  # provinces whose rank changes


def exact_sum(values: Sequence[Fraction]) -> Fraction:
    """Σ values, exactly, over their least common denominator: one reduction instead of one
    per addition (a what-if adds some 2,500 criterion values)."""
    if not values:
        return Fraction(0)
    common = math.lcm(*(v.denominator for v in values))
    return Fraction(sum(v.numerator * (common // v.denominator) for v in values), common)


def area_fraction(criteria: Sequence[CriterionValue]) -> Fraction | None:
    """An area's share of its maximum from its kept criteria: Σ values / Σ maxima (PAR),
    or the mean of the percentages that exist / 100 (SIPAS, weight 1 each)."""
    valued = [c for c in criteria if c.value is not None]
    weight = exact_sum([c.weight for c in valued])
    if not valued or not weight:
        return None
    return exact_sum([c.value for c in valued]) / weight


def scenario_percent(criteria: Sequence[CriterionValue], weights: Mapping[str, Fraction], *,
                     percent_scale: bool, dropped: frozenset[str] = frozenset(),
                     codes: Sequence[str] = ()) -> Fraction | None:
    """One province's total under area weights: 100 × Σ wₐ·fₐ / Σ wₐ over areas with a value.

    `codes`, parallel to `criteria`, names them so that `dropped` ones are left out; an
    area keeps its weight and is scored on its remaining criteria (COINr's reading of
    removing an indicator). `percent_scale` says a criterion's value is a percentage
    (SIPAS) rather than points.
    """
    by_area: dict[str, list[CriterionValue]] = {}
    for i, c in enumerate(criteria):
        if codes and codes[i] in dropped:
            continue
        by_area.setdefault(c.area, []).append(c)
    terms, used = [], []
    for area, members in by_area.items():
        w = weights.get(area, Fraction(0))
        f = area_fraction(members) if w else None
        if f is None:
            continue
        terms.append(w * f)
        used.append(w)
    weight = exact_sum(used)
    if not weight:
        return None
    return (1 if percent_scale else 100) * exact_sum(terms) / weight


def what_if(provinces: Mapping[str, Mapping[str, CriterionValue]],
            weights: Mapping[str, Fraction], published_ranks: Mapping[str, int], *,
            percent_scale: bool, dropped: frozenset[str] = frozenset()) -> WhatIf:
    """Every province's total and competition rank under other area weights or without some
    criteria, beside its published rank (spec §6: ranks on totals rounded to 2 decimals)."""
    percents: dict[str, Fraction | None] = {}
    for province, criteria in provinces.items():
        codes = list(criteria)
        percents[province] = scenario_percent([criteria[c] for c in codes], weights,
                                              percent_scale=percent_scale, dropped=dropped,
                                              codes=codes)
    ranks = competition_ranks(percents)
    rows, shifts = [], []
    for province, percent in percents.items():
        rank, before = ranks.get(province), published_ranks.get(province)
        shift = None if rank is None or before is None else before - rank
        if shift is not None:
            shifts.append(abs(shift))
        rows.append(WhatIfRow(province, percent, rank, before, shift))
    rows.sort(key=lambda r: (r.rank is None, r.rank or 0, r.province))
    return WhatIf(rows, math.fsum(shifts) / len(shifts) if shifts else None,
                  sum(1 for s in shifts if s))


# --- strengths and weaknesses -------------------------------------------------------------------

@dataclass(frozen=True)
class Standing:
    code: str
    value: float
    percentile: float  # 0–100: share of provinces below, counting ties as half


def percentile(below: int, equal: int, count: int) -> float:
    """The mid-rank percentile of a value with `below` values under it and `equal` values
    equal to it (itself included) among `count`: 100 × (below + ½ × equal) / count."""
    return 100 * (below + equal / 2) / count


def percentile_rank(value: float, others: Sequence[float]) -> float:
    """The mid-rank percentile of `value` among `others` (which include it)."""
    return percentile(sum(1 for x in others if x < value), sum(1 for x in others if x == value),
                      len(others))


@dataclass(frozen=True)
class Placing:
    """Where a province's value of one criterion falls among every province's, its own
    included: how many are below it, equal to it (itself at least) and in all."""

    code: str
    value: float
    below: int
    equal: int
    count: int


def best_and_worst(placings: Iterable[Placing]) -> tuple[list[Standing], list[Standing]]:
    """The three best and three worst criteria by percentile (best first, worst first; ties
    by code). A criterion on which every province scores alike (all equal to this one's)
    says nothing of strength and is left out."""
    standings = [Standing(p.code, p.value, percentile(p.below, p.equal, p.count))
                 for p in placings if p.equal < p.count]
    best = sorted(standings, key=lambda s: (-s.percentile, s.code))[:BEST_WORST]
    worst = sorted(standings, key=lambda s: (s.percentile, s.code))[:BEST_WORST]
    return best, worst


def strengths_and_weaknesses(mine: Mapping[str, float], national: Mapping[str, Sequence[float]]
                             ) -> tuple[list[Standing], list[Standing]]:
    """A province's three best and three worst criteria by percentile in the national
    distribution (`best_and_worst` of each criterion's placing)."""
    return best_and_worst(
        Placing(code, value, sum(1 for x in national[code] if x < value),
                sum(1 for x in national[code] if x == value), len(national[code]))
        for code, value in mine.items() if code in national)


# --- years ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class YearComparison:
    spearman: float | None
    compared: int  # provinces ranked in both years
    movers: list[tuple[str, int, int]]  # (province, last year's rank, this year's), most moved


def year_comparison(current: Mapping[str, int], previous: Mapping[str, int], *,
                    movers: int = 5) -> YearComparison:
    """Spearman's ρ between this year's and last year's ranks of the provinces ranked in both,
    and the provinces whose rank changed most (ties by province code)."""
    common = sorted(set(current) & set(previous))
    rho = spearman([float(previous[c]) for c in common], [float(current[c]) for c in common])
    moved = sorted(((c, previous[c], current[c]) for c in common if previous[c] != current[c]),
                   key=lambda m: (-abs(m[1] - m[2]), m[0]))
    return YearComparison(rho, len(common), moved[:movers])

"""Sampling uncertainty by bootstrap, and rank intervals (pure: numpy, no Django).

A province's survey numbers rest on a sample of respondents. A bootstrap
replicate draws, within the province and separately for each questionnaire, as
many respondents as were observed, with replacement; the replicate's tallies are
the resampled respondents' answers, and the index is scored from them with the
same rules as the published numbers (scoring-spec §3–§5), in floating point.

Each replicate's draw comes from its own random stream, seeded by the run's seed,
the replicate number, the province code and the questionnaire code. A replicate
therefore has the same value however replicates are split into chunks, in
whatever order the chunks run, and however often one is retried.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from scoring.engine import NodeDef, Scores, appraisal_points

CONFIDENCE = 0.95
RANK_PERCENTILES = (5, 50, 95)


def stream(seed: int, replicate: int, *labels: str) -> np.random.Generator:
    """The random stream of one replicate of one stratum (province × questionnaire)."""
    words = [seed, replicate, *(zlib.crc32(label.encode()) for label in labels)]
    return np.random.default_rng(np.random.SeedSequence(words))


def resample_counts(n: int, rng: np.random.Generator) -> np.ndarray:
    """How many times each of n respondents is drawn in one resample of size n."""
    if n == 0:
        return np.zeros(0)
    return np.bincount(rng.integers(0, n, size=n), minlength=n).astype(float)


@dataclass(frozen=True)
class Plan:
    """An index tree compiled to matrix operations over tally columns.

    `columns` maps (question id, answer value) to a column of a tally matrix
    T (replicates × columns); `evaluate(T)` scores every node for every row.
    """

    kind: str
    codes: tuple[str, ...]  # node codes, parents before children
    columns: Mapping[tuple[int, int], int]
    numerators: np.ndarray  # columns × sources: the rule's value of each answer
    denominators: np.ndarray  # columns × sources: 1 for each valid answer
    source_weights: np.ndarray  # sources × survey leaves
    leaves: tuple[str, ...]  # survey leaves, in the order of source_weights' columns
    leaf_max: np.ndarray  # max points of each survey leaf (PAR)
    children: Mapping[str, tuple[str, ...]]
    levels: Mapping[str, int]
    survey_based: frozenset[str]  # nodes with a survey leaf at or below them


def _rule_value(node: NodeDef, value: int, substantive: Sequence[int]) -> float:
    if node.rule == "scaled_mean":
        lo, hi = min(substantive), max(substantive)
        return (value - lo) / (hi - lo)
    if node.rule == "top_box":
        return 1.0 if value >= node.threshold else 0.0
    if node.rule == "option_fraction":
        return float(node.fractions[value])
    raise ValueError(f"unknown rule {node.rule!r}")


def compile_plan(kind: str, nodes: Sequence[NodeDef]) -> Plan:
    children: dict[str, list[str]] = {}
    for node in nodes:
        if node.parent is not None:
            children.setdefault(node.parent, []).append(node.code)
    leaves = [n for n in nodes if n.level == 3 and not children.get(n.code)
              and (kind == "sipas" or n.method == "survey")]
    columns: dict[tuple[int, int], int] = {}
    for node in leaves:
        for source in node.sources:
            for value in source.substantive:
                columns.setdefault((source.question, value), len(columns))
    sources = [(i, node, source) for i, node in enumerate(leaves) for source in node.sources]
    numerators = np.zeros((len(columns), len(sources)))
    denominators = np.zeros((len(columns), len(sources)))
    weights = np.zeros((len(sources), len(leaves)))
    for s, (i, node, source) in enumerate(sources):
        for value in source.substantive:
            c = columns[(source.question, value)]
            numerators[c, s] = _rule_value(node, value, source.substantive)
            denominators[c, s] = 1.0
        weights[s, i] = float(source.weight)
    parents = {n.code: n.parent for n in nodes}
    survey_based: set[str] = set()
    for node in leaves:
        code: str | None = node.code
        while code is not None and code not in survey_based:
            survey_based.add(code)
            code = parents[code]
    return Plan(
        kind=kind, codes=tuple(n.code for n in nodes), columns=columns,
        numerators=numerators, denominators=denominators, source_weights=weights,
        leaves=tuple(n.code for n in leaves),
        leaf_max=np.array([float(n.max_points or 0) for n in leaves]),
        children={k: tuple(v) for k, v in children.items()},
        levels={n.code: n.level for n in nodes}, survey_based=frozenset(survey_based),
    )


def leaf_fractions(plan: Plan, tallies: np.ndarray) -> np.ndarray:
    """Each survey leaf's fraction for each row of tallies; NaN where it has no valid answer."""
    num = tallies @ plan.numerators
    den = tallies @ plan.denominators
    valid = den > 0
    per_source = np.divide(num, den, out=np.zeros_like(num), where=valid)
    weighted = per_source @ plan.source_weights
    weight_sum = valid.astype(float) @ plan.source_weights
    return np.divide(weighted, weight_sum, out=np.full_like(weighted, np.nan),
                     where=weight_sum > 0)


def evaluate(
    plan: Plan, tallies: np.ndarray, appraisal: Mapping[str, float] | None = None
) -> dict[str, np.ndarray]:
    """Score every node for every row of `tallies` (rows × columns).

    PAR nodes give points (appraisal leaves take the fixed points in `appraisal`);
    SIPAS nodes give percentages, NaN where a node has no value.
    """
    appraisal = appraisal or {}
    rows = tallies.shape[0]
    fractions = leaf_fractions(plan, tallies)
    out: dict[str, np.ndarray] = {}
    for i, code in enumerate(plan.leaves):
        if plan.kind == "par":
            out[code] = np.nan_to_num(fractions[:, i], nan=0.0) * plan.leaf_max[i]
        else:
            out[code] = fractions[:, i] * 100
    for code in reversed(plan.codes):
        if code in out:
            continue
        kids = plan.children.get(code, ())
        if not kids:  # an appraisal leaf, or a childless node
            out[code] = np.full(rows, appraisal.get(code, 0.0))
        elif plan.kind == "par":
            out[code] = np.sum([out[k] for k in kids], axis=0)
        else:
            stacked = np.vstack([out[k] for k in kids])
            counted = np.sum(~np.isnan(stacked), axis=0)
            total = np.nansum(stacked, axis=0)
            out[code] = np.divide(total, counted, out=np.full(rows, np.nan), where=counted > 0)
    return out


def appraisal_values(nodes: Sequence[NodeDef], scores: Mapping[str, Scores]) -> dict[str, float]:
    """The fixed points of appraisal leaves (appraised, else self-assessed, else 0)."""
    return {n.code: float(appraisal_points(n.max_points, scores.get(n.code))[0])
            for n in nodes if n.method == "appraisal"}


@dataclass
class Stratum:
    """One questionnaire's respondents in one province, as a respondents × columns matrix."""

    label: str  # the questionnaire's code
    answers: np.ndarray  # respondents × plan columns: 1 where the respondent gave that answer
    ids: np.ndarray | None = None  # the respondents' submission ids, in row order


def answer_matrix(
    plan: Plan, respondents: int, rows: np.ndarray, questions: np.ndarray, values: np.ndarray
) -> np.ndarray:
    """A respondents × columns matrix from answer triples (respondent row, question, value).

    Answers outside the plan's columns (other questions, non-substantive values) are
    left out. Vectorised: each (question, value) pair becomes one integer key, looked
    up by binary search among the plan's keys.
    """
    matrix = np.zeros((respondents, len(plan.columns)))
    if not len(rows) or not plan.columns:
        return matrix
    pairs = np.array(list(plan.columns), dtype=np.int64)
    columns = np.fromiter(plan.columns.values(), dtype=np.int64, count=len(plan.columns))
    q, v = np.asarray(questions, dtype=np.int64), np.asarray(values, dtype=np.int64)
    lo = min(int(pairs[:, 1].min()), int(v.min()))
    span = max(int(pairs[:, 1].max()), int(v.max())) - lo + 1
    keys = pairs[:, 0] * span + (pairs[:, 1] - lo)
    order = np.argsort(keys)
    keys, columns = keys[order], columns[order]
    wanted = q * span + (v - lo)
    at = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
    hit = keys[at] == wanted
    np.add.at(matrix, (np.asarray(rows, dtype=np.int64)[hit], columns[at[hit]]), 1.0)
    return matrix


def replicate_tallies(
    strata: Sequence[Stratum], *, province: str, seed: int, replicates: Sequence[int],
    weights: Mapping[str, np.ndarray] | None = None,
) -> np.ndarray:
    """The tallies of the given replicates (rows) for one province.

    `weights` optionally gives each stratum's survey weights, per respondent.
    """
    width = strata[0].answers.shape[1] if strata else 0
    out = np.zeros((len(replicates), width))
    for stratum in strata:
        n = stratum.answers.shape[0]
        draws = np.vstack([resample_counts(n, stream(seed, r, province, stratum.label))
                           for r in replicates]) if n else np.zeros((len(replicates), 0))
        if weights is not None and stratum.label in weights:
            draws = draws * weights[stratum.label]
        out += draws @ stratum.answers if n else 0
    return out


def percentile_interval(samples: np.ndarray, confidence: float = CONFIDENCE) -> tuple:
    """The equal-tailed percentile interval of bootstrap values (NaN values left out)."""
    kept = samples[~np.isnan(samples)]
    if not len(kept):
        return None, None
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(kept, [tail, 100 - tail])
    return float(low), float(high)


def replicate_ranks(values: np.ndarray) -> np.ndarray:
    """Competition ranks (1, 2, 2, 4) within each replicate, by value rounded to 2 decimals.

    `values` is replicates × provinces; NaN (no value) ranks after every province.
    """
    rounded = np.round(np.where(np.isnan(values), -np.inf, values) + 0.0, 2)
    # rank = 1 + how many provinces have a strictly higher value in the same replicate
    return 1 + np.sum(rounded[:, None, :] > rounded[:, :, None], axis=2)


@dataclass(frozen=True)
class RankInterval:
    median: int
    low: int  # 5th percentile: the best rank it plausibly holds
    high: int  # 95th percentile


def rank_intervals(values: np.ndarray) -> list[RankInterval]:
    """Median and 5th–95th percentile rank of each province (columns) over replicates."""
    ranks = replicate_ranks(values)
    out = []
    for column in ranks.T:
        low, median, high = np.percentile(column, RANK_PERCENTILES, method="inverted_cdf")
        out.append(RankInterval(int(median), int(low), int(high)))
    return out


def indistinguishable_groups(order: Sequence[str], intervals: Mapping[str, RankInterval]
                             ) -> dict[str, int]:
    """Number tiers of provinces, in rank order, that cannot be told apart from the tier's first.

    A tier starts with the best-ranked province not yet placed; every following
    province whose rank interval overlaps that first province's joins the tier.
    So within a tier, no province is distinguishable from the tier's leader.
    """
    groups: dict[str, int] = {}
    group, leader = 0, None
    for code in order:
        current = intervals.get(code)
        if current is None:
            continue
        if leader is None or not overlaps(leader, current):
            group, leader = group + 1, current
        groups[code] = group
    return groups


def overlaps(a: RankInterval, b: RankInterval) -> bool:
    return a.low <= b.high and b.low <= a.high

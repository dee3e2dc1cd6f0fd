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

import math
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from scoring.rules.engine import NodeDef, Scores, appraisal_points, rule_of
from scoring.rules.vocabulary import IndexKind, Level, Method

CONFIDENCE = 0.95
Z95 = 1.959963984540054
# The rank interval is a 95 % interval, as its heading says: 2.5th and 97.5th percentiles.
RANK_PERCENTILES = (2.5, 50, 97.5)
# Below this many valid answers a node's interval is a small-sample one, and the node is flagged.
MIN_VALID_ANSWERS = 30
# Fewest answers expected on either side of a proportion (n·p and n·(1 − p)) for the
# percentile bootstrap to be trusted, as for the normal approximation it resembles.
MIN_EXPECTED = 5
# A province is "above" another when its total is higher in at least this share of replicates.
ABOVE_SHARE = 0.95


# Replicates are drawn in blocks of this many (numbers 0–49, 50–99…), each block from its
# own random stream: a chunk draws the blocks it touches whole and keeps its replicates.
BLOCK = 50


def stream(seed: int, replicate: int, *labels: str) -> np.random.Generator:
    """The random stream of one block of replicates (`replicate` is the block's number)
    of one stratum (province × questionnaire)."""
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


def compile_plan(kind: str, nodes: Sequence[NodeDef]) -> Plan:
    children: dict[str, list[str]] = {}
    for node in nodes:
        if node.parent is not None:
            children.setdefault(node.parent, []).append(node.code)
    leaves = [n for n in nodes if n.level == Level.LEAF and not children.get(n.code)
              and (kind == IndexKind.SIPAS or n.method == Method.SURVEY)]
    columns = _answer_columns(leaves)
    sources = [(i, node, source) for i, node in enumerate(leaves) for source in node.sources]
    numerators = np.zeros((len(columns), len(sources)))
    denominators = np.zeros((len(columns), len(sources)))
    weights = np.zeros((len(sources), len(leaves)))
    for s, (i, node, source) in enumerate(sources):
        rule = rule_of(node)
        for value in source.substantive:
            c = columns[(source.question, value)]
            numerators[c, s] = rule.answer_value(node, value, source.substantive)
            denominators[c, s] = 1.0
        weights[s, i] = float(source.weight)
    survey_based = _survey_based(nodes, leaves)
    return Plan(
        kind=kind, codes=tuple(n.code for n in nodes), columns=columns,
        numerators=numerators, denominators=denominators, source_weights=weights,
        leaves=tuple(n.code for n in leaves),
        leaf_max=np.array([float(n.max_points or 0) for n in leaves]),
        children={k: tuple(v) for k, v in children.items()},
        levels={n.code: n.level for n in nodes}, survey_based=frozenset(survey_based),
    )


def _answer_columns(leaves: Sequence[NodeDef]) -> dict[tuple[int, int], int]:
    """A column number for each (question, substantive value) the leaves read, in order."""
    columns: dict[tuple[int, int], int] = {}
    for node in leaves:
        for source in node.sources:
            for value in source.substantive:
                columns.setdefault((source.question, value), len(columns))
    return columns


def _survey_based(nodes: Sequence[NodeDef], leaves: Sequence[NodeDef]) -> set[str]:
    """The survey leaves and every node above one."""
    parents = {n.code: n.parent for n in nodes}
    survey_based: set[str] = set()
    for node in leaves:
        code: str | None = node.code
        while code is not None and code not in survey_based:
            survey_based.add(code)
            code = parents[code]
    return survey_based


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
        if plan.kind == IndexKind.PAR:
            out[code] = np.nan_to_num(fractions[:, i], nan=0.0) * plan.leaf_max[i]
        else:
            out[code] = fractions[:, i] * 100
    for code in reversed(plan.codes):
        if code in out:
            continue
        kids = plan.children.get(code, ())
        if not kids:  # an appraisal leaf, or a childless node
            out[code] = np.full(rows, appraisal.get(code, 0.0))
        elif plan.kind == IndexKind.PAR:
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
            for n in nodes if n.method == Method.APPRAISAL}


@dataclass
class Stratum:
    """One questionnaire's respondents in one province, as a respondents × columns matrix.

    `psus` and `strata` give each respondent's primary sampling unit and design
    stratum ("" where none was recorded: the respondent is then its own unit);
    `population` is the number of people the respondents were drawn from (for
    the finite-population correction), 0 when unknown.
    """

    label: str  # the questionnaire's code
    answers: np.ndarray  # respondents × plan columns: 1 where the respondent gave that answer
    ids: np.ndarray | None = None  # the respondents' submission ids, in row order
    psus: Sequence[str] | None = None
    strata: Sequence[str] | None = None
    population: int = 0

    @property
    def clustered(self) -> bool:
        return self.psus is not None and any(self.psus)

    def sampling_fraction(self) -> float:
        """n / N where the population is known and the respondents are the units, else 0."""
        n = self.answers.shape[0]
        if self.clustered or self.population <= 0 or n == 0:
            return 0.0
        return min(1.0, n / self.population)

    def design(self) -> tuple[list[np.ndarray], list[float]]:
        """The design strata: each one's units (arrays of respondent rows) and its FPC fraction.

        Respondents sharing a (stratum, PSU) form one unit; a respondent without
        a PSU is a unit of its own. Strata and units are in sorted label order,
        so a replicate's draws do not depend on the order rows were read in.
        """
        n = self.answers.shape[0]
        if not self.clustered:
            return [np.arange(n)], [self.sampling_fraction()]
        psus = list(self.psus or [""] * n)
        strata = list(self.strata or [""] * n)
        groups: dict[str, dict[str, list[int]]] = {}
        for row in range(n):
            unit = psus[row] or f"\uffff{row:09d}"  # its own unit, ordered after named PSUs
            groups.setdefault(strata[row], {}).setdefault(unit, []).append(row)
        units, fractions = [], []
        for stratum in sorted(groups):
            members = groups[stratum]
            cell = np.empty(len(members), dtype=object)  # ragged: one array of rows per unit
            for i, unit in enumerate(sorted(members)):
                cell[i] = np.array(members[unit], dtype=np.int64)
            units.append(cell)
            fractions.append(0.0)  # PSUs in the population are not known: no FPC
        return units, fractions


def rao_wu_scale(units: int, fraction: float) -> tuple[float, float]:
    """The Rao–Wu rescaled bootstrap of one design stratum of n units (Rao, Wu & Yue 1992).

    n − 1 units are drawn with replacement; unit i, drawn rᵢ times, gets the
    factor a + b · rᵢ with a = 1 − λ, b = λ · n/(n − 1) and λ = √(1 − f), f the
    sampling fraction. The factors average 1, are never negative, and give the
    unbiased variance of a stratified (clustered) sample with its finite-
    population correction: no spread at all when f = 1 (a census). Returns (a, b).
    """
    lam = math.sqrt(max(0.0, 1.0 - fraction))
    return 1 - lam, lam * units / (units - 1)


def unit_draws(units: int, rows: int, rng: np.random.Generator) -> np.ndarray:
    """rows × n: how many times each of n units is drawn when n − 1 are drawn with replacement."""
    picks = rng.integers(0, units, size=(rows, units - 1))
    picks += np.arange(rows)[:, None] * units
    return np.bincount(picks.reshape(-1), minlength=rows * units).reshape(rows, units)


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
    """The tallies of the given replicates (rows) for one province: Rao–Wu rescaled bootstrap.

    Within each questionnaire's respondents, each design stratum's units (PSUs,
    or respondents where none is recorded) are drawn as `rao_wu_scale` says.
    A replicate's tally is a · (the stratum's tally) + b · (the drawn units'
    tally); the draws are whole counts, so the sums are exact and a replicate
    has the same value however replicates are batched. `weights` optionally
    gives each stratum's survey weights, per respondent.
    """
    width = strata[0].answers.shape[1] if strata else 0
    replicates = np.asarray(replicates, dtype=np.int64)
    out = np.zeros((len(replicates), width))
    blocks = sorted(set((replicates // BLOCK).tolist()))
    where = {b: i for i, b in enumerate(blocks)}
    # each replicate's row among the drawn blocks
    picked = np.array([where[r // BLOCK] * BLOCK + r % BLOCK for r in replicates.tolist()],
                      dtype=np.int64)
    for stratum in strata:
        n = stratum.answers.shape[0]
        if not n:
            continue
        used = np.flatnonzero(stratum.answers.any(axis=0))  # this questionnaire's columns
        answers = stratum.answers[:, used]
        if weights is not None and stratum.label in weights:
            answers = answers * weights[stratum.label][:, None]
        units, fractions = stratum.design()
        rngs = [stream(seed, b, province, stratum.label) for b in blocks]
        for members, fraction in zip(units, fractions, strict=True):
            ragged = members.dtype == object
            rows = np.concatenate(members) if ragged else members
            mine = answers if len(rows) == n and not ragged else answers[rows]
            whole = mine.sum(axis=0)
            if len(members) < 2:  # one unit: its variance cannot be shown
                out[:, used] += whole
                continue
            a, b = rao_wu_scale(len(members), fraction)
            draws = np.vstack([unit_draws(len(members), BLOCK, rng) for rng in rngs])[picked]
            if ragged:  # a unit's respondents are drawn together
                draws = np.repeat(draws, [len(m) for m in members], axis=1)
            out[:, used] += a * whole + b * (draws.astype(float) @ mine)
    return out


def replicate_factor_matrix(stratum: Stratum, *, province: str, seed: int,
                            replicates: Sequence[int]) -> np.ndarray:
    """replicates × respondents: each respondent's Rao–Wu factor in each replicate.

    The same draws as `replicate_tallies` makes for the same seed, so a weighted
    replicate rests on the same resample as the unweighted one.
    """
    n = stratum.answers.shape[0]
    replicates = np.asarray(replicates, dtype=np.int64)
    out = np.ones((len(replicates), n))
    if not n:
        return out
    blocks = sorted(set((replicates // BLOCK).tolist()))
    where = {b: i for i, b in enumerate(blocks)}
    picked = np.array([where[r // BLOCK] * BLOCK + r % BLOCK for r in replicates.tolist()],
                      dtype=np.int64)
    units, fractions = stratum.design()
    rngs = [stream(seed, b, province, stratum.label) for b in blocks]
    for members, fraction in zip(units, fractions, strict=True):
        ragged = members.dtype == object
        if len(members) < 2:
            continue
        a, b = rao_wu_scale(len(members), fraction)
        draws = np.vstack([unit_draws(len(members), BLOCK, rng) for rng in rngs])[picked]
        factors = a + b * draws
        if ragged:
            for i, rows in enumerate(members):
                out[:, rows] = factors[:, [i]]
        else:
            out[:, members] = factors
    return out


def wilson_interval(p: float, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson's score interval for a proportion p of n, with continuity correction.

    Newcombe (1998), method 4: Wilson (1927) with Yates' correction. The plain
    Wilson interval covers only 92.98 % at p = 0.9, n = 10 (its interval for 7 of
    10 stops at 0.892); the corrected one covers 98.7 % there and at least 95 %
    for most p and n, so it is the one published for small samples. Also
    conservative for a mean of answers scored between 0 and 1, whose variance is
    at most p(1 − p).
    """
    if n <= 0:
        raise ValueError("a proportion needs at least one answer")
    p = min(max(p, 0.0), 1.0)
    z2, q = z * z, 1 - p
    denominator = 2 * (n + z2)
    low = 0.0 if p == 0 else max(0.0, (2 * n * p + z2 - 1 - z * math.sqrt(
        max(0.0, z2 - 2 - 1 / n + 4 * p * (n * q + 1)))) / denominator)
    high = 1.0 if p == 1 else min(1.0, (2 * n * p + z2 + 1 + z * math.sqrt(
        max(0.0, z2 + 2 - 1 / n + 4 * p * (n * q - 1)))) / denominator)
    return low, high


@dataclass(frozen=True)
class NodeSample:
    """What one node's value rests on in one province's observed sample.

    value = fixed + scale · p, where p (from 0 to 1) is the sampled share:
    PAR's appraisal points are fixed and its survey points scale by their
    maximum; a SIPAS value is p in percent (fixed 0, scale 100). `answers` is
    an item's valid answers; above the items it is the effective number
    1 / Σ wᵢ/nᵢ, wᵢ being each answered item's weight in the node (effective_answers).
    """

    value: float
    answers: int
    fixed: float = 0.0
    scale: float = 100.0
    fraction: float = 0.0  # the smallest sampling fraction n/N of the groups it rests on

    @property
    def census(self) -> bool:
        return self.fraction >= 1.0

    @property
    def share(self) -> float:
        return 0.0 if self.scale <= 0 else min(max((self.value - self.fixed) / self.scale,
                                                   0.0), 1.0)


def effective_answers(weights: Sequence[float], answers: Sequence[int]) -> int:
    """The answers a node rests on: 1 / Σ wᵢ/nᵢ over its items (weights adding to 1), rounded down.

    With it the Wilson interval stays conservative for a weighted mean of item
    shares, whatever the correlation between items: by the triangle inequality
    and Cauchy–Schwarz, SD(Σ wᵢp̂ᵢ) ≤ Σ wᵢ√(pᵢqᵢ/nᵢ) ≤ √(pq) · √(Σ wᵢ/nᵢ). An
    item with few answers pulls it down by its weight only.
    """
    total = sum(w / n for w, n in zip(weights, answers, strict=True) if n > 0)
    return 0 if total <= 0 else max(1, math.floor(1 / total + 1e-9))


def _leaf_weights(plan: Plan, code: str, counts: Mapping[str, int]) -> dict[str, float]:
    """Each answered survey leaf's weight in a node's value (adding to 1; empty when none)."""
    if code in counts:
        return {code: 1.0} if counts[code] > 0 else {}
    parts = [_leaf_weights(plan, kid, counts) for kid in plan.children.get(code, ())]
    parts = [p for p in parts if p]
    out: dict[str, float] = {}
    if plan.kind == IndexKind.PAR:
        where = {c: i for i, c in enumerate(plan.leaves)}
        total = sum(float(plan.leaf_max[where[c]]) for p in parts for c in p)
        for p in parts:
            for c in p:
                out[c] = float(plan.leaf_max[where[c]]) / total if total else 0.0
    else:  # a SIPAS node is the mean of its children that have a value
        for p in parts:
            for c, w in p.items():
                out[c] = w / len(parts)
    return out


def node_samples(plan: Plan, tally: np.ndarray, appraisal: Mapping[str, float] | None = None,
                 fractions: Mapping[int, float] | None = None) -> dict[str, NodeSample]:
    """Every survey-based node's value, answers and sampled range, from one tally row.

    `fractions` gives the sampling fraction n/N of each question's respondents
    (by question id) where the population is known.
    """
    fractions = fractions or {}
    questions = {c: q for (q, _), c in plan.columns.items()}
    source_question = [questions[int(np.flatnonzero(plan.denominators[:, s])[0])]
                       if plan.denominators[:, s].any() else None
                       for s in range(plan.denominators.shape[1])]
    row = np.asarray(tally, dtype=float).reshape(1, -1)
    values = {code: float(v[0]) for code, v in evaluate(plan, row, appraisal).items()}
    valid = (row @ plan.denominators)[0]  # valid answers per source
    counts, leaf_fraction = {}, {}
    for i, code in enumerate(plan.leaves):
        mine = (plan.source_weights[:, i] > 0) & (valid > 0)
        given = valid[mine]
        counts[code] = int(given.min()) if len(given) else 0
        leaf_fraction[code] = min((fractions.get(source_question[s], 0.0)
                                   for s in np.flatnonzero(mine)), default=0.0)
    where = {c: i for i, c in enumerate(plan.leaves)}
    out = {}
    for code in plan.codes:
        if code not in plan.survey_based:
            continue
        weights = _leaf_weights(plan, code, counts)
        answers = effective_answers(list(weights.values()), [counts[c] for c in weights])
        value = values[code]
        fraction = min((leaf_fraction[c] for c in weights), default=0.0)
        if plan.kind == IndexKind.PAR:
            scale = float(sum(plan.leaf_max[where[c]] for c in weights))
            out[code] = NodeSample(value, answers, value - sum(values[c] for c in weights),
                                   scale, fraction)
        else:
            out[code] = NodeSample(value, answers, fraction=fraction)
    return out


@dataclass(frozen=True)
class PublishedInterval:
    """A node's published 95 % interval, how it was made, and its endpoints' Monte Carlo error."""

    low: float | None
    high: float | None
    method: str  # "bootstrap", "wilson", "census" (every unit answered) or "none" (no answer)
    answers: int
    mc_low: float | None = None  # Monte Carlo standard error of each bootstrap endpoint
    mc_high: float | None = None

    @property
    def small_sample(self) -> bool:
        return self.answers < MIN_VALID_ANSWERS


def needs_small_sample_interval(samples: np.ndarray, sample: NodeSample) -> bool:
    """True where the percentile bootstrap is not to be trusted for this node.

    Fewer than MIN_VALID_ANSWERS valid answers, fewer than MIN_EXPECTED answers
    expected on either side of the share (n·p or n·(1 − p)), or replicates
    without any spread (every resample gave the same value).
    """
    kept = samples[~np.isnan(samples)]
    n, p = sample.answers, sample.share
    return (n < MIN_VALID_ANSWERS or n * p < MIN_EXPECTED or n * (1 - p) < MIN_EXPECTED
            or not len(kept) or float(np.ptp(kept)) == 0.0)


def published_interval(samples: np.ndarray, sample: NodeSample) -> PublishedInterval:
    """The interval published for a node: the percentile bootstrap, or Wilson for small samples."""
    if sample.answers <= 0 or math.isnan(sample.value):
        return PublishedInterval(None, None, "none", 0)
    if sample.census:  # everyone answered: no sampling error
        return PublishedInterval(sample.value, sample.value, "census", sample.answers)
    if needs_small_sample_interval(samples, sample):
        # Above the items n·p need not be whole, and for n of 1 or 2 the corrected
        # interval can then stop short of p: it always holds the estimate. The
        # finite-population correction enters as n / (1 − f) answers.
        n = max(sample.answers, math.floor(sample.answers / (1 - sample.fraction)))
        low, high = wilson_interval(sample.share, n)
        low, high = min(low, sample.share), max(high, sample.share)
        return PublishedInterval(sample.fixed + sample.scale * low,
                                 sample.fixed + sample.scale * high, "wilson", sample.answers)
    low, high = percentile_interval(samples)
    tail = (1 - CONFIDENCE) / 2
    return PublishedInterval(low, high, "bootstrap", sample.answers,
                             quantile_mc_error(samples, tail),
                             quantile_mc_error(samples, 1 - tail))


def quantile_mc_error(samples: np.ndarray, q: float, z: float = Z95) -> float | None:
    """Monte Carlo standard error of the q-quantile of bootstrap values (NaN left out).

    Distribution-free, from order statistics: of R replicates, the j-th and
    k-th smallest with j = ⌊Rq − z√(Rq(1 − q))⌋ and k = ⌈Rq + z√(Rq(1 − q))⌉
    bound the q-quantile with about 95 % confidence, so (x₍ₖ₎ − x₍ⱼ₎) / 2z
    estimates its standard error. It shrinks as 1/√R.
    """
    kept = np.sort(samples[~np.isnan(samples)])
    r = len(kept)
    if r < 2:
        return None
    half = z * math.sqrt(r * q * (1 - q))
    j = min(max(math.floor(r * q - half), 1), r)
    k = min(max(math.ceil(r * q + half), 1), r)
    return float(kept[k - 1] - kept[j - 1]) / (2 * z)


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
    low: int  # 2.5th percentile: the best rank it plausibly holds
    high: int  # 97.5th percentile


def rank_intervals(values: np.ndarray) -> list[RankInterval]:
    """Median and 95 % (2.5th–97.5th percentile) rank of each province (columns)."""
    ranks = replicate_ranks(values)
    out = []
    for column in ranks.T:
        low, median, high = np.percentile(column, RANK_PERCENTILES, method="inverted_cdf")
        out.append(RankInterval(int(median), int(low), int(high)))
    return out


def above_shares(values: np.ndarray) -> np.ndarray:
    """Share of replicates in which each province's total is above each other's (paired).

    `values` is replicates × provinces; entry [a, b] is the share of replicates
    where a's total minus b's, both rounded to 2 decimals as ranks are, is
    positive. A replicate where either has no value counts as not above.
    """
    rounded = np.round(values + 0.0, 2)
    present = ~np.isnan(rounded)
    above = (rounded[:, :, None] > rounded[:, None, :]) & present[:, :, None] & present[:, None, :]
    return above.mean(axis=0) if len(values) else np.zeros((values.shape[1],) * 2)


def distinguishable_groups(order: Sequence[int], shares: np.ndarray,
                           level: float = ABOVE_SHARE) -> dict[int, int]:
    """Number groups of provinces (columns of `shares`) walking down the published ranking.

    A group starts with the best-ranked province not yet placed (its first).
    A following province joins the group unless the first is above it in at
    least `level` of the replicates (above_shares). So every member of a group
    is not distinguishable from its first, and each group's first is below the
    previous group's first in at least `level` of the replicates.
    """
    groups: dict[int, int] = {}
    group, leader = 0, None
    for column in order:
        if leader is None or shares[leader, column] >= level:
            group, leader = group + 1, column
        groups[column] = group
    return groups

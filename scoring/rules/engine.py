"""Pure index arithmetic (scoring-spec §3–§6). No Django imports: runs without a database.

Every value is an exact `Fraction`, so results do not depend on the order in
which answers arrived or on the database; rounding happens only on output.
One engine serves both kinds: PAR adds points up the tree, SIPAS averages
percentages.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from scoring.rules.vocabulary import IndexKind, Level, Method, Rule

Counts = Mapping[int, int]  # answer value -> number of answers

PROVISIONAL = "provisional"
MISSING = "missing"
FLAG_ORDER = (PROVISIONAL, MISSING)


@dataclass(frozen=True)
class SourceDef:
    question: int  # the question's id
    weight: Fraction
    substantive: tuple[int, ...]  # the scale's substantive values, low to high


@dataclass(frozen=True)
class NodeDef:
    code: str
    parent: str | None  # None for the root
    level: int  # a Level
    max_points: Fraction | None = None
    method: str = ""  # a Method, on leaves
    rule: str = ""  # a Rule, on survey leaves
    threshold: int | None = None
    fractions: Mapping[int, Fraction] = field(default_factory=dict)
    sources: tuple[SourceDef, ...] = ()


@dataclass(frozen=True)
class Scores:
    self_score: Fraction | None
    appraised_score: Fraction | None


@dataclass(frozen=True)
class NodeScore:
    points: Fraction | None
    max_points: Fraction | None
    percent: Fraction | None
    flags: frozenset[str]
    valid_answers: int

    @property
    def flag_text(self) -> str:
        return "|".join(f for f in FLAG_ORDER if f in self.flags)


# --- survey rules ---------------------------------------------------------------------------

def valid_counts(counts: Counts, substantive: Sequence[int]) -> dict[int, int]:
    """Only substantive values are valid answers; others are left out of every ratio."""
    return {v: counts.get(v, 0) for v in substantive if counts.get(v, 0)}


def scaled_mean(counts: Counts, substantive: Sequence[int]) -> Fraction | None:
    """Mean of (v − lo) / (hi − lo) over valid answers; None when there is none."""
    valid = valid_counts(counts, substantive)
    n = sum(valid.values())
    if not n:
        return None
    lo, hi = min(substantive), max(substantive)
    return Fraction(sum(c * (v - lo) for v, c in valid.items()), n * (hi - lo))


def top_box(counts: Counts, substantive: Sequence[int], threshold: int) -> Fraction | None:
    """Share of valid answers with v ≥ threshold; None when there is none."""
    valid = valid_counts(counts, substantive)
    n = sum(valid.values())
    if not n:
        return None
    return Fraction(sum(c for v, c in valid.items() if v >= threshold), n)


def option_fraction(
    counts: Counts, substantive: Sequence[int], fractions: Mapping[int, Fraction]
) -> Fraction | None:
    """Mean of fractions[v] over valid answers; None when there is none."""
    valid = valid_counts(counts, substantive)
    n = sum(valid.values())
    if not n:
        return None
    return sum((c * fractions[v] for v, c in valid.items()), Fraction(0)) / n


@dataclass(frozen=True)
class RuleDef:
    """One survey rule, for every way of scoring: exact here, in integers, in floating point.

    `fraction` is the exact fraction of one source's tallies (this engine);
    `answer_fraction` is what one answer counts in that fraction: every rule is the
    mean of it over valid answers. The compiled plans take that mean — in integers
    over a common denominator for the stored results (`scoring.rules.exact`), in
    floating point for the bootstrap (`scoring.rules.uncertainty`) — and are held
    to `fraction` by property tests. `parameter` names the definition file's key
    the rule takes, if any.
    """

    fraction: Callable[[NodeDef, SourceDef, Counts], Fraction | None]
    answer_fraction: Callable[[NodeDef, int, Sequence[int]], Fraction]
    parameter: str = ""  # "threshold", "fractions" or none

    def answer_value(self, node: NodeDef, value: int, substantive: Sequence[int]) -> float:
        """`answer_fraction` in floating point, correctly rounded."""
        return float(self.answer_fraction(node, value, substantive))


# Every survey rule, in the order definition errors list them. A new rule is one entry here,
# plus its member of vocabulary.Rule and that member's label in the model's choices.
RULES: Mapping[str, RuleDef] = {
    Rule.SCALED_MEAN: RuleDef(
        fraction=lambda node, source, counts: scaled_mean(counts, source.substantive),
        answer_fraction=lambda node, value, substantive: Fraction(
            value - min(substantive), max(substantive) - min(substantive)),
    ),
    Rule.TOP_BOX: RuleDef(
        fraction=lambda node, source, counts: top_box(counts, source.substantive,
                                                      node.threshold),
        answer_fraction=lambda node, value, substantive: Fraction(int(value >= node.threshold)),
        parameter="threshold",
    ),
    Rule.OPTION_FRACTION: RuleDef(
        fraction=lambda node, source, counts: option_fraction(counts, source.substantive,
                                                              node.fractions),
        answer_fraction=lambda node, value, substantive: node.fractions[value],
        parameter="fractions",
    ),
}


def rule_of(node: NodeDef) -> RuleDef:
    """The table entry of a survey leaf's rule; ValueError for a rule the table lacks."""
    try:
        return RULES[node.rule]
    except KeyError:
        raise ValueError(f"unknown rule {node.rule!r}") from None


def source_fraction(node: NodeDef, source: SourceDef, counts: Counts) -> Fraction | None:
    return rule_of(node).fraction(node, source, counts)


def survey_fraction(
    node: NodeDef, tallies: Mapping[int, Counts]
) -> tuple[Fraction | None, int]:
    """Weighted mean of per-source fractions over sources with a valid answer, and the count."""
    weighted, weights, answers = Fraction(0), Fraction(0), 0
    for source in node.sources:
        counts = tallies.get(source.question, {})
        f = source_fraction(node, source, counts)
        if f is None:
            continue
        weighted += source.weight * f
        weights += source.weight
        answers += sum(valid_counts(counts, source.substantive).values())
    if not weights:
        return None, 0
    return weighted / weights, answers


# --- leaves ---------------------------------------------------------------------------------

def appraisal_points(maximum: Fraction, scores: Scores | None) -> tuple[Fraction, frozenset]:
    """Appraised score if any; else the self-assessed one, provisional; else 0, missing."""
    if scores is not None and scores.appraised_score is not None:
        return scores.appraised_score, frozenset()
    if scores is not None and scores.self_score is not None:
        return scores.self_score, frozenset({PROVISIONAL})
    return Fraction(0), frozenset({MISSING})


def percent_of(points: Fraction, maximum: Fraction | None) -> Fraction | None:
    if not maximum:
        return None
    return 100 * points / maximum


def par_leaf(node: NodeDef, tallies: Mapping[int, Counts], scores: Scores | None) -> NodeScore:
    if node.method == Method.APPRAISAL:
        points, flags = appraisal_points(node.max_points, scores)
        return NodeScore(points, node.max_points, percent_of(points, node.max_points), flags, 0)
    fraction, answers = survey_fraction(node, tallies)
    if fraction is None:
        return NodeScore(Fraction(0), node.max_points, percent_of(Fraction(0), node.max_points),
                         frozenset({MISSING}), 0)
    points = node.max_points * fraction
    return NodeScore(points, node.max_points, percent_of(points, node.max_points), frozenset(),
                     answers)


def sipas_leaf(node: NodeDef, tallies: Mapping[int, Counts]) -> NodeScore:
    fraction, answers = survey_fraction(node, tallies)
    if fraction is None:
        return NodeScore(None, None, None, frozenset({MISSING}), 0)
    return NodeScore(None, None, 100 * fraction, frozenset(), answers)


# --- roll-up --------------------------------------------------------------------------------

def par_parent(children: Sequence[NodeScore], maximum: Fraction | None) -> NodeScore:
    """Points add up; percent = 100 × points / max."""
    points = sum((c.points for c in children), Fraction(0))
    flags = frozenset().union(*(c.flags for c in children)) if children else frozenset()
    answers = sum(c.valid_answers for c in children)
    return NodeScore(points, maximum, percent_of(points, maximum), flags, answers)


def sipas_parent(children: Sequence[NodeScore]) -> NodeScore:
    """Percent = equal-weighted mean of the children that have a value."""
    valued = [c.percent for c in children if c.percent is not None]
    answers = sum(c.valid_answers for c in children)
    if not valued:
        return NodeScore(None, None, None, frozenset({MISSING}), answers)
    return NodeScore(None, None, sum(valued, Fraction(0)) / len(valued), frozenset(), answers)


def score_tree(
    kind: str,
    nodes: Sequence[NodeDef],
    tallies: Mapping[int, Counts],
    assessments: Mapping[str, Scores] | None = None,
) -> dict[str, NodeScore]:
    """Score every node of one province's tree. `nodes` lists parents before children."""
    assessments = assessments or {}
    children: dict[str | None, list[NodeDef]] = {}
    for node in nodes:
        children.setdefault(node.parent, []).append(node)
    out: dict[str, NodeScore] = {}
    for node in reversed(nodes):  # children are scored before their parents
        kids = children.get(node.code)
        if not kids and node.level == Level.LEAF:
            out[node.code] = (par_leaf(node, tallies, assessments.get(node.code))
                              if kind == IndexKind.PAR else sipas_leaf(node, tallies))
        elif kind == IndexKind.PAR:
            out[node.code] = par_parent([out[k.code] for k in kids or []], node.max_points)
        else:
            out[node.code] = sipas_parent([out[k.code] for k in kids or []])
    return out


# --- rounding, ranks, groups, change ---------------------------------------------------------

TWO = Decimal("0.01")


def stored_decimal(value: Fraction | None) -> Decimal | None:
    """Truncate a non-negative exact value to 12 decimals for storage.

    Rounding the truncated value half up to 2 decimals gives the same result as
    rounding the exact value: no boundary x.xx5 lies strictly between them.
    """
    if value is None:
        return None
    return truncated_decimal(value.numerator, value.denominator)


def truncated_decimal(numerator: int, denominator: int) -> Decimal:
    """`stored_decimal` of numerator / denominator (denominator > 0)."""
    if numerator < 0:
        raise ValueError("stored values are never negative")
    return Decimal(f"{numerator * 10**12 // denominator}E-12")  # exact: no context rounding


def round2(value: Decimal | Fraction | None) -> Decimal | None:
    """Round half up (away from zero on a tie, as a spreadsheet's ROUND does) to 2 decimals."""
    if value is None:
        return None
    if isinstance(value, Fraction):
        sign = -1 if value < 0 else 1
        magnitude = abs(value) * 100
        whole = magnitude.numerator // magnitude.denominator
        if magnitude - whole >= Fraction(1, 2):
            whole += 1
        return (Decimal(sign * whole) / 100).quantize(TWO) if whole else Decimal("0.00")
    rounded = value.quantize(TWO, rounding=ROUND_HALF_UP)
    return rounded if rounded else Decimal("0.00")  # never "-0.00"


def fraction_text(value: Fraction | None) -> str:
    """An exact value as text, "n/d" (or "n"); empty for None."""
    return "" if value is None else str(value)


def parse_fraction(text: str) -> Fraction | None:
    return Fraction(text) if text else None


def competition_ranks(values: Mapping[str, Decimal | None]) -> dict[str, int]:
    """Rank by value rounded to 2 decimals, highest first; ties share a rank (1, 2, 2, 4).

    Keys with no value are left unranked (absent from the result).
    """
    rounded = {k: round2(v) for k, v in values.items() if v is not None}
    ordered = sorted(rounded.items(), key=lambda kv: (-kv[1], kv[0]))
    ranks: dict[str, int] = {}
    previous, rank = None, 0
    for position, (key, value) in enumerate(ordered, start=1):
        if value != previous:
            rank, previous = position, value
        ranks[key] = rank
    return ranks


@dataclass(frozen=True)
class Band:
    code: str
    min_percent: Decimal


def group_for(percent: Decimal | None, bands: Iterable[Band]) -> str:
    """The first band (highest first) whose minimum the rounded percent reaches."""
    if percent is None:
        return ""
    rounded = round2(percent)
    for band in bands:
        if band.min_percent <= rounded:
            return band.code
    return ""


def change(current: Fraction | None, previous: Fraction | None) -> Fraction | None:
    """This year's value minus last year's; None when either is missing."""
    if current is None or previous is None:
        return None
    return current - previous


def rank_change(current: int | None, previous: int | None) -> int | None:
    """Last year's rank minus this year's: positive means the province moved up."""
    if current is None or previous is None:
        return None
    return previous - current


# --- change across province sets (spec §9) ----------------------------------------------------

SAME_SET = "same_set"
CROSSWALK = "crosswalk"


def crosswalk_previous(
    values: Mapping[str, Fraction], predecessors: Mapping[str, Sequence[tuple[str, Fraction]]]
) -> dict[str, Fraction]:
    """Each unit's previous value from its predecessors': prev(u) = Σ wᵢ·vᵢ / Σ wᵢ.

    `values` holds the exact previous totals of the earlier set's provinces that have
    one; `predecessors` maps each unit to (province code, weight) pairs. Only
    predecessors with a value count; a unit none of whose predecessors has a value (or
    whose valued predecessors all weigh 0) has no previous value and is left out.
    """
    out: dict[str, Fraction] = {}
    for unit, pairs in predecessors.items():
        valued = [(w, values[code]) for code, w in pairs if code in values]
        weight = sum((w for w, _ in valued), Fraction(0))
        if valued and weight:
            out[unit] = sum((w * v for w, v in valued), Fraction(0)) / weight
    return out

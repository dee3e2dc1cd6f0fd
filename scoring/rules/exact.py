"""An index tree compiled once to score many provinces exactly in integers (pure: no Django).

`engine.score_tree` states the arithmetic node by node in `Fraction`s; a full
recompute of a 135-node index over 63 provinces builds some 80,000 of them. The plan
here turns each survey rule into integer shares once per tree; a province's leaves
are then computed as integer ratios, brought over one common denominator, added up
the tree as plain integers, and each node's value is reduced once, at the end.
The values are the engine's, exactly: `test_exact_plan_scores_as_the_engine` holds
the two to each other on every rule, kind and flag.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import NamedTuple

from scoring.rules.engine import (
    FLAG_ORDER,
    MISSING,
    PROVISIONAL,
    Counts,
    NodeDef,
    Scores,
    rule_of,
    truncated_decimal,
)
from scoring.rules.vocabulary import IndexKind, Level, Method

# An exact value as (numerator, denominator): denominator > 0, in lowest terms, as a
# Fraction holds it.
Ratio = tuple[int, int]

_PROVISIONAL, _MISSING = 1, 2
_BITS = {PROVISIONAL: _PROVISIONAL, MISSING: _MISSING}
# Flag bits -> the text `NodeScore.flag_text` gives for the same flags.
FLAG_TEXT = tuple("|".join(f for f in FLAG_ORDER if bits & _BITS[f]) for bits in range(4))

_SURVEY, _APPRAISAL, _PARENT = range(3)


class NodeValue(NamedTuple):
    """One node's score, as `engine.NodeScore` gives it, with exact values as ratios."""

    points: Ratio | None
    percent: Ratio | None
    flags: str  # as NodeScore.flag_text
    valid_answers: int


@dataclass(frozen=True)
class SourceShares:
    """One source of a survey leaf: what each valid answer counts, in integers.

    The rule's fraction of the source's tallies is Σ count(v) · share(v) over
    Σ count(v) · unit, for v over `values` (the scale's substantive values);
    `weight` is the source's weight over its leaf's common weight denominator.
    """

    question: int
    values: tuple[int, ...]
    shares: tuple[int, ...]
    unit: int
    weight: int


@dataclass(frozen=True)
class ExactPlan:
    """An index tree compiled for `score_exact`: node positions are those of `codes`."""

    kind: str
    codes: tuple[str, ...]  # parents before children, as the tree was given
    max_points: tuple[Ratio | None, ...]  # per node, as its NodeScore carries it (PAR only)
    steps: tuple[tuple[int, int, tuple], ...]  # (position, step, its data), children first


def compile_exact(kind: str, nodes: Sequence[NodeDef]) -> ExactPlan:
    """Compile a tree (parents before children) once, for any number of provinces.

    Raises ValueError for a survey leaf with a rule the rule table lacks, as the engine does.
    """
    position = {n.code: i for i, n in enumerate(nodes)}
    children: dict[str, list[int]] = {}
    for i, node in enumerate(nodes):
        if node.parent is not None:
            children.setdefault(node.parent, []).append(i)
    steps: list[tuple[int, int, tuple]] = []
    for node in reversed(nodes):  # children are scored before their parents
        i, kids = position[node.code], tuple(children.get(node.code, ()))
        if not kids and node.level == Level.LEAF:
            if kind == IndexKind.PAR and node.method == Method.APPRAISAL:
                steps.append((i, _APPRAISAL, (node.code,)))
            else:
                steps.append((i, _SURVEY, _source_shares(node)))
        else:
            steps.append((i, _PARENT, kids))
    par = kind == IndexKind.PAR
    return ExactPlan(
        kind=kind, codes=tuple(n.code for n in nodes),
        max_points=tuple(_ratio(n.max_points) if par and n.max_points is not None else None
                         for n in nodes),
        steps=tuple(steps),
    )


def _source_shares(node: NodeDef) -> tuple[SourceShares, ...]:
    if not node.sources:
        return ()
    rule = rule_of(node)
    weight_unit = math.lcm(*(s.weight.denominator for s in node.sources))
    out = []
    for source in node.sources:
        fractions = [Fraction(rule.answer_fraction(node, v, source.substantive))
                     for v in source.substantive]
        unit = math.lcm(*(f.denominator for f in fractions))
        out.append(SourceShares(
            question=source.question, values=tuple(source.substantive),
            shares=tuple(f.numerator * (unit // f.denominator) for f in fractions), unit=unit,
            weight=int(source.weight * weight_unit),
        ))
    return tuple(out)


def _ratio(value: Fraction) -> Ratio:
    return value.numerator, value.denominator


def _reduced(numerator: int, denominator: int) -> Ratio:
    g = math.gcd(numerator, denominator)
    if denominator < 0:
        g = -g
    return numerator // g, denominator // g


def survey_ratio(sources: Sequence[SourceShares], tallies: Mapping[int, Counts]
                 ) -> tuple[int, int, int] | None:
    """A survey leaf's fraction as (numerator, denominator), not reduced, and its valid
    answers: the weighted mean of its sources' fractions over the sources with a valid
    answer (engine.survey_fraction); None when none has one."""
    numerator, denominator, weights, answers = 0, 1, 0, 0
    for source in sources:
        counts = tallies.get(source.question)
        if not counts:
            continue
        n = total = 0
        for value, share in zip(source.values, source.shares, strict=True):
            c = counts.get(value)
            if c:
                n += c
                total += c * share
        if not n:
            continue
        # Σ wᵢ · totalᵢ / (nᵢ · unitᵢ), over one denominator
        d = n * source.unit
        numerator = numerator * d + source.weight * total * denominator
        denominator *= d
        weights += source.weight
        answers += n
    if not weights:
        return None
    return numerator, denominator * weights, answers


def score_exact(
    plan: ExactPlan, tallies: Mapping[int, Counts], assessments: Mapping[str, Scores] | None = None
) -> list[NodeValue]:
    """Score every node of one province, in the order of `plan.codes`: what
    `engine.score_tree` gives for the same tree, tallies and assessments."""
    if plan.kind == IndexKind.PAR:
        return _score_par(plan, tallies, assessments or {})
    return _score_sipas(plan, tallies)


def _score_par(plan: ExactPlan, tallies: Mapping[int, Counts],
               assessments: Mapping[str, Scores]) -> list[NodeValue]:
    """Points add up the tree: every leaf over one common denominator, then integer sums."""
    size = len(plan.codes)
    points: list[Ratio] = [(0, 1)] * size
    flags, answers = [0] * size, [0] * size
    parents = []
    for i, step, data in plan.steps:
        if step == _SURVEY:
            found = survey_ratio(data, tallies)
            maximum = plan.max_points[i]
            if found is None:
                flags[i] = _MISSING
            elif maximum is not None:
                points[i] = _reduced(maximum[0] * found[0], maximum[1] * found[1])
                answers[i] = found[2]
            else:
                raise TypeError(f"survey leaf {plan.codes[i]!r} has no max_points")
        elif step == _APPRAISAL:
            scores = assessments.get(data[0])
            if scores is not None and scores.appraised_score is not None:
                points[i] = _ratio(scores.appraised_score)
            elif scores is not None and scores.self_score is not None:
                points[i], flags[i] = _ratio(scores.self_score), _PROVISIONAL
            else:
                flags[i] = _MISSING
        else:
            parents.append((i, data))
    common = math.lcm(*(d for _, d in points))
    scaled = [n * (common // d) for n, d in points]
    for i, kids in parents:  # children before parents, as in the plan
        scaled[i] = sum(scaled[k] for k in kids)
        bits = 0
        for k in kids:
            bits |= flags[k]
        flags[i] = bits
        answers[i] = sum(answers[k] for k in kids)
    out = []
    for n, maximum, bits, count in zip(scaled, plan.max_points, flags, answers, strict=True):
        g = math.gcd(n, common)
        value = (n // g, common // g)
        percent = (None if maximum is None or not maximum[0]  # engine.percent_of
                   else _reduced(100 * value[0] * maximum[1], value[1] * maximum[0]))
        out.append(NodeValue(value, percent, FLAG_TEXT[bits], count))
    return out


def _score_sipas(plan: ExactPlan, tallies: Mapping[int, Counts]) -> list[NodeValue]:
    """Percentages are equal-weighted means up the tree: each node's value is held as
    (numerator, multiple) over one common denominator of the leaves, value =
    numerator / (multiple · common), so that a mean needs only integers."""
    size = len(plan.codes)
    leaf: list[Ratio | None] = [None] * size
    answers = [0] * size
    parents = []
    for i, step, data in plan.steps:
        if step == _PARENT:
            parents.append((i, data))
            continue
        found = survey_ratio(data, tallies)
        if found is not None:
            leaf[i] = _reduced(100 * found[0], found[1])
            answers[i] = found[2]
    common = math.lcm(*(r[1] for r in leaf if r is not None))
    held: list[tuple[int, int] | None] = [
        None if r is None else (r[0] * (common // r[1]), 1) for r in leaf]
    for i, kids in parents:
        valued = [held[k] for k in kids if held[k] is not None]
        answers[i] = sum(answers[k] for k in kids)
        if valued:
            multiple = math.lcm(*(m for _, m in valued))
            held[i] = (sum(n * (multiple // m) for n, m in valued), multiple * len(valued))
    return [
        NodeValue(None, None, FLAG_TEXT[_MISSING], answers[i]) if h is None
        else NodeValue(None, _reduced(h[0], h[1] * common), "", answers[i])
        for i, h in enumerate(held)
    ]


def ratio_decimal(value: Ratio | None) -> Decimal | None:
    """`engine.stored_decimal` of the same value."""
    return None if value is None else truncated_decimal(*value)


def stored_text(value: Ratio | None) -> str | None:
    """`ratio_decimal` written out ("72.083333333333"), for a database to read: the same
    twelve decimals, cut, without building a Decimal for each of 17,000 values."""
    if value is None:
        return None
    if value[0] < 0:
        raise ValueError("stored values are never negative")
    whole, decimals = divmod(value[0] * 10**12 // value[1], 10**12)
    return f"{whole}.{decimals:012d}"


def ratio_text(value: Ratio | None) -> str:
    """`engine.fraction_text` of the same value: "n/d", "n" when whole, empty for None."""
    if value is None:
        return ""
    return str(value[0]) if value[1] == 1 else f"{value[0]}/{value[1]}"

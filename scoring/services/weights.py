"""Population margins, post-stratification weights and weighted SIPAS (scoring.rules.weighting).

Weights are found per province by raking its respondents' answers to the margin
questions (sex, age band, urban/rural…) to the province's population shares.
The database then adds up weights instead of counting answers, and the exact
engine scores those weighted tallies, so a weight of exactly 1 for everyone
gives exactly the unweighted SIPAS.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from fractions import Fraction

import numpy as np
from django.db import connection, transaction
from django.utils import timezone

from scoring import selectors
from scoring.models import (
    AuditEvent,
    Index,
    Margin,
    NodeResult,
    PopulationCount,
    SurveyWeight,
    WeightBounds,
    WeightedResult,
)
from scoring.rules import engine, uncertainty, weighting
from scoring.rules.vocabulary import ROOT, IndexKind, Level
from scoring.selectors.samples import chunk_strata
from scoring.services.audit import record_event
from scoring.services.uncertainty import CHUNK_PROVINCES
from surveys.imports import FileInvalid, read_csv
from surveys.models import Answer, Province, Question, Questionnaire, Submission
from surveys.selectors import provinces_by_code

MARGIN_COLUMNS = ("province_code", "question_code", "value", "share")
# The weighted total's own interval: replicates of the same Rao–Wu resample as the
# unweighted intervals, each raked again to the margins (fewer than the 1,000 of
# compute_intervals: every replicate of every province is a raking).
WEIGHTED_REPLICATES = 200
WEIGHTED_SEED = 20240
SHARE_TOLERANCE = Decimal("0.0001")
WEIGHT_PLACES = Decimal("1e-9")


def load_margins(*, questionnaire: Questionnaire, data: bytes,
                 bounds: weighting.Bounds | None = None, user=None) -> int:
    """Replace a questionnaire's population margins (and weight bounds) from CSV.

    Each (province, question) lists shares of the question's options that add up
    to 1. `bounds` limit every weight to [lower, upper] × the mean weight; None
    leaves the weights unbounded (bounds loaded before are removed: the margins
    and their bounds are one setting). Returns the rows stored. Raises
    FileInvalid listing every problem; nothing is written then.
    """
    _, rows = read_csv(data, required=MARGIN_COLUMNS, known=set(MARGIN_COLUMNS))
    provinces = provinces_by_code(questionnaire.province_set)
    questions = {q.code: q for q in questionnaire.questions.select_related("scale")
                 .prefetch_related("scale__options")}
    problems: list[str] = []
    stored: list[Margin] = []
    sums: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    first_line: dict[tuple[str, str], int] = {}
    seen: set[tuple[str, str, int | None]] = set()
    for row in rows:
        where = f"line {row.line}"
        pcode, qcode = row.cells["province_code"].strip(), row.cells["question_code"].strip()
        province = provinces.get(pcode)
        if province is None:
            problems.append(f"{where}: unknown province_code {pcode!r}")
        question = _margin_question(questions, qcode, questionnaire, where, problems)
        value = _margin_value(row.cells["value"], question, qcode, where, problems)
        share = _margin_share(row.cells["share"], where, problems)
        if value is not None and (pcode, qcode, value) in seen:
            problems.append(f"{where}: {pcode}, {qcode} = {value} appears twice")
        seen.add((pcode, qcode, value))
        if share is not None:
            sums[(pcode, qcode)] += share
            first_line.setdefault((pcode, qcode), row.line)
        if province and question and value is not None and share is not None:
            stored.append(Margin(questionnaire=questionnaire, province=province,
                                 question=question, value=value, share=share))
    for (pcode, qcode), total in sums.items():
        if abs(total - 1) > SHARE_TOLERANCE:
            problems.append(f"line {first_line[(pcode, qcode)]}: the shares of {qcode} in "
                            f"province {pcode} add up to {total}, not 1")
    if not rows:
        problems.append("the file has no rows")
    if problems:
        raise FileInvalid(problems)
    _replace_margins(questionnaire, stored, bounds)
    record_event(user=user, action=AuditEvent.Action.WEIGHTS, questionnaire=questionnaire.code,
                 margins=len(stored), bounds=str(bounds) if bounds else "")
    return len(stored)


def _margin_question(questions: dict[str, Question], qcode: str, questionnaire: Questionnaire,
                     where: str, problems: list[str]) -> Question | None:
    """The single-choice question a margin row names; None (reported) for any other."""
    question = questions.get(qcode)
    if question is None:
        problems.append(f"{where}: {qcode!r} is not a question of {questionnaire.code}")
    elif question.type != "single_choice":
        problems.append(f"{where}: {qcode} is a {question.type} question; margins need a "
                        "single-choice question")
        return None
    return question


def _margin_value(text: str, question: Question | None, qcode: str, where: str,
                  problems: list[str]) -> int | None:
    """A margin row's option value; None (reported) when it is not a whole number.

    A whole number that is not an option of the question is reported and returned.
    """
    try:
        value = int(text.strip())
    except ValueError:
        problems.append(f"{where}: value {text!r} is not a whole number")
        return None
    if question is not None and value not in {o.value for o in question.scale.options.all()}:
        problems.append(f"{where}: {value} is not an option of {qcode}")
    return value


def _margin_share(text: str, where: str, problems: list[str]) -> Decimal | None:
    """A margin row's share, from 0 to 1; None (reported) otherwise."""
    try:
        share = Decimal(text.strip())
        if not share.is_finite() or not 0 <= share <= 1:
            raise InvalidOperation
    except InvalidOperation:
        problems.append(f"{where}: share {text!r} is not a number from 0 to 1")
        return None
    return share


def _replace_margins(questionnaire: Questionnaire, margins: list[Margin],
                     bounds: weighting.Bounds | None) -> None:
    """Store a questionnaire's margins and bounds in place of those loaded before."""
    with transaction.atomic():
        Margin.objects.filter(questionnaire=questionnaire).delete()
        Margin.objects.bulk_create(margins, batch_size=2000)
        WeightBounds.objects.filter(questionnaire=questionnaire).delete()
        if bounds is not None:
            WeightBounds.objects.create(questionnaire=questionnaire,
                                        lower=Decimal(str(bounds.lower)),
                                        upper=Decimal(str(bounds.upper)))


def weight_bounds(questionnaire: Questionnaire) -> weighting.Bounds | None:
    """The bounds loaded with a questionnaire's margins; None when its weights are unbounded."""
    row = WeightBounds.objects.filter(questionnaire=questionnaire).first()
    return None if row is None else weighting.Bounds(float(row.lower), float(row.upper))


POPULATION_COLUMNS = ("province_code", "count")


def load_population(*, questionnaire: Questionnaire, data: bytes, user=None) -> int:
    """Replace a questionnaire's population counts per province from CSV; returns rows stored.

    Each province appears once with a whole number of people (at least 1). Raises
    FileInvalid listing every problem; nothing is written then.
    """
    _, rows = read_csv(data, required=POPULATION_COLUMNS, known=set(POPULATION_COLUMNS))
    provinces = provinces_by_code(questionnaire.province_set)
    problems: list[str] = []
    stored: list[PopulationCount] = []
    seen: dict[str, int] = {}
    for row in rows:
        where = f"line {row.line}"
        code, raw = row.cells["province_code"].strip(), row.cells["count"].strip()
        province = provinces.get(code)
        if province is None:
            problems.append(f"{where}: unknown province_code {code!r}")
        if code in seen:
            problems.append(f"{where}: province {code} appears twice (first on line {seen[code]})")
        seen.setdefault(code, row.line)
        try:
            count = int(raw)
            if count < 1:
                raise ValueError
        except ValueError:
            problems.append(f"{where}: count {raw!r} is not a whole number of at least 1")
            count = None
        if province is not None and count is not None:
            stored.append(PopulationCount(questionnaire=questionnaire, province=province,
                                          count=count))
    if not rows:
        problems.append("the file has no rows")
    if problems:
        raise FileInvalid(problems)
    with transaction.atomic():
        PopulationCount.objects.filter(questionnaire=questionnaire).delete()
        PopulationCount.objects.bulk_create(stored)
    record_event(user=user, action=AuditEvent.Action.WEIGHTS, questionnaire=questionnaire.code,
                 population_counts=len(stored))
    return len(stored)


def _margins(questionnaire: Questionnaire) -> dict[int, dict[int, dict[int, float]]]:
    """province id -> question id -> value -> share."""
    out: dict[int, dict[int, dict[int, float]]] = {}
    for province_id, question_id, value, share in Margin.objects.filter(
            questionnaire=questionnaire).values_list("province_id", "question_id", "value",
                                                     "share"):
        out.setdefault(province_id, {}).setdefault(question_id, {})[value] = float(share)
    return out


def _margin_answers(questionnaire: Questionnaire, question_ids: list[int]) -> np.ndarray:
    """(submission id, question id, value) of every counted answer to the margin questions."""
    rows = list(Answer.objects.filter(
        submission__questionnaire=questionnaire, submission__excluded=False,
        submission__counted_at__isnull=False, question_id__in=question_ids,
        option_value__isnull=False).values_list("submission_id", "question_id", "option_value"))
    return np.array(rows, dtype=np.int64).reshape(-1, 3)


def _categories(answers: np.ndarray, ids: np.ndarray, questions: list[int]) -> np.ndarray:
    """Respondents (sorted `ids`) × margin questions: each one's answer (0 when none)."""
    out = np.zeros((len(ids), len(questions)), dtype=np.int64)
    if not len(ids) or not len(answers):
        return out
    at = np.minimum(np.searchsorted(ids, answers[:, 0]), len(ids) - 1)
    ordered = np.array(questions, dtype=np.int64)
    column = np.minimum(np.searchsorted(ordered, answers[:, 1]), len(ordered) - 1)
    keep = (ids[at] == answers[:, 0]) & (ordered[column] == answers[:, 1])
    out[at[keep], column[keep]] = answers[keep, 2]
    return out


def _weighted_tallies(questionnaire_ids: list[int], question_ids: list[int]
                      ) -> dict[int, dict[int, dict[int, Fraction]]]:
    """province -> question -> value -> sum of weights (1 for a submission without one)."""
    answer, submission, weight = (Answer._meta.db_table, Submission._meta.db_table,
                                  SurveyWeight._meta.db_table)
    qmarks = ", ".join(["%s"] * len(questionnaire_ids))
    marks = ", ".join(["%s"] * len(question_ids))
    sql = f"""
        SELECT s.province_id, a.question_id, a.option_value, SUM(COALESCE(w.weight, 1))
        FROM {answer} a JOIN {submission} s ON s.id = a.submission_id
        LEFT JOIN {weight} w ON w.submission_id = s.id
        WHERE s.questionnaire_id IN ({qmarks}) AND a.question_id IN ({marks})
          AND a.option_value IS NOT NULL AND NOT s.excluded AND s.counted_at IS NOT NULL
        GROUP BY s.province_id, a.question_id, a.option_value
    """  # noqa: S608 - table names come from models, values are parameters
    out: dict[int, dict[int, dict[int, Fraction]]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, [*questionnaire_ids, *question_ids])
        for province_id, question_id, value, total in cursor.fetchall():
            out.setdefault(province_id, {}).setdefault(question_id, {})[value] = \
                Fraction(Decimal(str(total)))
    return out


def _reraked_tallies(stratum: uncertainty.Stratum, categories: np.ndarray,
                     targets: list[dict[int, float]], province: str,
                     bounds: weighting.Bounds | None) -> np.ndarray:
    """replicates × columns: the weighted tallies of each replicate, its weights raked again.

    A replicate whose margins cannot be met (within the bounds) even merged is
    left out: its row is NaN.
    """
    return weighting.reraked_weights(categories, targets, _factors(stratum, province),
                                     bounds=bounds) @ stratum.answers


def _factors(stratum: uncertainty.Stratum, province: str) -> np.ndarray:
    """The weighted total's replicates: the same Rao–Wu draws as the unweighted intervals."""
    return uncertainty.replicate_factor_matrix(stratum, province=province, seed=WEIGHTED_SEED,
                                               replicates=range(WEIGHTED_REPLICATES))


def _label(questions: list[str], variable: int, values) -> str:
    return f"{questions[variable]} = {', '.join(map(str, values))}"


def _rake(categories: np.ndarray, targets: list[dict[int, float]], *, where: str,
          questions: list[str], bounds: weighting.Bounds | None) -> weighting.Raking:
    """Rake one province's respondents, merging sparse categories if need be; or refuse.

    Raises RakingDidNotConverge naming the province, the questionnaire, the
    bounds, the margin category furthest off and its share against the margin's.
    """
    try:
        return weighting.rake_collapsing_sparse(categories, targets, bounds=bounds)
    except weighting.RakingDidNotConverge as exc:
        miss = exc.miss
        values = next((c.values for c in exc.collapsed if c.variable == miss.variable
                       and c.values[0] == miss.value), (miss.value,))
        within = "" if bounds is None else f" with weights within {bounds} × the mean weight"
        raise weighting.RakingDidNotConverge(miss, (
            f"{where}: the margins cannot be met{within}, even with categories of fewer than "
            f"{weighting.MIN_CELL} respondents merged into an adjacent one: "
            f"{miss.describe(_label(questions, miss.variable, values))}; no weights were "
            "stored"), collapsed=exc.collapsed, bounds=bounds) from exc


@dataclass
class _Weighed:
    """One province's weights, scores and weighted replicates, gathered over questionnaires."""

    weights: list[np.ndarray] = field(default_factory=list)
    scores: list[np.ndarray] = field(default_factory=list)
    replicates: np.ndarray | int = 0  # replicates × columns of weighted tallies
    collapsed: list[dict] = field(default_factory=list)
    bounds: list[weighting.Bounds] = field(default_factory=list)


def _weigh(questionnaire: Questionnaire, province, stratum: uncertainty.Stratum,
           categories: np.ndarray, given: dict[int, dict[int, float]], codes: dict[int, str],
           bounds: weighting.Bounds | None, out: _Weighed, notes: list[str]) -> list[SurveyWeight]:
    """Rake one province's respondents of one questionnaire; its weighted replicates into `out`."""
    questions = sorted(given)
    names = [codes[q] for q in questions]
    targets, dropped = weighting.reachable_margins(categories, [given[q] for q in questions])
    for j, values in dropped.items():
        notes.append(f"province {province.code}: no respondent in {_label(names, j, values)}; "
                     "its share is spread over the other categories")
    raking = _rake(categories, targets, questions=names, bounds=bounds,
                   where=f"province {province.code}, {questionnaire.code}")
    for cell in raking.collapsed:
        notes.append(f"province {province.code}: {_label(names, cell.variable, cell.values)} "
                     f"raked as one category ({cell.respondents} respondents, share "
                     f"{cell.share:.4f}): the margins could not be met with categories of "
                     f"fewer than {weighting.MIN_CELL} respondents apart")
        out.collapsed.append({
            "questionnaire": questionnaire.code, "question": names[cell.variable],
            "values": list(cell.values), "respondents": cell.respondents,
            "share": round(cell.share, 6)})
    rounded = [Decimal(repr(float(x))).quantize(WEIGHT_PLACES) for x in raking.weights]
    out.weights.append(np.array([float(r) for r in rounded]))
    if bounds is not None:
        out.bounds.append(bounds)
    out.replicates = out.replicates + _reraked_tallies(stratum, categories, targets,
                                                       province.code, bounds)
    return [SurveyWeight(submission_id=int(i), weight=r)
            for i, r in zip(stratum.ids, rounded, strict=True)]


def _weigh_questionnaire(questionnaire: Questionnaire, plan: uncertainty.Plan,
                         provinces: list[Province], codes: dict[int, str],
                         weighed: dict[int, _Weighed], notes: list[str]) -> list[SurveyWeight]:
    """Rake one questionnaire's respondents province by province (weight 1 without margins).

    Each province's weights, scores and weighted replicates go into `weighed`.
    """
    margins = _margins(questionnaire)
    bounds = weight_bounds(questionnaire)
    answers = _margin_answers(questionnaire, sorted(codes))
    weights: list[SurveyWeight] = []
    for start in range(0, len(provinces), CHUNK_PROVINCES):
        chunk = provinces[start:start + CHUNK_PROVINCES]
        loaded = chunk_strata(plan, [questionnaire], [p.pk for p in chunk])
        for province in chunk:
            stratum, out = loaded[province.pk][0], weighed[province.pk]
            given = margins.get(province.pk)
            if given and len(stratum.ids):
                categories = _categories(answers, stratum.ids, sorted(given))
                weights += _weigh(questionnaire, province, stratum, categories, given,
                                  codes, bounds, out, notes)
            else:
                out.weights.append(np.ones(len(stratum.ids)))
                out.replicates = (out.replicates
                                  + _factors(stratum, province.code) @ stratum.answers)
            out.scores.append(uncertainty.evaluate(plan, stratum.answers)[ROOT])
    return weights


def _weighted_result(index: Index, province, plan: uncertainty.Plan, scores: dict,
                     weighed: _Weighed, unweighted, now) -> WeightedResult:
    """A province's weighted total with its precision, interval and weight range."""
    n = 0
    n_eff, sd, span = 0.0, float("nan"), None
    if weighed.weights:
        w, y = np.concatenate(weighed.weights), np.concatenate(weighed.scores)
        n, n_eff, sd = len(w), weighting.kish_effective_size(w), weighting.weighted_sd(y, w)
        span = weighting.weight_range(w)
    low = high = mc_low = mc_high = None
    used = 0
    if n and not isinstance(weighed.replicates, int):
        totals = uncertainty.evaluate(plan, np.atleast_2d(weighed.replicates))[ROOT]
        used = int(np.count_nonzero(~np.isnan(totals)))
        low, high = uncertainty.percentile_interval(totals)
        tail = (1 - uncertainty.CONFIDENCE) / 2
        mc_low = uncertainty.quantile_mc_error(totals, tail)
        mc_high = uncertainty.quantile_mc_error(totals, 1 - tail)
    # One estimate, one interval: the weighted total's margin of error is the
    # half-width of its own bootstrap interval.
    moe = None if low is None else (high - low) / 2

    def six(value):
        return None if value is None or np.isnan(value) else Decimal(f"{value:.6f}")

    return WeightedResult(
        index=index, province=province,
        weighted=engine.stored_decimal(scores[ROOT].percent),
        unweighted=unweighted, respondents=n, effective_size=Decimal(f"{n_eff:.2f}"),
        sd=six(sd), margin_of_error=six(moe), ci_low=six(low), ci_high=six(high),
        mc_low=six(mc_low), mc_high=six(mc_high), replicates=used,
        replicates_left_out=WEIGHTED_REPLICATES - used if n else 0,
        weight_low=None if span is None else Decimal(f"{span[0]:.4f}"),
        weight_high=None if span is None else Decimal(f"{span[1]:.4f}"),
        bound_low=min((Decimal(str(b.lower)) for b in weighed.bounds), default=None),
        bound_high=max((Decimal(str(b.upper)) for b in weighed.bounds), default=None),
        collapsed=weighed.collapsed, computed_at=now)


def compute_weights(*, index: Index, user=None) -> list[str]:
    """Rake each province's respondents to its margins, then store weighted totals and precision.

    Provinces without margins keep weight 1 (their weighted total is the
    unweighted one). Weights stay within the bounds loaded with the margins, if
    any. Where the margins cannot be met as given, categories with fewer than
    `weighting.MIN_CELL` respondents are merged into an adjacent one and the
    merge is stored on the province's WeightedResult (`collapsed`).
    Returns notes on categories no respondent was in and on merged ones.
    Raises ValueError for an index that is not a citizen survey index, and
    weighting.RakingDidNotConverge when a province's margins cannot be met even
    merged (or within the bounds); nothing is written then.
    """
    if index.kind != IndexKind.SIPAS:
        raise ValueError(f"{index.code} is a {index.kind} index; survey weights apply to SIPAS")
    tree = selectors.index_tree(index)
    plan = uncertainty.compile_plan(index.kind, tree)
    questionnaires = list(Questionnaire.objects.filter(
        pk__in=selectors.index_questionnaire_ids(index)).order_by("code"))
    provinces = list(index.province_set.provinces.order_by("code"))
    weights: list[SurveyWeight] = []
    weighed = {p.pk: _Weighed() for p in provinces}
    notes: list[str] = []
    codes = dict(Margin.objects.filter(questionnaire__in=questionnaires)
                 .values_list("question_id", "question__code").distinct())
    for questionnaire in questionnaires:
        weights += _weigh_questionnaire(questionnaire, plan, provinces, codes, weighed, notes)
    with transaction.atomic():
        SurveyWeight.objects.filter(submission__questionnaire__in=questionnaires).delete()
        SurveyWeight.objects.bulk_create(weights, batch_size=5000)
        question_ids = sorted({s.question for n in tree for s in n.sources})
        tallies = _weighted_tallies([q.pk for q in questionnaires], question_ids)
        unweighted = dict(NodeResult.objects.filter(index=index, node__level=Level.TOTAL)
                          .values_list("province_id", "percent"))
        now = timezone.now()
        rows = [_weighted_result(index, p, plan,
                                 engine.score_tree(index.kind, tree, tallies.get(p.pk, {})),
                                 weighed[p.pk], unweighted.get(p.pk), now)
                for p in provinces]
        WeightedResult.objects.filter(index=index).delete()
        WeightedResult.objects.bulk_create(rows)
    record_event(user=user, action=AuditEvent.Action.WEIGHTS, index=index.code,
                 weighted_submissions=len(weights), notes=len(notes),
                 collapsed=sum(len(w.collapsed) for w in weighed.values()),
                 replicates_left_out=sum(r.replicates_left_out for r in rows))
    return notes

"""Read side of the intervals, flags and weights: what the pages and downloads show."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
from django.db.models import Count, OuterRef, Subquery

from scoring.models import (
    Index,
    Interval,
    Node,
    NodeResult,
    RankInterval,
    UncertaintyRun,
    WeightedResult,
)
from scoring.rules import engine, quality, uncertainty
from scoring.rules.vocabulary import LEVEL_NAMES, ROOT, IndexKind, Level
from scoring.selectors import index_questionnaire_ids, index_tree, tally_map
from scoring.selectors.quality import flag_counts
from surveys.models import Question, Submission

INTERVAL_EXTRA = ["ci_low", "ci_high", "ci_estimate", "ci_method", "ci_design", "ci_answers",
                  "ci_mc_low", "ci_mc_high"]
TOTAL_EXTRA = [*INTERVAL_EXTRA, "rank_median", "rank_low", "rank_high", "rank_group",
               "flagged_submissions", "excluded_submissions"]
NODE_EXTRA = INTERVAL_EXTRA
# The estimate every interval of a bootstrap run belongs to: the published (unweighted) number.
PUBLISHED_ESTIMATE = "published"


def _latest_run_id(index: Index):
    return Subquery(UncertaintyRun.objects.filter(index=index, status=UncertaintyRun.Status.DONE)
                    .order_by("-finished_at", "-pk").values("pk")[:1])


def latest_run(index: Index) -> UncertaintyRun | None:
    return (UncertaintyRun.objects.filter(index=index, status=UncertaintyRun.Status.DONE)
            .order_by("-finished_at", "-pk").first())


@dataclass(frozen=True)
class NodeInterval:
    """A node's published interval as stored: its ends, method, answers and Monte Carlo errors."""

    low: Decimal | None
    high: Decimal | None
    method: str = ""
    answers: int = 0
    mc_low: Decimal | None = None
    mc_high: Decimal | None = None

    @property
    def small_sample(self) -> bool:
        return self.method != "" and self.answers < uncertainty.MIN_VALID_ANSWERS

    def __iter__(self):  # (low, high), as charts and the planner take it
        return iter((self.low, self.high))


NO_INTERVAL = NodeInterval(None, None)


@dataclass(frozen=True)
class RankSpan:
    median: int
    low: int
    high: int
    group: int
    total_low: Decimal | None
    total_high: Decimal | None
    total_method: str = ""
    total_answers: int = 0

    @property
    def small_sample(self) -> bool:
        return self.total_method != "" and self.total_answers < uncertainty.MIN_VALID_ANSWERS


def rank_spans(index: Index) -> dict[str, RankSpan]:
    """Province code -> its rank interval and total's interval, from the latest bootstrap run.

    One query (the latest run and the total's interval are subqueries), so the
    ranking page stays bounded. The total's interval is in the unit of the exported
    total: points for PAR, percent for SIPAS.
    """
    total = Interval.objects.filter(run_id=OuterRef("run_id"), province_id=OuterRef("province_id"),
                                    node__level=Level.TOTAL)
    rows = RankInterval.objects.filter(run_id=_latest_run_id(index)).annotate(
        total_low=Subquery(total.values("low")[:1]),
        total_high=Subquery(total.values("high")[:1]),
        total_method=Subquery(total.values("method")[:1]),
        total_answers=Subquery(total.values("answers")[:1]),
    ).values_list("province__code", "median", "low", "high", "group", "total_low",
                  "total_high", "total_method", "total_answers")
    return {code: RankSpan(*rest[:-2], rest[-2] or "", rest[-1] or 0) for code, *rest in rows}


def node_intervals(index: Index, level: int) -> dict[tuple[str, str], NodeInterval]:
    """(province code, node code) -> its published interval at one level, from the latest run."""
    rows = Interval.objects.filter(run_id=_latest_run_id(index), node__level=level).values_list(
        "province__code", "node__code", "low", "high", "method", "answers", "mc_low", "mc_high")
    return {(p, n): NodeInterval(*rest) for p, n, *rest in rows}


def _fmt(value: Decimal | None) -> str:
    rounded = engine.round2(value)
    return "" if rounded is None else f"{rounded:.2f}"


def _mc(value: Decimal | None) -> str:
    return "" if value is None else f"{value:.3f}"


def interval_cells(interval: NodeInterval, design: str) -> list:
    """An interval's export cells (INTERVAL_EXTRA): ends, estimate, method, design, n, MC errors."""
    if interval.low is None:
        return ["", "", "", interval.method, "", interval.answers if interval.method else "",
                "", ""]
    return [_fmt(interval.low), _fmt(interval.high), PUBLISHED_ESTIMATE, interval.method,
            design if interval.method == "bootstrap" else "", interval.answers,
            _mc(interval.mc_low), _mc(interval.mc_high)]


def with_intervals(index: Index, level: str, header: list[str], rows: list[list]
                   ) -> tuple[list[str], list[list]]:
    """Add the latest published intervals (and, for totals, the data-quality counts) to an export.

    Columns stay empty where no bootstrap has been run or a node has no survey data.
    """
    depth = {v: k for k, v in LEVEL_NAMES[index.kind].items()}[level]
    intervals = node_intervals(index, depth)
    run = UncertaintyRun.objects.filter(pk=_latest_run_id(index)).first()
    design = run.design if run else ""
    if depth != Level.TOTAL:
        return header + NODE_EXTRA, [
            row + interval_cells(intervals.get((row[0], row[1]), NO_INTERVAL), design)
            for row in rows]
    spans = rank_spans(index)
    flags = flag_counts(sorted(index_questionnaire_ids(index)))
    by_code = dict(index.province_set.provinces.values_list("code", "pk"))
    out = []
    for row in rows:
        code = row[0]
        span = spans.get(code)
        counted = flags.get(by_code.get(code))
        out.append(row + [
            *interval_cells(intervals.get((code, ROOT), NO_INTERVAL), design),
            *((span.median, span.low, span.high, span.group) if span else ("", "", "", "")),
            counted.flagged if counted else 0, counted.excluded if counted else 0,
        ])
    return header + TOTAL_EXTRA, out


# --- pages ----------------------------------------------------------------------------------

@dataclass
class QualityRow:
    code: str
    name: str
    submissions: int
    flagged: int
    excluded: int
    by_reason: dict[str, int]
    outliers: list
    all_but_one: int = 0
    too_few: list = ()  # questions with answers too few to judge: code and valid answers


def quality_rows(index: Index) -> list[QualityRow]:
    """Per province: flag counts by reason, exclusions, and answer-distribution outliers."""
    questionnaires = sorted(index_questionnaire_ids(index))
    counts = flag_counts(questionnaires)
    scales = {s.question: s.substantive for n in index_tree(index) for s in n.sources
              if len(s.substantive) >= 3}
    names = dict(Question.objects.filter(pk__in=list(scales)).values_list("pk", "code"))
    outliers: dict[int, list] = {}
    too_few: dict[int, list] = {}
    check = quality.distribution_outliers(tally_map(question_ids=scales), scales)
    for o in check.outliers:
        outliers.setdefault(o.province, []).append(
            {"question_code": names[o.question], "z": o.z, "mean": o.mean, "median": o.median,
             "spread": o.spread})
    for t in check.too_few:
        too_few.setdefault(t.province, []).append(
            {"question_code": names[t.question], "answers": t.answers})
    out = []
    for province in index.province_set.provinces.order_by("code"):
        c = counts.get(province.pk)
        out.append(QualityRow(province.code, province.name, c.submissions if c else 0,
                              c.flagged if c else 0, c.excluded if c else 0,
                              c.by_reason if c else {}, outliers.get(province.pk, []),
                              c.all_but_one if c else 0, too_few.get(province.pk, [])))
    return out


@dataclass
class PrecisionRow:
    code: str
    name: str
    value: Decimal | None
    rank: int | None
    span: RankSpan | None
    ci: NodeInterval
    weighted: object | None  # WeightedResult
    required: int | None  # respondents for the weighted total's margin of error (SIPAS)
    respondents: int = 0  # counted respondents behind the total, all groups
    needed: int | None = None  # respondents for the published total's interval to be ±target


def needed_respondents(respondents: int, low: Decimal | None, high: Decimal | None,
                       target: float) -> int | None:
    """Respondents for a 95 % interval of ±target, from the bootstrap interval of the same
    (published) total: the half-width shrinks as 1/√n, so n × (half-width / target)²."""
    if not respondents or low is None or high is None or target <= 0:
        return None
    half = (float(high) - float(low)) / 2
    return max(1, math.ceil(respondents * (half / target) ** 2))


def precision_rows(index: Index, *, target: float) -> list[PrecisionRow]:
    """Per province: total, its 95 % interval, rank interval, weighted total and the planner."""
    results = {r.province.code: r for r in NodeResult.objects.filter(
        index=index, node__level=Level.TOTAL).select_related("province")}
    field = "points" if index.kind == IndexKind.PAR else "percent"
    ranks = engine.competition_ranks({c: r.percent for c, r in results.items()})
    spans = rank_spans(index)
    intervals = node_intervals(index, Level.TOTAL)
    weighted = {w.province.code: w for w in WeightedResult.objects.filter(index=index)
                .select_related("province")}
    counted = dict(Submission.objects.filter(
        questionnaire_id__in=index_questionnaire_ids(index), excluded=False,
        counted_at__isnull=False).values("province__code").annotate(n=Count("pk"))
        .values_list("province__code", "n"))
    rows = []
    for code, r in results.items():
        w = weighted.get(code)
        required = None
        if w is not None:  # from the weighted total's own interval, as the published one's
            required = needed_respondents(w.respondents, w.ci_low, w.ci_high, target)
        ci = intervals.get((code, ROOT), NO_INTERVAL)
        rows.append(PrecisionRow(code, r.province.name, getattr(r, field), ranks.get(code),
                                 spans.get(code), ci, w, required, counted.get(code, 0),
                                 needed_respondents(counted.get(code, 0), *ci, target)))
    rows.sort(key=lambda row: (row.rank is None, row.rank or 0, row.code))
    return rows


def area_percents(index: Index):
    """Province codes, area codes, a provinces × areas array of percents, and area weights."""
    areas = list(Node.objects.filter(index=index, level=Level.FIRST).order_by("position")
                 .values_list("code", "max_points"))
    codes = [a for a, _ in areas]
    values: dict[str, dict[str, float]] = {}
    for province, area, percent in NodeResult.objects.filter(
            index=index, node__level=Level.FIRST).values_list(
            "province__code", "node__code", "percent"):
        if percent is not None:
            values.setdefault(province, {})[area] = float(percent)
    provinces = sorted(p for p, v in values.items() if len(v) == len(codes))
    matrix = np.array([[values[p][a] for a in codes] for p in provinces]) if provinces else \
        np.zeros((0, len(codes)))
    weights = [float(m) if index.kind == IndexKind.PAR and m else 1.0 for _, m in areas]
    return provinces, codes, matrix, weights

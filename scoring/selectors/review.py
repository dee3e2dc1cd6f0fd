"""Read selectors of the review pages: ranking, province profile, collection monitoring.

Each reads stored results with a bounded number of queries, whatever the
number of submissions behind them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction

from django.db.models import Count, Q
from django.db.models.functions import TruncDate

from scoring.models import AnswerTally, Index, Publication, Source
from scoring.rules import engine
from scoring.rules.vocabulary import LEVEL_NAMES, Level
from scoring.selectors import TotalRow, previous_totals, province_ranking, results_of
from surveys.collation import collation_key
from surveys.models import Province, Questionnaire, ScaleOption, Submission

SORTS = {
    "rank": lambda r: (r.rank is None, r.rank or 0, r.province_code),
    "province": lambda r: collation_key(r.province_name),
    "total": lambda r: (r.percent is None, r.percent or 0),
    "delta": lambda r: (r.delta is None, r.delta or 0),
    "delta_rank": lambda r: (r.delta_rank is None, r.delta_rank or 0),
}


@dataclass(frozen=True)
class Summary:
    label: str
    average: Decimal | None
    count: int


@dataclass
class RankingPage:
    rows: list[TotalRow]
    national: Summary
    highest: TotalRow | None
    lowest: TotalRow | None
    regions: list[Summary]
    region_names: dict[str, str]
    current: dict[str, TotalRow] = field(default_factory=dict)
    previous_year: int | None = None
    delta_basis: str = ""  # same_set | crosswalk | "" (no Δ)


def _mean(values: list[Fraction]) -> Decimal | None:
    if not values:
        return None
    return engine.round2(sum(values, Fraction(0)) / len(values))


def _percent(row: TotalRow) -> Fraction | None:
    return Fraction(row.percent) if row.percent is not None else None


def ranking_page(index: Index, *, region: str = "", sort: str = "rank", descending: bool = False,
                 publication: Publication | None = None) -> RankingPage:
    """The national ranking, filtered to a region and sorted as asked; ranks stay national."""
    previous = previous_totals(index, published=publication is not None)
    rows = province_ranking(index, publication=publication, previous=previous)
    provinces = list(Province.objects.filter(province_set_id=index.province_set_id)
                     .order_by("region_code"))
    names = {p.region_code: p.region for p in provinces}
    ranked = [r for r in rows if r.rank is not None]
    national = Summary("national", _mean([_percent(r) for r in ranked]), len(ranked))
    regions = []
    for code in sorted(names):
        members = [_percent(r) for r in ranked if r.region_code == code]
        regions.append(Summary(names[code], _mean(members), len(members)))
    regions.sort(key=lambda s: (s.average is None, -(s.average or 0)))
    shown = [r for r in rows if not region or r.region_code == region]
    shown.sort(key=SORTS.get(sort, SORTS["rank"]), reverse=descending)
    page = RankingPage(rows=shown, national=national,
                       highest=ranked[0] if ranked else None,
                       lowest=ranked[-1] if ranked else None,
                       regions=regions, region_names=names, previous_year=previous.year,
                       delta_basis=previous.basis if any(r.delta_basis for r in rows) else "")
    if publication is not None:
        page.current = {r.province_code: r for r in province_ranking(index)}
    return page


@dataclass(frozen=True)
class Standing:
    """A province's place in the national ranking, and its change on last year."""

    row: TotalRow | None
    ranked: int
    previous_year: int | None
    delta_basis: str


def province_standing(index: Index, province: Province, *,
                      publication: Publication | None = None, totals: dict | None = None
                      ) -> Standing:
    """Rank, group and Δ of one province, as on the ranking page (`totals` as read by
    `selectors.stored_totals`, when the caller has them already)."""
    previous = previous_totals(index, published=publication is not None)
    rows = province_ranking(index, publication=publication, previous=previous, totals=totals)
    row = next((r for r in rows if r.province_code == province.code), None)
    return Standing(row, sum(1 for r in rows if r.rank is not None), previous.year,
                    row.delta_basis if row else "")


@dataclass
class ProfileNode:
    code: str
    name: str
    level: int
    parent: str | None
    method: str
    rule: str
    points: Decimal | None
    max_points: Decimal | None
    percent: Decimal | None
    flags: str
    valid_answers: int
    national_percent: Decimal | None = None
    rule_label: str = ""
    sources: list[dict] = field(default_factory=list)
    children: list[ProfileNode] = field(default_factory=list)


@dataclass
class Profile:
    root: ProfileNode | None
    standing: Standing


def province_profile(index: Index, province: Province, *,
                     publication: Publication | None = None) -> Profile:
    """The province's tree of results with national averages and answer distributions, and its
    standing (rank, Δ) in the national ranking."""
    # One query: every node of this province, and the total and first level of all the
    # others for the national averages and the ranking.
    results: dict[int, object] = {}
    averages: dict[int, list[Fraction]] = defaultdict(list)
    totals = {}
    for r in (results_of(index, publication)
              .filter(Q(province=province) | Q(node__level__lte=Level.FIRST))
              .select_related("node", "province")):
        if r.province_id == province.pk:
            results[r.node_id] = r
        if r.node.level <= Level.FIRST and r.percent is not None:
            averages[r.node_id].append(Fraction(r.percent))
        if r.node.level == Level.TOTAL:
            totals[r.province.code] = (r.province, r)
    if not results:
        return Profile(None, Standing(None, 0, None, ""))
    standing = province_standing(index, province, publication=publication, totals=totals)
    return Profile(_tree(index, province, results, averages), standing)


def _tree(index: Index, province: Province, results: dict, averages: dict) -> ProfileNode:
    nodes = sorted((r.node for r in results.values()), key=lambda n: n.position)
    by_code: dict[str, ProfileNode] = {}
    codes = {n.pk: n.code for n in nodes}
    root = None
    for n in nodes:
        r = results.get(n.pk)
        item = ProfileNode(
            code=n.code, name=n.name, level=n.level,
            parent=codes.get(n.parent_id),
            method=n.method, rule=n.rule,
            points=r.points if r else None, max_points=r.max_points if r else None,
            percent=r.percent if r else None, flags=r.flags if r else "",
            valid_answers=r.valid_answers if r else 0,
            national_percent=_mean(averages.get(n.pk, [])),
            rule_label=n.get_rule_display() if n.rule else "",
        )
        by_code[n.code] = item
        if n.level == Level.TOTAL:
            root = item
    for n in nodes:
        if n.parent_id is not None:
            by_code[codes[n.parent_id]].children.append(by_code[n.code])
    _attach_distributions(index, province, by_code)
    return root


def _attach_distributions(index: Index, province: Province, by_code: dict[str, ProfileNode]
                          ) -> None:
    sources = list(Source.objects.filter(node__index=index).select_related(
        "node", "question", "question__questionnaire"))
    question_ids = {s.question_id for s in sources}
    tallies: dict[int, dict[int, int]] = defaultdict(dict)
    for question_id, value, count in AnswerTally.objects.filter(
            province=province, question_id__in=question_ids).values_list(
            "question_id", "value", "count"):
        tallies[question_id][value] = count
    options: dict[int, list[ScaleOption]] = defaultdict(list)
    for option in ScaleOption.objects.filter(scale__questions__in=question_ids).distinct():
        options[option.scale_id].append(option)
    for s in sources:
        counts = tallies.get(s.question_id, {})
        scale_options = sorted(options.get(s.question.scale_id, []), key=lambda o: o.position)
        valid = sum(counts.get(o.value, 0) for o in scale_options if o.substantive)
        by_code[s.node.code].sources.append({
            "questionnaire": s.question.questionnaire.code, "question": s.question.code,
            "text": s.question.text, "weight": s.weight, "valid": valid,
            "options": [{"value": o.value, "label": o.label, "substantive": o.substantive,
                         "count": counts.get(o.value, 0),
                         "share": (Decimal(100 * counts.get(o.value, 0)) / valid)
                         if valid and o.substantive else None}
                        for o in scale_options],
        })


def level_name(index: Index, level: int) -> str:
    return LEVEL_NAMES[index.kind][level]


# --- collection monitoring --------------------------------------------------------------------

@dataclass
class MonitoringCell:
    count: int
    target: int

    @property
    def share(self) -> int | None:
        return round(100 * self.count / self.target) if self.target else None

    @property
    def lagging(self) -> bool:
        return bool(self.target) and self.count < self.target * 0.8


@dataclass
class MonitoringPage:
    questionnaires: list[Questionnaire]
    rows: list[tuple[Province, list[MonitoringCell], bool]]
    totals: list[MonitoringCell]
    days: list[tuple[date, int]]


def monitoring_page(year: int) -> MonitoringPage:
    """Submissions per province × questionnaire (respondent group) against their targets."""
    questionnaires = list(Questionnaire.objects.filter(year=year).order_by("audience", "code"))
    if not questionnaires:
        return MonitoringPage([], [], [], [])
    counts: dict[tuple[int, int], int] = {}
    for province_id, questionnaire_id, n in (
        Submission.objects.filter(questionnaire__in=questionnaires, excluded=False)
        .values_list("province_id", "questionnaire_id").annotate(n=Count("id"))
        .values_list("province_id", "questionnaire_id", "n")
    ):
        counts[(province_id, questionnaire_id)] = n
    provinces = sorted(questionnaires[0].province_set.provinces.all(),
                       key=lambda p: collation_key(p.name))
    rows = []
    for p in provinces:
        cells = [MonitoringCell(counts.get((p.pk, q.pk), 0), q.target_per_province)
                 for q in questionnaires]
        rows.append((p, cells, any(c.lagging for c in cells)))
    totals = [MonitoringCell(sum(counts.get((p.pk, q.pk), 0) for p in provinces),
                             q.target_per_province * len(provinces)) for q in questionnaires]
    days = list(
        Submission.objects.filter(questionnaire__in=questionnaires, excluded=False)
        .annotate(day=TruncDate("received_at")).values_list("day")
        .annotate(n=Count("id")).values_list("day", "n").order_by("day"))
    return MonitoringPage(questionnaires, rows, totals, days)

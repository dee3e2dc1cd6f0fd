"""Read selectors of the review pages: ranking, province profile, collection monitoring.

Each reads stored results with a bounded number of queries, whatever the
number of submissions behind them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from fractions import Fraction

from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils.translation import get_language

from scoring.models import AnswerTally, Index, Node, Publication, Source
from scoring.rules import engine
from scoring.rules.vocabulary import LEVEL_NAMES, Level
from scoring.selectors import (
    TOTAL_COLUMNS,
    Previous,
    StoredTotal,
    TotalRow,
    exact_field,
    previous_totals,
    province_ranking,
    results_of,
    stored_totals,
)
from surveys.collation import collation_key
from surveys.models import Province, Questionnaire, Submission

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
        # The previous index's current results, when it was never published, are what the
        # published version was compared with already.
        page.current = {r.province_code: r for r in province_ranking(
            index, previous=None if previous.published else previous)}
    return page


@dataclass(frozen=True)
class Standing:
    """A province's place in the national ranking, and its change on last year."""

    row: TotalRow | None
    ranked: int
    previous_year: int | None
    delta_basis: str


def province_standing(index: Index, province: Province, *,
                      publication: Publication | None = None, totals: dict | None = None,
                      previous: Previous | None = None) -> Standing:
    """Rank, group and Δ of one province, as on the ranking page (`totals` as read by
    `selectors.stored_totals` and `previous` by `selectors.previous_totals`, when the caller
    has them already)."""
    if totals is None:
        totals = stored_totals(index, publication)
    if previous is None:
        previous = previous_totals(index, published=publication is not None)
    row = next(iter(province_ranking(index, publication=publication, previous=previous,
                                     totals=totals, only=province.code)), None)
    ranked = sum(1 for t in totals.values() if t.percent is not None)
    return Standing(row, ranked, previous.year, row.delta_basis if row else "")


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


@dataclass(frozen=True)
class LayoutNode:
    node_id: int
    code: str
    name: str
    level: int
    parent_id: int | None
    method: str
    rule: str
    rule_label: str


@dataclass(frozen=True)
class LayoutSource:
    node_id: int
    question_id: int
    questionnaire: str
    question: str
    text: str
    weight: Decimal
    options: tuple[tuple[int, str, bool], ...]  # value, label, counts as an answer


@dataclass(frozen=True)
class ProfileLayout:
    """What the profile shows of the index's definition, in the page's language: its nodes in
    tree order, and each survey leaf's source questions with their scale's options."""

    nodes: tuple[LayoutNode, ...]
    sources: tuple[LayoutSource, ...]


def profile_layout(index: Index) -> ProfileLayout:
    """The index's tree and source questions as the profile shows them (two queries).

    It changes only when the index or one of its questionnaires is loaded again, so a
    caller may keep it across changes of the results.
    """
    english = (get_language() or "vi")[:2] == "en"
    rules = dict(Node._meta.get_field("rule").flatchoices)
    nodes = tuple(
        LayoutNode(pk, code, (en if english else "") or vi, level, parent_id, method, rule,
                   str(rules.get(rule, rule)) if rule else "")
        for pk, code, vi, en, level, parent_id, method, rule in index.nodes.order_by(
            "position").values_list("pk", "code", "name_vi", "name_en", "level", "parent_id",
                                    "method", "rule"))
    sources: dict[int, LayoutSource] = {}
    options: dict[int, list[tuple[int, str, bool]]] = {}
    for (source_id, node_id, question_id, weight, questionnaire, question, text_vi, text_en,
         value, label_vi, label_en, substantive) in (
            Source.objects.filter(node__index=index)
            .order_by("pk", "question__scale__options__position")
            .values_list("pk", "node_id", "question_id", "weight",
                         "question__questionnaire__code", "question__code", "question__text_vi",
                         "question__text_en", "question__scale__options__value",
                         "question__scale__options__label_vi",
                         "question__scale__options__label_en",
                         "question__scale__options__substantive")):
        if source_id not in sources:
            options[source_id] = []
            sources[source_id] = LayoutSource(
                node_id, question_id, questionnaire, question,
                (text_en if english else "") or text_vi, weight, ())
        if value is not None:  # None: a question without a scale
            options[source_id].append((value, (label_en if english else "") or label_vi,
                                       substantive))
    return ProfileLayout(nodes, tuple(replace(s, options=tuple(options[pk]))
                                      for pk, s in sources.items()))


# The profile's read of stored results, then the totals' columns for the ranking.
PROFILE_COLUMNS = ("province_id", "node_id", "node__level", "points", "max_points", "percent",
                   "flags", "valid_answers")


def province_profile(index: Index, province: Province, *,
                     publication: Publication | None = None,
                     layout: ProfileLayout | None = None,
                     previous: Previous | None = None) -> Profile:
    """The province's tree of results with national averages and answer distributions, and its
    standing (rank, Δ) in the national ranking.

    `layout` (`profile_layout`) and `previous` (`previous_totals` as the standing reads
    them) may come from the caller, who keeps them while what they depend on is unchanged;
    with both, three queries: the results, the province's answers, the criteria's standing.
    """
    layout = layout if layout is not None else profile_layout(index)
    # One query: every node of this province, and the total and first level of all the
    # others for the national averages and the ranking. Tuples, not model instances: the
    # 600 results with their node and province took most of the profile's time. Two
    # selects joined by UNION ALL, as each can use an index (the province's; the nodes',
    # once the nodes are known to be this index's), where one select with an OR across the
    # two tables read every result of the index.
    results = results_of(index, publication)
    columns = (*PROFILE_COLUMNS, *TOTAL_COLUMNS, exact_field(index))
    rows = (results.filter(province=province).values_list(*columns)
            .union(results.filter(node__index=index, node__level__lte=Level.FIRST)
                   .exclude(province=province).values_list(*columns), all=True))
    own: dict[int, tuple] = {}
    # Sums of 2-to-12-decimal percents of 63 provinces stay well within the 28 digits of
    # Decimal's default context: exact, and one Fraction per node instead of one per value.
    sums: dict[int, list] = defaultdict(lambda: [Decimal(0), 0])
    totals: dict[str, StoredTotal] = {}
    for province_id, node_id, level, *values in rows:
        if province_id == province.pk:
            own[node_id] = values
        percent = values[2]
        if level <= Level.FIRST and percent is not None:
            sums[node_id][0] += percent
            sums[node_id][1] += 1
        if level == Level.TOTAL:
            code, *total = values[len(PROFILE_COLUMNS) - 3:]
            totals[code] = StoredTotal(*total)
    if not own:
        return Profile(None, Standing(None, 0, None, ""))
    standing = province_standing(index, province, publication=publication, totals=totals,
                                 previous=previous)
    averages = {node_id: engine.round2(Fraction(total) / n) for node_id, (total, n) in sums.items()}
    counts: dict[int, dict[int, int]] = defaultdict(dict)
    for question_id, value, count in AnswerTally.objects.filter(
            province=province, question_id__in={s.question_id for s in layout.sources}
    ).values_list("question_id", "value", "count"):
        counts[question_id][value] = count
    return Profile(_tree(layout, own, averages, counts), standing)


def _tree(layout: ProfileLayout, own: dict[int, tuple], averages: dict[int, Decimal],
          counts: dict[int, dict[int, int]]) -> ProfileNode | None:
    """The province's nodes (those with a result) in tree order, each survey leaf with the
    distribution of the province's answers to each source question."""
    by_id: dict[int, ProfileNode] = {}
    root = None
    for n in layout.nodes:
        if n.node_id not in own:
            continue
        points, max_points, percent, flags, valid_answers, *_ = own[n.node_id]
        by_id[n.node_id] = item = ProfileNode(
            code=n.code, name=n.name, level=n.level, parent=None, method=n.method, rule=n.rule,
            points=points, max_points=max_points, percent=percent, flags=flags,
            valid_answers=valid_answers, national_percent=averages.get(n.node_id),
            rule_label=n.rule_label)
        if n.level == Level.TOTAL:
            root = item
    for n in layout.nodes:
        if n.node_id in by_id and n.parent_id is not None:
            parent, child = by_id[n.parent_id], by_id[n.node_id]
            child.parent = parent.code
            parent.children.append(child)
    for s in layout.sources:
        if s.node_id not in by_id:
            continue
        answers = counts.get(s.question_id, {})
        valid = sum(answers.get(value, 0) for value, _, substantive in s.options if substantive)
        by_id[s.node_id].sources.append({
            "questionnaire": s.questionnaire, "question": s.question, "text": s.text,
            "weight": s.weight, "valid": valid,
            "options": [{"value": value, "label": label, "substantive": substantive,
                         "count": answers.get(value, 0),
                         "share": (Decimal(100 * answers.get(value, 0)) / valid)
                         if valid and substantive else None}
                        for value, label, substantive in s.options]})
    return root


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

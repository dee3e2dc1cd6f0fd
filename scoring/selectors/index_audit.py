"""Read side of the index audit: the stored results of one index (or one of its published
versions) shaped for the checks of scoring.rules.index_audit, in a handful of queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from functools import cached_property

from django.db.models import Count, OuterRef, Q, Subquery
from django.utils.translation import get_language

from scoring.models import AuditScenario, Index, Publication
from scoring.rules import engine, index_audit
from scoring.rules.index_audit import CriterionValue
from scoring.rules.vocabulary import ROOT, IndexKind, Level, Method
from scoring.selectors import Previous, previous_totals, results_of
from surveys.models import Province


@dataclass(frozen=True)
class NodeInfo:
    code: str
    name: str
    parent: str
    max_points: Fraction | None
    method: str = ""


@dataclass
class AuditData:
    """What the audit reads: the tree, each province's stored results, the ranks they give."""

    index: Index
    publication: Publication | None
    areas: list[NodeInfo]
    criteria: list[NodeInfo]
    components: list[NodeInfo]
    provinces: dict[str, str]  # code -> name, in code order
    percent: dict[tuple[str, str], float]  # (province, node code) -> percent; ROOT is the total
    points: dict[tuple[str, str], float]  # PAR only
    criterion_values: dict[str, dict[str, CriterionValue]]  # for the what-if
    statuses: dict[str, dict[str, str]]  # province -> component -> ok | provisional | missing
    ranks: dict[str, int]  # the ranking these results give (spec §6)

    @cached_property
    def previous(self) -> Previous:
        """Last year's ranks (through the crosswalk across a change of province sets)."""
        return previous_totals(self.index, published=self.publication is not None)

    @property
    def par(self) -> bool:
        return self.index.kind == IndexKind.PAR

    def nominal_weights(self) -> dict[str, Fraction]:
        """Each area's weight as the definition sets it: PAR its points, SIPAS 1."""
        return {a.code: (a.max_points if self.par else Fraction(1)) for a in self.areas}

    def complete(self) -> list[str]:
        """Provinces with a total and a value for every area and criterion: the ones the
        statistics run over (a correlation needs one value per province on both sides)."""
        codes = [ROOT, *(a.code for a in self.areas), *(c.code for c in self.criteria)]
        return [p for p in self.provinces
                if all(self.percent.get((p, code)) is not None for code in codes)]


def _english() -> bool:
    return (get_language() or "vi")[:2] == "en"


def _fraction(text: str) -> Fraction | None:
    """A stored exact value ("n/d" or "n"), parsed without Fraction's general text parser."""
    if not text:
        return None
    numerator, _, denominator = text.partition("/")
    return Fraction(int(numerator), int(denominator or 1))


def _status(flags: str) -> str:
    parts = set(flags.split("|")) if flags else set()
    if engine.MISSING in parts:
        return index_audit.MISSING
    if engine.PROVISIONAL in parts:
        return index_audit.PROVISIONAL
    return index_audit.OK


WHAT_IF_LEVELS = (Level.TOTAL, Level.SECOND)  # the totals and the criteria: all a what-if reads


def audit_data(index: Index, *, publication: Publication | None = None,
               levels: tuple[int, ...] = tuple(Level)) -> AuditData:
    """The index's results (current, or as a version published them) at these levels, in
    three queries: the tree, the provinces, the results (last year's, when asked for, in
    one or two more)."""
    nodes = list(index.nodes.order_by("position").values_list(
        "code", "name_vi", "name_en", "parent__code", "level", "max_points", "method"))
    english = _english()
    tree: dict[int, list[NodeInfo]] = {Level.FIRST: [], Level.SECOND: [], Level.LEAF: []}
    for code, vi, en, parent, level, maximum, method in nodes:
        if level in tree:
            tree[level].append(NodeInfo(code, (en if english else "") or vi, parent or ROOT,
                                          Fraction(maximum) if maximum is not None else None,
                                          method))
    provinces = {code: (en if english else "") or vi for code, vi, en in
                 Province.objects.filter(province_set_id=index.province_set_id)
                 .order_by("code").values_list("code", "name_vi", "name_en")}
    criterion_of = {c.code: c for c in tree[Level.SECOND]}
    percent: dict[tuple[str, str], float] = {}
    points: dict[tuple[str, str], float] = {}
    values: dict[str, dict[str, CriterionValue]] = {}
    statuses: dict[str, dict[str, str]] = {}
    totals: dict[str, Decimal | None] = {}
    par = index.kind == IndexKind.PAR
    for province, code, level, value, value_exact, share, share_exact, flags in (
            results_of(index, publication).filter(node__level__in=levels).values_list(
                "province__code", "node__code", "node__level", "points", "points_exact",
                "percent", "percent_exact", "flags")):
        if share is not None:
            percent[(province, code)] = float(share)
        if value is not None:
            points[(province, code)] = float(value)
        if level == Level.TOTAL:
            totals[province] = share
        elif level == Level.SECOND:
            node = criterion_of[code]
            exact = _fraction(value_exact if par else share_exact)
            values.setdefault(province, {})[code] = CriterionValue(
                node.parent, exact, node.max_points if par else Fraction(1))
        elif level == Level.LEAF:
            statuses.setdefault(province, {})[code] = _status(flags)
    order = {c.code: i for i, c in enumerate(tree[Level.SECOND])}  # the tree's order
    values = {p: dict(sorted(criteria.items(), key=lambda kv: order[kv[0]]))
              for p, criteria in values.items()}
    return AuditData(
        index=index, publication=publication, areas=tree[Level.FIRST],
        criteria=tree[Level.SECOND], components=tree[Level.LEAF],
        provinces={p: provinces[p] for p in provinces if p in totals},
        percent=percent, points=points, criterion_values=values, statuses=statuses,
        ranks=engine.competition_ranks(totals))


# --- the audit --------------------------------------------------------------------------------

@dataclass(frozen=True)
class AreaCoherence:
    area: NodeInfo
    alpha: float | None
    criteria: int
    pearson_total: float | None
    spearman_total: float | None


@dataclass
class Audit:
    data: AuditData
    compared: int  # provinces the statistics run over
    coverage_provinces: list[index_audit.Coverage]
    coverage_criteria: list[index_audit.Coverage]
    areas: list[AreaCoherence]
    correlations: list[index_audit.Correlation]
    matrix_codes: list[str]
    matrix: list[list[float | None]]
    redundant: list[tuple[str, str, float]]
    negative: list[tuple[str, str, float]]
    weights: list[index_audit.EffectiveWeight]
    appraisal_weights: list[index_audit.EffectiveWeight] = field(default_factory=list)
    survey_weights: list[index_audit.EffectiveWeight] = field(default_factory=list)
    method_weights: list[index_audit.EffectiveWeight] = field(default_factory=list)
    years: index_audit.YearComparison | None = None

    @property
    def names(self) -> dict[str, str]:
        d = self.data
        return {n.code: n.name for n in (*d.areas, *d.criteria)} | {
            Method.APPRAISAL: "", Method.SURVEY: ""}

    @property
    def provinces_below(self) -> list[index_audit.Coverage]:
        return [c for c in self.coverage_provinces if c.flagged]

    @property
    def matrix_rows(self) -> list[tuple[str, list[float | None]]]:
        return list(zip(self.matrix_codes, self.matrix, strict=True))

    @property
    def resting_on_inputs(self) -> list[index_audit.Coverage]:
        """Provinces scored with a self-assessed (provisional) or missing component."""
        return [c for c in self.coverage_provinces if c.provisional or c.missing]


def _split_weights(data: AuditData, provinces: list[str]):
    """Effective weights within the appraisal points, within the survey points, and of the two
    halves in the total (PAR): components' points added by area and method."""
    area_of = {c.code: c.parent for c in data.criteria}
    sums: dict[tuple[str, str, str], float] = {
        (p, m, a.code): 0.0 for p in provinces for m in Method for a in data.areas}
    maxima: dict[tuple[str, str], Fraction] = {
        (m, a.code): Fraction(0) for m in Method for a in data.areas}
    for component in data.components:
        area = area_of[component.parent]
        maxima[(component.method, area)] += component.max_points or 0
        for p in provinces:
            sums[(p, component.method, area)] += data.points.get((p, component.code), 0.0)
    out = {}
    for method in Method:
        areas = [a.code for a in data.areas if maxima[(method, a.code)]]
        out[method] = index_audit.effective_weights(
            {a: [sums[(p, method, a)] for p in provinces] for a in areas},
            {a: float(maxima[(method, a)]) for a in areas}) if areas else []
    halves = {m: [sum(sums[(p, m, a.code)] for a in data.areas) for p in provinces]
              for m in Method}
    method_max = {m: float(sum(maxima[(m, a.code)] for a in data.areas))
                  for m in Method}
    kept = [m for m in Method if method_max[m]]
    both = index_audit.effective_weights({m: halves[m] for m in kept},
                                         {m: method_max[m] for m in kept}) if kept else []
    return out[Method.APPRAISAL], out[Method.SURVEY], both


def index_audit_of(index: Index, *, publication: Publication | None = None,
                   data: AuditData | None = None) -> Audit:
    """Every check of the audit on the index's stored results (docs/index-audit.md)."""
    data = data or audit_data(index, publication=publication)
    provinces = data.complete()
    criterion_of = {c.code: c.parent for c in data.components}
    by_province, by_criterion = index_audit.coverage(
        {p: data.statuses.get(p, {}) for p in data.provinces}, criterion_of)

    def series(code: str) -> list[float]:
        return [data.percent[(p, code)] for p in provinces]

    total = series(ROOT)
    area_series = {a.code: series(a.code) for a in data.areas}
    criterion_series = {c.code: series(c.code) for c in data.criteria}
    areas = []
    for area in data.areas:
        members = [criterion_series[c.code] for c in data.criteria if c.parent == area.code]
        areas.append(AreaCoherence(
            area, index_audit.cronbach_alpha(members), len(members),
            index_audit.pearson(area_series[area.code], total),
            index_audit.spearman(area_series[area.code], total)))
    correlations = index_audit.criterion_correlations(
        criterion_series, {c.code: c.parent for c in data.criteria}, area_series, total)
    codes, matrix = index_audit.correlation_matrix(criterion_series)
    if data.par:
        parts = {a.code: [data.points[(p, a.code)] for p in provinces] for a in data.areas}
        maxima = {a.code: float(a.max_points) for a in data.areas}
    else:  # the SIPAS total is the mean of its parts: each adds its percent ÷ the count
        n = len(data.areas) or 1
        parts = {a.code: [v / n for v in area_series[a.code]] for a in data.areas}
        maxima = {a.code: 1.0 for a in data.areas}
    audit = Audit(
        data=data, compared=len(provinces), coverage_provinces=by_province,
        coverage_criteria=by_criterion, areas=areas, correlations=correlations,
        matrix_codes=codes, matrix=matrix, redundant=index_audit.redundant_pairs(codes, matrix),
        negative=index_audit.negative_pairs(codes, matrix),
        weights=index_audit.effective_weights(parts, maxima) if parts else [])
    if data.par:
        audit.appraisal_weights, audit.survey_weights, audit.method_weights = _split_weights(
            data, provinces)
    if data.previous.ranks:
        audit.years = index_audit.year_comparison(data.ranks, data.previous.ranks)
    return audit


# --- what-if ----------------------------------------------------------------------------------

def what_if(data: AuditData, *, weights: dict[str, Fraction],
            dropped: frozenset[str] = frozenset()) -> index_audit.WhatIf:
    """Every province's total and rank under these area weights and without these criteria,
    beside the rank the stored results give; nothing is written."""
    return index_audit.what_if(data.criterion_values, weights, data.ranks,
                               percent_scale=not data.par, dropped=dropped)


def scenarios(index: Index) -> list[AuditScenario]:
    """The index's saved what-if scenarios, newest first, with who saved them."""
    return list(index.audit_scenarios.select_related("created_by").order_by("-created_at",
                                                                            "-pk"))


# --- strengths and weaknesses -------------------------------------------------------------------

@dataclass(frozen=True)
class Standing:
    code: str
    name: str
    percent: float
    percentile: float


def strengths_and_weaknesses(index: Index, province: Province, *,
                             publication: Publication | None = None
                             ) -> tuple[list[Standing], list[Standing]]:
    """A province's three best and three worst criteria (elements for SIPAS) by percentile
    in the national distribution of the same results (one query).

    The database counts, for each of the province's criteria, the provinces below it,
    equal to it and in all, rather than sending every province's value of every criterion
    (2,394 rows for par-2024). Compared as stored decimals (at most 15 significant digits,
    12 after the point), they compare as their floats do.
    """
    english = _english()
    results = results_of(index, publication)
    # The same index or publication as the province's row, matched to it rather than to a
    # constant: with the constant, PostgreSQL scanned a publication's every result per
    # criterion (its own index) rather than the criterion's 63 (the node's).
    scope = "index_id" if publication is None else "publication_id"
    national = (results.model.objects.filter(node_id=OuterRef("node_id"), percent__isnull=False,
                                             **{scope: OuterRef(scope)})
                .order_by().values("node_id"))

    def counted(aggregate) -> Subquery:
        return Subquery(national.annotate(n=aggregate).values("n")[:1])

    rows = list(results.filter(
        province=province, node__level=Level.SECOND, percent__isnull=False).annotate(
        below=counted(Count("pk", filter=Q(percent__lt=OuterRef("percent")))),
        equal=counted(Count("pk", filter=Q(percent=OuterRef("percent")))),
        count=counted(Count("pk")),
    ).values_list("node__code", "node__name_vi", "node__name_en", "percent", "below", "equal",
                  "count"))
    names = {code: (en if english else "") or vi for code, vi, en, *_ in rows}
    best, worst = index_audit.best_and_worst(
        index_audit.Placing(code, float(share), below, equal, count)
        for code, _, _, share, below, equal, count in rows)

    def named(standings):
        return [Standing(s.code, names[s.code], s.value, s.percentile) for s in standings]

    return named(best), named(worst)

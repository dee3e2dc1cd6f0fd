"""Read selectors of the scoring app: index trees, tallies, assessments and stored results."""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction

from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q, Subquery, Value
from django.utils.translation import get_language

from scoring.audit_text import AuditNames
from scoring.models import (
    AnswerTally,
    Assessment,
    AuditEvent,
    Index,
    Node,
    NodeResult,
    Publication,
    PublishedFile,
    PublishedResult,
    Source,
)
from scoring.rules import engine
from scoring.rules.vocabulary import LEVEL_NAMES, IndexKind, Level
from surveys.models import CrosswalkLink, Province, Questionnaire, ScaleOption
from surveys.spreadsheets import BOM


def index_tree(index: Index) -> list[engine.NodeDef]:
    """The index's nodes as pure definitions, parents before children."""
    substantive: dict[int, list[int]] = {}
    for scale_id, value, _ in (ScaleOption.objects.filter(
            substantive=True, scale__questions__sources__node__index=index).distinct()
            .order_by("scale_id", "position").values_list("scale_id", "value", "position")):
        substantive.setdefault(scale_id, []).append(value)
    sources: dict[int, list[engine.SourceDef]] = {}
    for node_id, question_id, scale_id, weight in (
        Source.objects.filter(node__index=index).order_by("pk")
        .values_list("node_id", "question_id", "question__scale_id", "weight")
    ):
        sources.setdefault(node_id, []).append(engine.SourceDef(
            question=question_id, weight=Fraction(weight),
            substantive=tuple(substantive.get(scale_id, ()))))
    nodes = list(index.nodes.order_by("position").values(
        "pk", "code", "parent__code", "level", "max_points", "method", "rule", "threshold",
        "fractions"))
    return [
        engine.NodeDef(
            code=n["code"], parent=n["parent__code"], level=n["level"],
            max_points=Fraction(n["max_points"]) if n["max_points"] is not None else None,
            method=n["method"], rule=n["rule"], threshold=n["threshold"],
            fractions={int(k): Fraction(Decimal(v)) for k, v in (n["fractions"] or {}).items()},
            sources=tuple(sources.get(n["pk"], ())),
        )
        for n in nodes
    ]


def tally_map(
    *, question_ids: Iterable[int], province_ids: Iterable[int] | None = None
) -> dict[int, dict[int, dict[int, int]]]:
    """Stored tallies: province id -> question id -> value -> count.

    Read with a plain cursor: a full recompute of `par-2024` reads some 27,000 cells
    in eight chunks, which took 23 ms of CPU through the ORM (preparing a filter of
    some 90 ids per chunk, then its row machinery) against 14 ms.
    """
    questions = list(question_ids)
    provinces = list(province_ids) if province_ids is not None else None
    if not questions or provinces == []:
        return {}
    sql = (f"SELECT province_id, question_id, value, count FROM {AnswerTally._meta.db_table} "  # noqa: S608 - the table name comes from the model
           f"WHERE question_id IN ({', '.join(['%s'] * len(questions))})")
    if provinces is not None:
        sql += f" AND province_id IN ({', '.join(['%s'] * len(provinces))})"
    out: dict[int, dict[int, dict[int, int]]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, questions + (provinces or []))
        for province_id, question_id, value, count in cursor.fetchall():
            out.setdefault(province_id, {}).setdefault(question_id, {})[value] = count
    return out


def assessment_map(
    *, index: Index, province_ids: Iterable[int] | None = None
) -> dict[int, dict[str, engine.Scores]]:
    """Self-assessed and appraised scores: province id -> component code -> scores."""
    qs = Assessment.objects.filter(index=index)
    if province_ids is not None:
        qs = qs.filter(province_id__in=list(province_ids))
    out: dict[int, dict[str, engine.Scores]] = {}
    exact: dict[Decimal | None, Fraction | None] = {None: None}  # scores repeat; Fraction() is slow
    for province_id, code, self_score, appraised in qs.values_list(
            "province_id", "node__code", "self_score", "appraised_score"):
        for score in (self_score, appraised):
            if score not in exact:
                exact[score] = Fraction(score)
        out.setdefault(province_id, {})[code] = engine.Scores(exact[self_score], exact[appraised])
    return out


def index_questionnaire_ids(index: Index) -> set[int]:
    return set(Source.objects.filter(node__index=index)
               .values_list("question__questionnaire_id", flat=True))


# --- exports --------------------------------------------------------------------------------

EXPORT_COLUMNS: dict[tuple[str, str], list[str]] = {
    (IndexKind.PAR, "total"): ["province_code", "province_name", "points", "max_points",
                               "percent", "rank", "group", "delta_points", "delta_rank",
                               "delta_basis"],
    (IndexKind.PAR, "node"): ["province_code", "code", "points", "max_points", "percent", "flags"],
    (IndexKind.SIPAS, "total"): ["province_code", "province_name", "percent", "rank",
                                 "delta_percent", "delta_rank", "delta_basis"],
    (IndexKind.SIPAS, "node"): ["province_code", "code", "percent", "valid_answers"],
}


@dataclass(frozen=True)
class TotalRow:
    province_code: str
    province_name: str
    region_code: str
    points: Decimal | None
    max_points: Decimal | None
    percent: Decimal | None
    rank: int | None
    group: str
    delta: Fraction | None  # points (PAR) or percent (SIPAS), exact
    delta_rank: int | None
    delta_basis: str = ""  # same_set | crosswalk | "" where there is no Δ


def results_of(index: Index, publication: Publication | None = None):
    """Stored results of an index: the current ones, or those of a publication."""
    if publication is not None:
        return PublishedResult.objects.filter(publication=publication)
    return NodeResult.objects.filter(index=index)


def latest_publication(index: Index) -> Publication | None:
    """The newest version, withdrawn or not (staff pages mark a withdrawn one)."""
    return index.publications.order_by("-version").first()


def public_publications() -> list[Publication]:
    """For each index with one, the version the public sees (newest first by year)."""
    shown = (Publication.objects.filter(withdrawn_at__isnull=True)
             .select_related("index").order_by("-index__year", "index__kind", "index__code",
                                               "-version"))
    seen, out = set(), []
    for publication in shown:
        if publication.index_id not in seen:
            seen.add(publication.index_id)
            out.append(publication)
    return out


def public_publication(index_code: str) -> Publication | None:
    """The version the public sees: the newest one not withdrawn (with its index)."""
    return (Publication.objects.filter(index__code=index_code, withdrawn_at__isnull=True)
            .select_related("index", "index__province_set").order_by("-version").first())


@dataclass(frozen=True)
class StoredTotal:
    """A province's stored total, as the ranking reads it (`exact`: points for PAR, percent
    for SIPAS, as a fraction's text)."""

    province_name: str
    region_code: str
    points: Decimal | None
    max_points: Decimal | None
    percent: Decimal | None
    exact: str


def exact_field(index: Index) -> str:
    """The exact value Δ is taken on: points for PAR, percent for SIPAS."""
    return "points_exact" if index.kind == IndexKind.PAR else "percent_exact"


TOTAL_COLUMNS = ("province__code", "province__name_vi", "province__region_code", "points",
                 "max_points", "percent")


def stored_totals(index: Index, publication: Publication | None = None
                  ) -> dict[str, StoredTotal]:
    """Every province's total by province code (one query, no model instances)."""
    return {code: StoredTotal(*values) for code, *values in (
        results_of(index, publication).filter(node__level=Level.TOTAL)
        .values_list(*TOTAL_COLUMNS, exact_field(index)))}


@dataclass(frozen=True)
class Previous:
    """Last year's comparable value and rank of each province or unit, and on what basis
    (`published`: read from the previous index's publication, not its current results)."""

    values: dict[str, Fraction]
    ranks: dict[str, int]
    basis: str  # same_set | crosswalk | "" (nothing to compare with)
    year: int | None = None
    published: bool = False


def previous_totals(index: Index, *, published: bool) -> Previous:
    """The totals Δ compares with (spec §6, §9): the `previous:` index's own, by code, when
    it ranks the same set; through the crosswalk when it ranks another set.

    With `published`, the previous index's latest publication is read (or its current
    results if it was never published). One query: each previous total comes with the
    unit its province became in this index's set, and its weight.
    """
    if not index.previous_code:
        return Previous({}, {}, "")
    # One link per province and set (crosswalklink_one_successor): the model's order, which
    # joined four more tables into each of these subqueries, picks nothing.
    link = CrosswalkLink.objects.filter(source_id=OuterRef("province_id"),
                                        target_set_id=index.province_set_id).order_by()
    units = {"unit": Subquery(link.values("target__code")[:1]),
             "unit_weight": Subquery(link.values("weight")[:1])}
    # Tuples, not model instances: building and decoding 63 results with their province
    # and index took most of this read's time.
    columns = ("province__code", "percent", exact_field(index), "unit", "unit_weight")
    current = NodeResult.objects.filter(index__code=index.previous_code, node__level=Level.TOTAL)
    if published:
        latest = (Publication.objects.filter(index__code=index.previous_code,
                                             withdrawn_at__isnull=True).order_by("-version"))
        frozen = PublishedResult.objects.filter(publication=Subquery(latest.values("pk")[:1]),
                                                node__level=Level.TOTAL)
        # The publication's totals, or the current ones when there is none, in one query.
        rows = list(
            frozen.annotate(**units, frozen=Value(True)).values_list(
                *columns, "publication__index__year", "publication__index__province_set_id",
                "frozen")
            .union(current.exclude(Exists(latest)).annotate(**units, frozen=Value(False))
                   .values_list(*columns, "index__year", "index__province_set_id", "frozen"),
                   all=True))
    else:
        rows = list(current.annotate(**units, frozen=Value(False)).values_list(
            *columns, "index__year", "index__province_set_id", "frozen"))
    if not rows:
        return Previous({}, {}, "")
    year, province_set_id, frozen = rows[0][-3:]
    values = {code: engine.parse_fraction(exact) for code, _, exact, *_ in rows}
    values = {code: value for code, value in values.items() if value is not None}
    if province_set_id == index.province_set_id:
        ranks = engine.competition_ranks({code: percent for code, percent, *_ in rows})
        return Previous(values, ranks, engine.SAME_SET, year, frozen)
    links: dict[str, list[tuple[str, Fraction]]] = {}
    for code, _, _, unit, unit_weight, *_ in rows:
        if unit is not None:
            links.setdefault(unit, []).append(
                (code, Fraction(1) if unit_weight is None else Fraction(unit_weight)))
    if not links:
        return Previous({}, {}, "", year, frozen)
    merged = engine.crosswalk_previous(values, links)
    # Ranked on the merged values rounded to 2 decimals, highest first (competition_ranks).
    return Previous(merged, engine.competition_ranks(merged), engine.CROSSWALK, year,
                    frozen)


def province_ranking(index: Index, *, publication: Publication | None = None,
                     previous: Previous | None = None, totals: dict | None = None,
                     only: str | None = None) -> list[TotalRow]:
    """Every province's total with rank, group and change vs the previous index.

    With a publication, its frozen numbers are ranked and compared with the previous
    index's latest publication (or its current results if it was never published).
    Across a change of province sets the previous values come through the crosswalk
    (spec §9). Ordered by rank then province code; unranked provinces come last.
    `only` keeps one province's row (ranked among all).
    """
    if totals is None:
        totals = stored_totals(index, publication)
    ranks = engine.competition_ranks({code: t.percent for code, t in totals.items()})
    if previous is None:
        previous = previous_totals(index, published=publication is not None)
    bands = [engine.Band(g["code"], Decimal(g["min_percent"])) for g in index.groups]
    rows = []
    for code, total in totals.items():
        if only is not None and code != only:
            continue
        # Differences are taken between exact values, then rounded once.
        delta = engine.change(engine.parse_fraction(total.exact), previous.values.get(code))
        rows.append(TotalRow(
            province_code=code, province_name=total.province_name,
            region_code=total.region_code, points=total.points,
            max_points=total.max_points, percent=total.percent, rank=ranks.get(code),
            group=engine.group_for(total.percent, bands), delta=delta,
            delta_rank=engine.rank_change(ranks.get(code), previous.ranks.get(code)),
            delta_basis=previous.basis if delta is not None else "",
        ))
    rows.sort(key=lambda r: (r.rank is None, r.rank or 0, r.province_code))
    return rows


def _fmt(value: Decimal | Fraction | None) -> str:
    rounded = engine.round2(value)
    return "" if rounded is None else f"{rounded:.2f}"


def published_file(publication: Publication, name: str) -> str | None:
    """The text of a publication's frozen export file (a level, or total-intervals)."""
    return (PublishedFile.objects.filter(publication=publication, name=name)
            .values_list("content", flat=True).first())


def parse_file(text: str) -> tuple[list[str], list[list[str]]]:
    """The header and rows of a frozen CSV file."""
    header, *rows = csv.reader(io.StringIO(text.removeprefix(BOM)))
    return header, rows


def export_rows(index: Index, level: str, *, publication: Publication | None = None,
                province_codes: set[str] | None = None, frozen: bool = True
                ) -> tuple[list[str], list[list]]:
    """The header and rows of `export_scores` (spec §8), numbers as 2-decimal strings.

    For a publication, the rows of the file frozen when it was published (unless
    `frozen` is false, which computes them from its copied results). `province_codes`
    keeps only those provinces' rows (a province officer's download).
    """
    names = LEVEL_NAMES[index.kind]
    if level not in names.values():
        raise ValueError(f"level must be one of {', '.join(names.values())} for a {index.kind} "
                         "index")
    if publication is not None and frozen:
        text = published_file(publication, level)
        if text is not None:
            header, rows = parse_file(text)
            if province_codes is not None:
                rows = [r for r in rows if r[0] in province_codes]
            return header, rows
    if level == "total":
        header = EXPORT_COLUMNS[(index.kind, "total")]
        out = []
        for r in province_ranking(index, publication=publication):
            if province_codes is not None and r.province_code not in province_codes:
                continue
            rank = "" if r.rank is None else r.rank
            delta_rank = "" if r.delta_rank is None else r.delta_rank
            if index.kind == IndexKind.PAR:
                out.append([r.province_code, r.province_name, _fmt(r.points),
                            _fmt(r.max_points), _fmt(r.percent), rank, r.group, _fmt(r.delta),
                            delta_rank, r.delta_basis])
            else:
                out.append([r.province_code, r.province_name, _fmt(r.percent), rank,
                            _fmt(r.delta), delta_rank, r.delta_basis])
        return header, out
    depth = {v: k for k, v in names.items()}[level]
    header = EXPORT_COLUMNS[(index.kind, "node")]
    # Sorted here, not by the database: collations differ between PostgreSQL and SQLite.
    rows = results_of(index, publication).filter(node__level=depth)
    if province_codes is not None:
        rows = rows.filter(province__code__in=province_codes)
    results = sorted(rows.select_related("province", "node"),
                     key=lambda r: (r.province.code, r.node.code))
    out = []
    for r in results:
        if index.kind == IndexKind.PAR:
            out.append([r.province.code, r.node.code, _fmt(r.points), _fmt(r.max_points),
                        _fmt(r.percent), r.flags])
        else:
            out.append([r.province.code, r.node.code, _fmt(r.percent), r.valid_answers])
    return header, out


def node_ids(index: Index) -> dict[str, int]:
    return dict(Node.objects.filter(index=index).values_list("code", "pk"))


def results_checksum(index: Index) -> tuple[str, int]:
    """A SHA-256 of every stored result of an index (exact values, flags, answer counts),
    in province and node code order, and how many results it covers: the same inputs give
    the same checksum on any database and after any recompute (spec §7)."""
    digest = hashlib.sha256()
    rows = sorted(NodeResult.objects.filter(index=index).values_list(
        "province__code", "node__code", "points_exact", "percent_exact", "flags",
        "valid_answers"))
    for row in rows:
        digest.update(("|".join(str(v) for v in row) + "\n").encode())
    return digest.hexdigest(), len(rows)


# --- the audit log ------------------------------------------------------------------------------

AUDIT_PROVINCE_KEYS = ("province", "previous_province")


def audit_events(*, person: str = "", action: str = "", province: str = "",
                 date_from: date | None = None, date_to: date | None = None):
    """The audit events matching the filters, newest first, with their user.

    `person` is a username: the events they did, and the failed or refused log-ins
    under that name. `province` is a province code, in the event's detail (a role's
    province, before or after the change, counts too). Dates are local days, inclusive.
    """
    events = AuditEvent.objects.select_related("user")
    if person:
        events = events.filter(Q(user__username=person) | Q(user__isnull=True,
                                                            detail__username=person))
    if action:
        events = events.filter(action=action)
    if province:
        events = events.filter(Q(detail__province=province)
                               | Q(detail__previous_province=province))
    if date_from:
        events = events.filter(at__date__gte=date_from)
    if date_to:
        events = events.filter(at__date__lte=date_to)
    return events.order_by("-at", "-id")


def audit_names(details: Iterable[dict]) -> AuditNames:
    """Names of the provinces, indices and questionnaires these details mention (3 queries)."""
    index_codes: set[str] = set()
    questionnaire_codes: set[str] = set()
    province_codes: set[str] = set()
    for detail in details:
        if not isinstance(detail, dict):
            continue
        for key, codes in (("index", index_codes), ("questionnaire", questionnaire_codes)):
            if isinstance(detail.get(key), str):
                codes.add(detail[key])
        for key in AUDIT_PROVINCE_KEYS:
            if isinstance(detail.get(key), str):
                province_codes.add(detail[key])
        if isinstance(detail.get("provinces"), list):
            province_codes.update(str(code) for code in detail["provinces"])
    english = (get_language() or "vi")[:2] == "en"

    def pick(vi: str, en: str) -> str:
        return (en if english else "") or vi

    indices = list(Index.objects.filter(code__in=index_codes)
                   .values_list("code", "province_set_id", "title_vi", "title_en")
                   ) if index_codes else []
    questionnaires = list(Questionnaire.objects.filter(code__in=questionnaire_codes)
                          .values_list("code", "province_set_id", "title_vi", "title_en")
                          ) if questionnaire_codes else []
    provinces = list(Province.objects.filter(code__in=province_codes)
                     .order_by("province_set__first_year", "code")
                     .values_list("province_set_id", "code", "name_vi", "name_en")
                     ) if province_codes else []
    any_set: dict[str, list[str]] = {}
    for _set, code, vi, en in provinces:
        names = any_set.setdefault(code, [])
        if pick(vi, en) not in names:
            names.append(pick(vi, en))
    return AuditNames(
        provinces={(set_id, code): pick(vi, en) for set_id, code, vi, en in provinces},
        any_set={code: " / ".join(names) for code, names in any_set.items()},
        index_sets={code: set_id for code, set_id, _vi, _en in indices},
        questionnaire_sets={code: set_id for code, set_id, _vi, _en in questionnaires},
        indices={code: pick(vi, en) for code, _set, vi, en in indices},
        questionnaires={code: pick(vi, en) for code, _set, vi, en in questionnaires})


def audit_province_choices() -> list[tuple[str, str]]:
    """Every province code with its names in the active language, for the audit log's filter
    (a code names one province in each set that has it)."""
    english = (get_language() or "vi")[:2] == "en"
    names: dict[str, list[str]] = {}
    for code, vi, en in (Province.objects.order_by("code", "province_set__first_year")
                         .values_list("code", "name_vi", "name_en")):
        name = (en if english else "") or vi
        if name not in names.setdefault(code, []):
            names[code].append(name)
    return [(code, f"{code} · {' / '.join(found)}") for code, found in names.items()]


# --- paper forms: batch progress and keying quality ---------------------------------------------

@dataclass(frozen=True)
class BatchProgress:
    """How far a batch's forms have gone; a form is counted once it is stored."""

    pending: int = 0
    keyed_once: int = 0
    disagree: int = 0
    stored_matching: int = 0  # keyed twice alike
    stored_resolved: int = 0  # read from the paper by the supervisor

    @property
    def total(self) -> int:
        return (self.pending + self.keyed_once + self.disagree + self.stored_matching
                + self.stored_resolved)

    @property
    def stored(self) -> int:
        return self.stored_matching + self.stored_resolved

    @property
    def stored_percent(self) -> int:
        return round(100 * self.stored / self.total) if self.total else 0


def batch_progress(*, batch_ids: Iterable[int]) -> dict[int, BatchProgress]:
    """Each batch's forms by state, counted by the database (one query)."""
    from surveys.models import PaperForm

    counts: dict[int, dict[str, int]] = {}
    for batch_id, status, n, resolved in (
        PaperForm.objects.filter(batch_id__in=list(batch_ids))
        .values_list("batch_id", "status")
        .annotate(n=Count("id"), resolved=Count("resolution"))
        .values_list("batch_id", "status", "n", "resolved")
    ):
        found = counts.setdefault(batch_id, {})
        if status == PaperForm.Status.STORED:
            found["stored_resolved"] = resolved
            found["stored_matching"] = n - resolved
        else:
            found[status] = n
    return {batch_id: BatchProgress(**found) for batch_id, found in counts.items()}


def paper_batches(*, provinces: list[Province]) -> list[tuple[object, BatchProgress]]:
    """The batches of these provinces, newest first, with their progress (two queries)."""
    from surveys.models import PaperBatch

    return _with_progress(PaperBatch.objects.filter(province__in=provinces))


def paper_batches_of(*, questionnaires: Iterable[Questionnaire]
                     ) -> list[tuple[object, BatchProgress]]:
    """Every batch of these questionnaires, newest first, with their progress (two queries)."""
    from surveys.models import PaperBatch

    return _with_progress(PaperBatch.objects.filter(questionnaire__in=list(questionnaires)))


def _with_progress(batches) -> list[tuple[object, BatchProgress]]:
    batches = list(batches.select_related("questionnaire", "province")
                   .order_by("-registered_at", "-id"))
    progress = batch_progress(batch_ids=[b.pk for b in batches])
    return [(b, progress.get(b.pk, BatchProgress())) for b in batches]


@dataclass(frozen=True)
class OperatorFigures:
    """One operator's keying: forms keyed, forms per hour of keying, and how often a form
    they keyed disagreed with the other keying (of their forms keyed twice)."""

    operator: str
    province: str
    forms: int
    per_hour: Decimal | None
    double_keyed: int
    disagreed: int

    @property
    def disagreement_percent(self) -> Decimal | None:
        if not self.double_keyed:
            return None
        return (Decimal(100 * self.disagreed) / self.double_keyed).quantize(Decimal("0.1"))


def operator_figures(*, questionnaires: Iterable[Questionnaire]) -> list[OperatorFigures]:
    """Per operator, over the keyings of these questionnaires (one grouped query).

    Forms per hour divides the keyings whose start is known by the time spent on them
    (from opening the keying screen to saving).
    """
    from django.db.models import DurationField, Exists, ExpressionWrapper, F, Sum

    from surveys.models import PaperDifference, PaperForm, PaperKeying

    differs = PaperDifference.objects.filter(form_id=OuterRef("form_id"))
    twice = Q(form__status__in=[PaperForm.Status.DISAGREE, PaperForm.Status.STORED])
    rows = (PaperKeying.objects.filter(form__questionnaire__in=list(questionnaires))
            .annotate(differs=Exists(differs))
            .values("operator__username", "form__batch__province__code")
            .annotate(
                forms=Count("id"),
                timed=Count("id", filter=Q(started_at__isnull=False)),
                spent=Sum(ExpressionWrapper(F("keyed_at") - F("started_at"),
                                            output_field=DurationField()),
                          filter=Q(started_at__isnull=False)),
                double_keyed=Count("id", filter=twice),
                disagreed=Count("id", filter=twice & Q(differs=True)))
            .order_by("form__batch__province__code", "operator__username"))
    out = []
    for row in rows:
        seconds = row["spent"].total_seconds() if row["spent"] else 0
        per_hour = (Decimal(row["timed"] * 3600) / Decimal(seconds)).quantize(Decimal("0.1")) \
            if seconds > 0 else None
        out.append(OperatorFigures(row["operator__username"], row["form__batch__province__code"],
                                   row["forms"], per_hour, row["double_keyed"],
                                   row["disagreed"]))
    return out


@dataclass(frozen=True)
class QuestionDisagreement:
    questionnaire: str
    code: str
    text: str
    differing: int
    double_keyed: int

    @property
    def percent(self) -> Decimal:
        return (Decimal(100 * self.differing) / self.double_keyed).quantize(Decimal("0.1"))


def question_disagreement(*, questionnaires: Iterable[Questionnaire]
                          ) -> list[QuestionDisagreement]:
    """Per question with any difference: of the forms keyed twice, the share whose two
    keyings differed on it; most disagreed first (two grouped queries)."""
    from surveys.models import PaperDifference, PaperForm

    chosen = list(questionnaires)
    twice = dict(PaperForm.objects.filter(
        questionnaire__in=chosen,
        status__in=[PaperForm.Status.DISAGREE, PaperForm.Status.STORED])
        .values_list("questionnaire_id").annotate(n=Count("id")).values_list(
            "questionnaire_id", "n"))
    out = [QuestionDisagreement(q.questionnaire.code, q.code, q.text, n,
                                twice.get(q.questionnaire_id, 0))
           for q, n in _questions_with_counts(
               PaperDifference.objects.filter(form__questionnaire__in=chosen))]
    return sorted([d for d in out if d.double_keyed], key=lambda d: (-d.percent, d.code))


def _questions_with_counts(differences) -> list[tuple[object, int]]:
    from surveys.models import Question

    counts = dict(differences.values_list("question_id").annotate(n=Count("id"))
                  .values_list("question_id", "n"))
    questions = Question.objects.filter(pk__in=counts).select_related("questionnaire")
    return [(q, counts[q.pk]) for q in questions]


def channel_counts(*, questionnaires: Iterable[Questionnaire]) -> dict[int, dict[str, int]]:
    """Counted (not excluded) submissions per questionnaire and channel (one query)."""
    from surveys.models import Submission

    out: dict[int, dict[str, int]] = {}
    for questionnaire_id, channel, n in (
        Submission.objects.filter(questionnaire__in=list(questionnaires), excluded=False)
        .values_list("questionnaire_id", "channel").annotate(n=Count("id"))
        .values_list("questionnaire_id", "channel", "n")
    ):
        out.setdefault(questionnaire_id, {})[channel] = n
    return out

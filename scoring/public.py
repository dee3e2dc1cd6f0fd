"""Public pages of the published results (spec §10): no log-in, published numbers only.

Every number comes from the files and results frozen when a version was published,
never from the current computation; a withdrawn version is hidden, and an index never
published answers 404. Each page is a few queries, cached per published version and
language, readable without any script on a phone.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from scoring import charts
from scoring.models import LEVEL_LABELS, Index, Publication, PublishedResult
from scoring.rules import engine
from scoring.rules.vocabulary import LEVEL_NAMES, IndexKind, Level
from scoring.selectors import parse_file, public_publication, public_publications
from scoring.services.publishing import INTERVALS_FILE
from surveys.downloads import attachment
from surveys.models import Province

PAGE_CACHE_SECONDS = 600


def _publication(index: str) -> Publication:
    publication = public_publication(index)
    if publication is None:
        raise Http404
    return publication


@dataclass
class PublicRow:
    code: str
    name: str
    points: Decimal | None
    percent: Decimal | None
    rank: int | None
    group: str
    delta: Decimal | None
    delta_rank: int | None
    delta_basis: str
    ci_low: Decimal | None = None
    ci_high: Decimal | None = None


def _number(text: str) -> Decimal | None:
    return Decimal(text) if text not in ("", None) else None


def _whole(text: str) -> int | None:
    return int(text) if text not in ("", None) else None


def _rows(publication: Publication, names: dict[str, str]) -> list[PublicRow]:
    """The published ranking, from the frozen total file (with its intervals when they were
    published with it)."""
    files = dict(publication.files.filter(name__in=["total", INTERVALS_FILE])
                 .values_list("name", "content"))
    header, rows = parse_file(files.get(INTERVALS_FILE) or files["total"])
    column = {name: i for i, name in enumerate(header)}
    delta = "delta_points" if publication.index.kind == IndexKind.PAR else "delta_percent"
    out = []
    for r in rows:
        get = {name: r[i] for name, i in column.items()}.get
        out.append(PublicRow(
            code=get("province_code"), name=names.get(get("province_code"),
                                                     get("province_name")),
            points=_number(get("points", "")), percent=_number(get("percent")),
            rank=_whole(get("rank")), group=get("group", ""), delta=_number(get(delta)),
            delta_rank=_whole(get("delta_rank")), delta_basis=get("delta_basis", ""),
            ci_low=_number(get("ci_low", "")), ci_high=_number(get("ci_high", ""))))
    return out


def _mean(values: list[Decimal]) -> Decimal | None:
    if not values:
        return None
    return engine.round2(sum((Fraction(v) for v in values), Fraction(0)) / len(values))


@require_GET
def results_list(request: HttpRequest) -> HttpResponse:
    """Every index with a published version the public may see."""
    return render(request, "scoring/results_list_public.html",
                  {"publications": public_publications()})


@require_GET
def results_ranking(request: HttpRequest, index: str) -> HttpResponse:
    """The latest public version's ranking: total, rank, group, Δ with its basis, intervals."""
    publication = _publication(index)
    key = f"public-ranking:{publication.pk}:{get_language()}"
    context = cache.get(key)
    if context is None:
        context = _ranking_context(publication)
        cache.set(key, context, PAGE_CACHE_SECONDS)
    return render(request, "scoring/results_ranking_public.html", context)


def _names(index: Index) -> dict[str, str]:
    return {p.code: p.name for p in Province.objects.filter(province_set_id=index.province_set_id)}


def _ranking_context(publication: Publication) -> dict:
    index = publication.index
    rows = _rows(publication, _names(index))
    ranked = [r for r in rows if r.rank is not None]
    national = _mean([r.percent for r in ranked])
    previous_year = (Index.objects.filter(code=index.previous_code).values_list("year", flat=True)
                     .first() if index.previous_code else None)
    chart = charts.bars(
        [(f"{r.rank}. {r.name}", r.percent, national) for r in ranked],
        title=_("%(index)s: total by province, percent") % {"index": index.title},
        value_label=_("Total"), reference_label=_("National average"), row_height=22)
    return {
        "publication": publication, "index": index, "rows": rows, "national": national,
        "ranked": len(ranked), "chart": chart, "previous_year": previous_year,
        "delta_basis": next((r.delta_basis for r in rows if r.delta_basis), ""),
        "intervals": any(r.ci_low is not None for r in rows),
        "bands": index.groups, "levels": [name for _, name in
                                          sorted(LEVEL_NAMES[index.kind].items())],
    }


@dataclass
class PublicNode:
    code: str
    name: str
    points: Decimal | None
    max_points: Decimal | None
    percent: Decimal | None
    national: Decimal | None = None
    children: list[PublicNode] = field(default_factory=list)


@require_GET
def results_province(request: HttpRequest, index: str, province: str) -> HttpResponse:
    """One province's published areas/parts and criteria/elements against the nation."""
    publication = _publication(index)
    unit = Province.objects.filter(province_set_id=publication.index.province_set_id,
                                   code=province).first()
    if unit is None:
        raise Http404
    key = f"public-province:{publication.pk}:{unit.pk}:{get_language()}"
    context = cache.get(key)
    if context is None:
        context = _province_context(publication, unit)
        if context is None:
            raise Http404
        cache.set(key, context, PAGE_CACHE_SECONDS)
    return render(request, "scoring/results_province_public.html", context)


def _province_context(publication: Publication, unit: Province) -> dict | None:
    index = publication.index
    english = (get_language() or "vi")[:2] == "en"
    # The province's areas and criteria, and every province's areas for the national
    # averages: tuples from two selects each on an index (the province's; the nodes', once
    # they are known to be this index's), not the 2,900 results of the two levels with
    # their nodes as model instances.
    results = PublishedResult.objects.filter(publication=publication)
    columns = ("province_id", "node_id", "node__parent_id", "node__level", "node__code",
               "node__name_vi", "node__name_en", "node__position", "points", "max_points",
               "percent")
    rows = (results.filter(province=unit, node__level__lte=Level.SECOND).values_list(*columns)
            .union(results.filter(node__index=index, node__level__lte=Level.FIRST)
                   .exclude(province=unit)
                   .values_list(*columns), all=True))
    own: list[tuple] = []
    averages: dict[int, list[Decimal]] = defaultdict(list)
    for row in rows:
        province_id, node_id, level, percent = row[0], row[1], row[3], row[10]
        if province_id == unit.pk:
            own.append(row)
        if level <= Level.FIRST and percent is not None:
            averages[node_id].append(percent)
    if not own:
        return None
    own.sort(key=lambda r: r[7])
    nodes: dict[int, PublicNode] = {}
    root = None
    for (_province, node_id, _parent, level, code, name_vi, name_en, _position, points,
         max_points, percent) in own:
        nodes[node_id] = PublicNode(code, (name_en if english else "") or name_vi, points,
                                    max_points, percent, _mean(averages.get(node_id, [])))
        if level == Level.TOTAL:
            root = nodes[node_id]
    for _province, node_id, parent_id, *_values in own:
        if parent_id in nodes:
            nodes[parent_id].children.append(nodes[node_id])
    row = next((r for r in _rows(publication, {unit.code: unit.name}) if r.code == unit.code),
               None)
    previous_year = (Index.objects.filter(code=index.previous_code).values_list("year", flat=True)
                     .first() if index.previous_code else None)
    first_level = LEVEL_NAMES[index.kind][Level.FIRST]
    chart = charts.bars(
        [(f"{c.code}. {c.name}", c.percent, c.national) for c in root.children],
        title=_("%(province)s: %(index)s by %(level)s, percent") % {
            "province": unit.name, "index": index.title, "level": LEVEL_LABELS[first_level]},
        value_label=unit.name, reference_label=_("National average"))
    return {"publication": publication, "index": index, "province": unit, "root": root,
            "row": row, "chart": chart, "previous_year": previous_year,
            "first_level": first_level}


@require_GET
def results_download(request: HttpRequest, index: str, level: str) -> HttpResponse:
    """A level's file of the latest public version: byte for byte `export_scores --version`."""
    publication = _publication(index)
    if level not in LEVEL_NAMES[publication.index.kind].values():
        raise Http404
    content = publication.files.filter(name=level).values_list("content", flat=True).first()
    if content is None:
        raise Http404
    response = attachment(content.encode("utf-8"),
                          f"{publication.index.code}-{level}-v{publication.version}.csv")
    response["Cache-Control"] = "public, max-age=60"  # a withdrawal shows within a minute
    return response

"""Loading index definitions into the database."""

from __future__ import annotations

from django.db import transaction
from django.db.models import ProtectedError

from scoring.definitions import IndexSpec, QuestionInfo, parse_index
from scoring.models import Index, Node, Source
from scoring.rules.vocabulary import ROOT, Level
from surveys.definitions import DefinitionInvalid, Problem
from surveys.models import CrosswalkLink, Question, ScaleOption
from surveys.selectors import province_set_for_year
from surveys.services import LoadOutcome, checksum_of


def question_catalogue() -> dict[str, dict[str, QuestionInfo]]:
    """Every loaded question with its type and substantive values, by questionnaire code."""
    values: dict[int, list[int]] = {}
    for scale_id, value in (
        ScaleOption.objects.filter(substantive=True)
        .order_by("scale_id", "position")
        .values_list("scale_id", "value")
    ):
        values.setdefault(scale_id, []).append(value)
    out: dict[str, dict[str, QuestionInfo]] = {}
    for qn, code, qtype, scale_id in Question.objects.values_list(
        "questionnaire__code", "code", "type", "scale_id"
    ):
        out.setdefault(qn, {})[code] = QuestionInfo(qtype, tuple(values.get(scale_id, ())))
    return out


def load_index(*, text: str) -> LoadOutcome:
    """Validate and store an index definition; stored results of a changed index are dropped.

    Raises DefinitionInvalid listing every problem; nothing is written then.
    """
    spec = parse_index(text, question_catalogue())
    checksum = checksum_of(spec.raw)
    pset = province_set_for_year(spec.year)
    if pset is None:
        raise DefinitionInvalid([Problem("year", f"no set of provinces is loaded for {spec.year}")])
    previous = Index.objects.filter(code=spec.previous).select_related("province_set").first() \
        if spec.previous else None
    if previous is not None and previous.province_set_id != pset.pk and not \
            CrosswalkLink.objects.filter(source__province_set=previous.province_set,
                                         target_set=pset).exists():
        raise DefinitionInvalid([Problem(
            "previous", f"{spec.previous} ranks the provinces of {previous.province_set.code} "
                        f"and {spec.code} the units of {pset.code}, and no crosswalk joins "
                        f"them; load one first (manage.py load_crosswalk)")])
    existing = Index.objects.filter(code=spec.code).first()
    if existing is not None and existing.checksum == checksum:
        return LoadOutcome(spec.code, "unchanged")
    if existing is not None and existing.kind != spec.kind:
        raise DefinitionInvalid([Problem(
            "kind", f"index {spec.code} is already loaded as {existing.kind}")])
    with transaction.atomic():
        index, created = Index.objects.update_or_create(
            code=spec.code,
            defaults={
                "kind": spec.kind, "year": spec.year, "previous_code": spec.previous,
                "title_vi": spec.title_vi, "title_en": spec.title_en,
                "total_points": spec.total_points,
                "groups": [{"code": g.code, "min_percent": str(g.min_percent)}
                           for g in spec.groups],
                "province_set": pset, "definition": spec.raw, "checksum": checksum,
            },
        )
        _store_tree(index, spec)
        index.results.all().delete()
    return LoadOutcome(spec.code, "created" if created else "updated")


def _store_tree(index: Index, spec: IndexSpec) -> None:
    questions = {
        (qn, code): pk
        for pk, qn, code in Question.objects.values_list("pk", "questionnaire__code", "code")
    }
    root, _ = Node.objects.update_or_create(
        index=index, code=ROOT,
        defaults={"parent": None, "level": Level.TOTAL, "name_vi": spec.title_vi,
                  "name_en": spec.title_en, "max_points": spec.total_points, "position": 0},
    )
    nodes = {ROOT: root}
    for position, n in enumerate(spec.nodes, start=1):
        node, _ = Node.objects.update_or_create(
            index=index, code=n.code,
            defaults={
                "parent": nodes[n.parent], "level": n.level, "name_vi": n.name_vi,
                "name_en": n.name_en, "max_points": n.max_points, "method": n.method,
                "rule": n.rule, "threshold": n.threshold,
                "fractions": {str(k): str(v) for k, v in n.fractions},
                "position": position,
            },
        )
        nodes[n.code] = node
        node.sources.all().delete()
        Source.objects.bulk_create(
            Source(node=node, question_id=questions[(s.questionnaire, s.question)],
                   weight=s.weight)
            for s in n.sources
        )
    try:
        index.nodes.exclude(code__in=list(nodes)).delete()
    except ProtectedError as exc:
        raise DefinitionInvalid([Problem(
            "", "a removed component still has self-assessed or appraised scores")]) from exc

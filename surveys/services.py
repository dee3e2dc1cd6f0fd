"""Write services of the surveys app: loading questionnaires."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from django.db import transaction
from django.db.models import ProtectedError

from surveys.definitions import DefinitionInvalid, Problem, QuestionnaireSpec, parse_questionnaire
from surveys.models import (
    Province,
    ProvinceSet,
    Question,
    Questionnaire,
    Scale,
    ScaleOption,
    Section,
)


@dataclass(frozen=True)
class LoadOutcome:
    code: str
    status: str  # created | updated | unchanged


def checksum_of(raw: dict) -> str:
    """A stable fingerprint of a parsed definition file."""
    canonical = json.dumps(raw, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def province_set_for_year(year: int) -> ProvinceSet | None:
    """The set of provinces in force for a given year."""
    for pset in ProvinceSet.objects.filter(first_year__lte=year).order_by("-first_year"):
        if pset.last_year is None or pset.last_year >= year:
            return pset
    return None


def load_questionnaire(*, text: str) -> LoadOutcome:
    """Validate and store a questionnaire file; refuse to change one that has submissions.

    Raises DefinitionInvalid listing every problem; nothing is written then.
    """
    spec = parse_questionnaire(text)
    checksum = checksum_of(spec.raw)
    pset = province_set_for_year(spec.year)
    if pset is None:
        raise DefinitionInvalid([Problem("year", f"no set of provinces is loaded for {spec.year}")])
    existing = Questionnaire.objects.filter(code=spec.code).first()
    if existing is not None and existing.checksum == checksum:
        return LoadOutcome(spec.code, "unchanged")
    if existing is not None:
        count = existing.submissions.count()
        if count:
            raise DefinitionInvalid([Problem(
                "code",
                f"questionnaire {spec.code} has {count} submissions and is frozen; "
                "load the changed file under a new code",
            )])
    with transaction.atomic():
        questionnaire, created = Questionnaire.objects.update_or_create(
            code=spec.code,
            defaults={
                "year": spec.year, "audience": spec.audience,
                "respondent_group": spec.respondent_group, "title_vi": spec.title_vi,
                "title_en": spec.title_en, "province_set": pset, "definition": spec.raw,
                "checksum": checksum,
            },
        )
        _store_structure(questionnaire, spec)
    return LoadOutcome(spec.code, "created" if created else "updated")


def _store_structure(questionnaire: Questionnaire, spec: QuestionnaireSpec) -> None:
    scales: dict[str, Scale] = {}
    for code, sspec in spec.scales.items():
        scale, _ = Scale.objects.get_or_create(questionnaire=questionnaire, code=code)
        scale.options.all().delete()
        ScaleOption.objects.bulk_create(
            ScaleOption(scale=scale, value=o.value, label_vi=o.label_vi, label_en=o.label_en,
                        substantive=o.substantive, position=i)
            for i, o in enumerate(sspec.options)
        )
        scales[code] = scale
    sections: dict[str, Section] = {}
    for i, sec in enumerate(spec.sections):
        sections[sec.code], _ = Section.objects.update_or_create(
            questionnaire=questionnaire, code=sec.code,
            defaults={"title_vi": sec.title_vi, "title_en": sec.title_en, "position": i},
        )
    for i, q in enumerate(spec.questions):
        Question.objects.update_or_create(
            questionnaire=questionnaire, code=q.code,
            defaults={
                "section": sections[q.section], "text_vi": q.text_vi, "text_en": q.text_en,
                "type": q.type, "scale": scales.get(q.scale) if q.scale else None,
                "required": q.required, "show_if_question": q.show_if_question or "",
                "show_if_values": list(q.show_if_values), "min_value": q.min_value,
                "max_value": q.max_value, "max_length": q.max_length, "position": i,
            },
        )
    codes = [q.code for q in spec.questions]
    try:
        questionnaire.questions.exclude(code__in=codes).delete()
    except ProtectedError as exc:
        used = sorted({str(obj) for obj in exc.protected_objects})
        raise DefinitionInvalid([Problem(
            "sections", f"a removed question is still a source of an index ({', '.join(used)})"
        )]) from exc
    questionnaire.sections.exclude(code__in=list(sections)).delete()
    questionnaire.scales.exclude(code__in=list(scales)).delete()


def provinces_by_code(province_set: ProvinceSet) -> dict[str, Province]:
    """The provinces of a set, by their code."""
    return {p.code: p for p in province_set.provinces.all()}

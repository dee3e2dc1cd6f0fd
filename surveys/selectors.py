"""Read selectors of the surveys app."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Prefetch

from surveys.models import (
    Province,
    ProvinceSet,
    Question,
    Questionnaire,
    ScaleOption,
    Section,
)
from surveys.validation import QuestionRule, Schema

_schemas: dict[tuple[int, str], Schema] = {}


def questionnaire_schema(questionnaire: Questionnaire) -> Schema:
    """The validation schema of a questionnaire (cached per loaded version)."""
    cache_key = (questionnaire.pk, questionnaire.checksum)
    schema = _schemas.get(cache_key)
    if schema is not None:
        return schema
    rules = []
    for q in questionnaire.questions.select_related("scale").prefetch_related("scale__options"):
        options = list(q.scale.options.all()) if q.scale else []
        rules.append(QuestionRule(
            code=q.code, type=q.type, required=q.required,
            values=frozenset(o.value for o in options),
            substantive=tuple(o.value for o in options if o.substantive),
            show_if=q.show_if_question, show_values=frozenset(q.show_if_values),
            min_value=q.min_value, max_value=q.max_value, max_length=q.max_length,
        ))
    schema = Schema(code=questionnaire.code, questions=tuple(rules))
    _schemas[cache_key] = schema
    return schema


@dataclass(frozen=True)
class Page:
    """One section of a questionnaire as a page of the web form: its questions in order,
    each with its scale and the scale's options loaded.

    `blank_html` keeps the HTML of the page's questions shown blank, by language and
    questions shown (`surveys.forms.SectionForm.questions_html`): a page lives as long
    as its questionnaire's loaded version, and so does what is kept on it.
    """

    section: Section
    questions: tuple[Question, ...]
    blank_html: dict[tuple[str, tuple[str, ...]], str] = field(
        default_factory=dict, compare=False, repr=False)


_pages: dict[tuple[int, str], tuple[Page, ...]] = {}


def questionnaire_pages(questionnaire: Questionnaire) -> tuple[Page, ...]:
    """The sections of a questionnaire with their questions, in order (cached per loaded
    version, like the schema: three queries the first time, none after).

    The instances are shared by every request of the process: read them, never change them.
    A questionnaire's sections and questions change only when its file is loaded again,
    which gives it a new checksum.
    """
    cache_key = (questionnaire.pk, questionnaire.checksum)
    pages = _pages.get(cache_key)
    if pages is None:
        sections = Section.objects.filter(questionnaire=questionnaire).order_by(
            "position").prefetch_related(Prefetch(
                "questions", queryset=Question.objects.select_related("scale").prefetch_related(
                    Prefetch("scale__options", queryset=ScaleOption.objects.order_by("position")))
                .order_by("position")))
        pages = tuple(Page(section, tuple(section.questions.all())) for section in sections)
        _pages[cache_key] = pages
    return pages


_question_ids: dict[tuple[int, str], dict[str, int]] = {}


def question_ids(questionnaire: Questionnaire) -> dict[str, int]:
    """Question code -> id of a questionnaire (cached per loaded version, like the schema)."""
    cache_key = (questionnaire.pk, questionnaire.checksum)
    found = _question_ids.get(cache_key)
    if found is None:
        found = dict(questionnaire.questions.values_list("code", "pk"))
        _question_ids[cache_key] = found
    return found



def submission_answers(submission_ids: list[int]) -> dict[int, list[tuple[str, str, str]]]:
    """Each submission's answers for a reviewer to read: (question code, question text,
    answer as words), in question order. Two queries, whatever the number of submissions."""
    from surveys.models import Answer, ScaleOption

    rows = list(Answer.objects.filter(submission_id__in=submission_ids)
                .select_related("question").order_by("submission_id", "question__position",
                                                     "option_value"))
    scales = {a.question.scale_id for a in rows if a.question.scale_id}
    labels = {(o.scale_id, o.value): o.label
              for o in ScaleOption.objects.filter(scale_id__in=scales)}
    out: dict[int, list[tuple[str, str, str]]] = {}
    for a in rows:
        if a.option_value is not None:
            words = f"{a.option_value} · {labels.get((a.question.scale_id, a.option_value), '')}"
        elif a.number_value is not None:
            words = format(a.number_value.normalize(), "f")
        else:
            words = a.text_value
        answers = out.setdefault(a.submission_id, [])
        if answers and answers[-1][0] == a.question.code:  # another option of a multi-choice
            answers[-1] = (a.question.code, a.question.text, f"{answers[-1][2]}; {words}")
        else:
            answers.append((a.question.code, a.question.text, words))
    return out


def keying_questions(questionnaire: Questionnaire) -> list[dict]:
    """Every question of a questionnaire as the paper keying screen shows it, in order: its
    section, text, options ("1 Nam · 2 Nữ") and skip rule (two queries)."""
    from surveys.models import ScaleOption

    questions = list(questionnaire.questions.select_related("section").order_by("position"))
    options: dict[int, list[ScaleOption]] = {}
    for option in ScaleOption.objects.filter(scale__questionnaire=questionnaire).order_by(
            "scale_id", "position"):
        options.setdefault(option.scale_id, []).append(option)
    rows = []
    for q in questions:
        choices = options.get(q.scale_id, []) if q.scale_id else []
        rows.append({
            "code": q.code, "text": q.text, "type": q.type, "required": q.required,
            "section": q.section.title, "values": [o.value for o in choices],
            "options": [(o.value, o.label) for o in choices],
            "show_if": q.show_if_question, "show_values": list(q.show_if_values),
            "min": q.min_value, "max": q.max_value,
        })
    return rows
def assigned_questionnaires(*, province, now) -> list[Questionnaire]:
    """The citizen questionnaires an enumerator in `province` may collect now: open ones of
    the province's set (officials answer by invitation, never through an enumerator)."""
    from django.db.models import Q

    return list(Questionnaire.objects.filter(
        audience="citizen", is_open=True, province_set_id=province.province_set_id)
        .filter(Q(closes_at__isnull=True) | Q(closes_at__gt=now)).order_by("-year", "code"))


def _both(item, stem: str) -> dict[str, str]:
    return {"vi": getattr(item, f"{stem}_vi"), "en": getattr(item, f"{stem}_en")}


def _number(value) -> str | None:
    return None if value is None else format(value.normalize(), "f")


def questionnaire_document(questionnaire: Questionnaire) -> dict:
    """A questionnaire as the offline app reads it: its version (the checksum of the loaded
    file), texts in both languages, and every rule `surveys.validation` applies. Three
    queries: sections, questions with their scales, options."""
    from django.db.models import Prefetch

    from surveys.models import Question, ScaleOption, Section

    sections = Section.objects.filter(questionnaire=questionnaire).order_by(
        "position").prefetch_related(Prefetch(
            "questions", queryset=Question.objects.select_related("scale").prefetch_related(
                Prefetch("scale__options", queryset=ScaleOption.objects.order_by("position")))
            .order_by("position")))
    return {
        "code": questionnaire.code,
        "version": questionnaire.checksum,
        "year": questionnaire.year,
        "title": _both(questionnaire, "title"),
        "closes_at": questionnaire.closes_at.isoformat() if questionnaire.closes_at else None,
        "sections": [{
            "code": section.code,
            "title": _both(section, "title"),
            "questions": [{
                "code": q.code,
                "type": q.type,
                "required": q.required,
                "text": _both(q, "text"),
                "options": [{"value": o.value, "label": _both(o, "label"),
                             "substantive": o.substantive}
                            for o in (q.scale.options.all() if q.scale else [])],
                "show_if": ({"question": q.show_if_question, "values": list(q.show_if_values)}
                            if q.show_if_question else None),
                "min": _number(q.min_value),
                "max": _number(q.max_value),
                "max_length": q.max_length,
            } for q in section.questions.all()],
        } for section in sections],
    }


def province_set_for_year(year: int) -> ProvinceSet | None:
    """The set of provinces in force for a given year."""
    for pset in ProvinceSet.objects.filter(first_year__lte=year).order_by("-first_year"):
        if pset.last_year is None or pset.last_year >= year:
            return pset
    return None


def provinces_by_code(province_set: ProvinceSet) -> dict[str, Province]:
    """The provinces of a set, by their code."""
    return {p.code: p for p in province_set.provinces.all()}

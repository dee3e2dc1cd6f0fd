"""Write services of the surveys app: loading questionnaires, recording submissions."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from surveys.definitions import DefinitionInvalid, Problem, QuestionnaireSpec, parse_questionnaire
from surveys.fingerprint import AnswerValue, submission_fingerprint
from surveys.models import (
    Answer,
    CrosswalkLink,
    Province,
    ProvinceSet,
    Question,
    Questionnaire,
    Scale,
    ScaleOption,
    Section,
    Submission,
)
from surveys.selectors import province_set_for_year, question_ids
from surveys.tokens import new_receipt


@dataclass(frozen=True)
class LoadOutcome:
    code: str
    status: str  # created | updated | unchanged


def checksum_of(raw: dict) -> str:
    """A stable fingerprint of a parsed definition file."""
    canonical = json.dumps(raw, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()




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
                "checksum": checksum, "sampling_units": spec.sampling_units,
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




# --- submissions ----------------------------------------------------------------------------

FOLD_TASK = "scoring.fold_submissions"
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class NewSubmission:
    """A cleaned submission ready to be stored."""

    key: str
    province: Province
    submitted_at: datetime | None
    answers: dict[str, AnswerValue]
    duration_seconds: int | None = None
    psu: str = ""  # primary sampling unit and stratum (surveys.models.Submission)
    stratum: str = ""

    def fingerprint(self, questionnaire_code: str) -> str:
        return submission_fingerprint(questionnaire_code, self.province.code, self.answers)


class SubmissionConflict(Exception):
    """A submission id was already used for other answers."""

    def __init__(self, keys: list[str]):
        self.keys = keys
        super().__init__(f"already recorded with other answers: {', '.join(keys)}")


@dataclass(frozen=True)
class Recorded:
    created: list[int]  # new submission ids
    existing: dict[str, int]  # identical resends: key -> stored id
    receipts: dict[str, str] = field(default_factory=dict)  # new submissions: key -> receipt


def record_submissions(
    *, questionnaire: Questionnaire, submissions: list[NewSubmission], channel: str
) -> Recorded:
    """Store cleaned submissions in one transaction; identical resends are no-ops.

    Raises SubmissionConflict (and stores nothing) when a key is already used
    for other answers. After commit the new submissions are handed to the
    scoring worker; if the broker is down they wait for the sweep.
    """
    if not submissions:
        return Recorded([], {})
    questions = question_ids(questionnaire)
    prints = {s.key: s.fingerprint(questionnaire.code) for s in submissions}
    try:
        return _record(questionnaire, submissions, channel, questions, prints)
    except IntegrityError:
        # A concurrent request stored one of these keys first: compare against it.
        return _record(questionnaire, submissions, channel, questions, prints)


def _record(
    questionnaire: Questionnaire, submissions: list[NewSubmission], channel: str,
    questions: dict[str, int], prints: dict[str, str],
) -> Recorded:
    with transaction.atomic():
        stored = dict(
            Submission.objects.filter(key__in=list(prints)).values_list("key", "content_hash"))
        ids = dict(Submission.objects.filter(key__in=list(stored)).values_list("key", "pk"))
        conflicts = sorted(k for k, h in stored.items() if h != prints[k])
        if conflicts:
            raise SubmissionConflict(conflicts)
        fresh = [s for s in submissions if s.key not in stored]
        objs = Submission.objects.bulk_create([
            Submission(key=s.key, questionnaire=questionnaire, province=s.province,
                       channel=channel, submitted_at=s.submitted_at,
                       content_hash=prints[s.key], receipt=new_receipt(),
                       duration_seconds=s.duration_seconds, psu=s.psu, stratum=s.stratum)
            for s in fresh
        ])
        rows = []
        for obj, s in zip(objs, fresh, strict=True):
            for code, value in s.answers.items():
                rows.extend(_answer_rows(obj.pk, questions[code], value))
        Answer.objects.bulk_create(rows, batch_size=5000)
        created = [obj.pk for obj in objs]
        if created:
            transaction.on_commit(lambda: enqueue_fold(created))
    return Recorded(created, {k: ids[k] for k in stored},
                    {obj.key: obj.receipt for obj in objs})


def _answer_rows(submission_id: int, question_id: int, value: AnswerValue) -> list[Answer]:
    if isinstance(value, tuple):
        return [Answer(submission_id=submission_id, question_id=question_id, option_value=v)
                for v in value]
    if isinstance(value, bool):
        raise TypeError("booleans are not answers")
    if isinstance(value, int):
        return [Answer(submission_id=submission_id, question_id=question_id, option_value=value)]
    if isinstance(value, Decimal):
        return [Answer(submission_id=submission_id, question_id=question_id, number_value=value)]
    return [Answer(submission_id=submission_id, question_id=question_id, text_value=value)]


FOLD_BATCH = 500


def enqueue_fold(submission_ids: list[int]) -> None:
    """Hand new submissions to the scoring worker; on failure the periodic sweep counts them."""
    from config.celery import app  # the configured app, in any thread

    task = app.tasks[FOLD_TASK]
    for start in range(0, len(submission_ids), FOLD_BATCH):
        batch = submission_ids[start:start + FOLD_BATCH]
        try:
            task.delay(batch)
        except Exception:  # broker down, or an in-process fold failed: the sweep recovers
            logger.warning("could not enqueue %s submissions; the sweep will count them",
                           len(batch), exc_info=True)


def earlier_province_note(province_set: ProvinceSet, code: str) -> str | None:
    """Why a code is not a unit of a set when it is the code of an earlier set's province
    (e.g. a 2024 province in a 2025 file), naming the unit it became; None otherwise."""
    earlier = (Province.objects.filter(code=code).exclude(province_set=province_set)
               .select_related("province_set").order_by("-province_set__first_year").first())
    if earlier is None:
        return None
    successor = (CrosswalkLink.objects.filter(source=earlier, target_set=province_set)
                 .select_related("target").first())
    joined = f"; it became {successor.target.code} {successor.target.name_vi}" \
        if successor else ""
    return (f"{code} is a province of {earlier.province_set.code} ({earlier.name_vi}), not a "
            f"unit of {province_set.code}{joined}")

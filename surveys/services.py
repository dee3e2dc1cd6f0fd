"""Write services of the surveys app: loading questionnaires, recording submissions."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError
from django.utils import timezone
from redis import Redis, RedisError

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
    # key -> receipt, of the new submissions and of the identical resends
    receipts: dict[str, str] = field(default_factory=dict)


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
    """Insert first, then look at the keys the unique constraint turned away.

    A key already stored is skipped by the insert (`ON CONFLICT (key) DO NOTHING`), so
    an identical resend costs no look-up before it and a race between two copies of
    one submission is decided by the constraint. On PostgreSQL one submission is one
    statement (the submission and its answers, atomic on its own); several, or SQLite,
    go in one transaction so that a conflict stores none of them.
    """
    single = len(submissions) == 1 and connection.vendor == "postgresql"
    with nullcontext() if single else transaction.atomic():
        new = _insert(questionnaire, submissions, channel, questions, prints)
        skipped = [s.key for s in submissions if s.key not in new]
        stored = {key: (pk, content_hash, receipt) for key, pk, content_hash, receipt in (
            Submission.objects.filter(key__in=skipped)
            .values_list("key", "pk", "content_hash", "receipt"))} if skipped else {}
        conflicts = sorted(k for k, (_, h, _) in stored.items() if h != prints[k])
        if conflicts:
            raise SubmissionConflict(conflicts)  # the transaction stores none of them
        created = [pk for pk, _ in new.values()]
        if created:
            transaction.on_commit(lambda: enqueue_fold(created))
    receipts = {key: receipt for key, (_, receipt) in new.items()}
    receipts.update((key, receipt) for key, (_, _, receipt) in stored.items())
    return Recorded(created, {key: pk for key, (pk, _, _) in stored.items()}, receipts)


_SUBMISSION_COLUMNS = ("key", "questionnaire_id", "province_id", "channel", "submitted_at",
                       "received_at", "content_hash", "receipt", "excluded",
                       "duration_seconds", "psu", "stratum")
_ANSWER_COLUMNS = ("submission_id", "question_id", "option_value", "number_value",
                   "text_value")
# PostgreSQL's types of the columns above, for the records read back from JSON.
_SUBMISSION_TYPES = ("varchar", "bigint", "bigint", "varchar", "timestamptz", "timestamptz",
                     "varchar", "varchar", "boolean", "integer", "varchar", "varchar")
_ANSWER_TYPES = ("varchar", "bigint", "integer", "numeric", "text")  # by key, not by id


def _insert(
    questionnaire: Questionnaire, submissions: list[NewSubmission], channel: str,
    questions: dict[str, int], prints: dict[str, str],
) -> dict[str, tuple[int, str]]:
    """Insert the submissions whose key is new, with their answers: key -> (id, receipt).

    Plain rows, not model instances: a submission of 40 answers is the hot path of
    intake. Keys already stored are left alone (the caller compares them).
    """
    received = timezone.now()
    rows = [(s.key, questionnaire.pk, s.province.pk, channel, s.submitted_at, received,
             prints[s.key], new_receipt(), False, s.duration_seconds, s.psu, s.stratum)
            for s in submissions]
    answers = [(s.key, *row) for s in submissions for code, value in s.answers.items()
               for row in _answer_values(questions[code], value)]
    if connection.vendor == "postgresql":
        return _insert_postgresql(rows, answers)
    return _insert_portable(rows, answers)


def _insert_postgresql(rows: list[tuple], answers: list[tuple]) -> dict[str, tuple[int, str]]:
    """One statement: the submissions, then the answers of those inserted, joined by key.

    The rows travel as two JSON documents that PostgreSQL turns back into records: a
    tenth of the time psycopg takes to write a dozen typed arrays.
    """
    sub_cols = ", ".join(_SUBMISSION_COLUMNS)
    sub_record = ", ".join(f"{c} {t}" for c, t in zip(_SUBMISSION_COLUMNS, _SUBMISSION_TYPES,
                                                       strict=True))
    answer_columns = ("key", *_ANSWER_COLUMNS[1:])
    answer_record = ", ".join(f"{c} {t}" for c, t in zip(answer_columns, _ANSWER_TYPES,
                                                          strict=True))
    sql = f"""
        WITH s AS (
            INSERT INTO surveys_submission ({sub_cols})
            SELECT {sub_cols} FROM json_to_recordset(%s) AS x({sub_record})
            ON CONFLICT (key) DO NOTHING
            RETURNING id, key, receipt
        ), a AS (
            INSERT INTO surveys_answer ({", ".join(_ANSWER_COLUMNS)})
            SELECT s.id, a.question_id, a.option_value, a.number_value, a.text_value
            FROM s JOIN ROWS FROM (json_to_recordset(%s) AS ({answer_record}))
                WITH ORDINALITY AS a({", ".join(answer_columns)}, n) ON a.key = s.key
            ORDER BY a.n  -- stored in the order given, as the export lists them
        )
        SELECT id, key, receipt FROM s
    """  # noqa: S608 - the names are this module's constants; every value is a parameter
    params = [json.dumps([dict(zip(_SUBMISSION_COLUMNS, row, strict=True)) for row in rows],
                         default=str),
              json.dumps([dict(zip(answer_columns, row, strict=True)) for row in answers],
                         default=str)]  # datetimes in ISO form, decimals as their digits
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {key: (pk, receipt) for pk, key, receipt in cursor.fetchall()}


def _insert_portable(rows: list[tuple], answers: list[tuple]) -> dict[str, tuple[int, str]]:
    """The same on SQLite (the embedded default), in the caller's transaction."""
    holders = ", ".join(["%s"] * len(_SUBMISSION_COLUMNS))
    new: dict[str, tuple[int, str]] = {}
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        for row in rows:
            row = (*row[:4], adapt(row[4]), adapt(row[5]), *row[6:])
            cursor.execute(
                f"INSERT INTO surveys_submission ({', '.join(_SUBMISSION_COLUMNS)}) "  # noqa: S608
                f"VALUES ({holders}) ON CONFLICT (key) DO NOTHING RETURNING id, key, receipt",
                row)
            for pk, key, receipt in cursor.fetchall():
                new[key] = (pk, receipt)
    Answer.objects.bulk_create(
        [Answer(submission_id=new[key][0], question_id=question, option_value=option,
                number_value=number, text_value=text)
         for key, question, option, number, text in answers if key in new],
        batch_size=5000)
    return new


def _answer_values(question_id: int, value: AnswerValue) -> list[tuple]:
    """The answer rows of one answer: (question, option, number, text); a multiple choice
    is one row per chosen option."""
    if isinstance(value, tuple):
        return [(question_id, v, None, "") for v in value]
    if isinstance(value, bool):
        raise TypeError("booleans are not answers")
    if isinstance(value, int):
        return [(question_id, value, None, "")]
    if isinstance(value, Decimal):
        return [(question_id, None, value, "")]
    return [(question_id, None, None, value)]


FOLD_BATCH = 500
# While this key is in the broker's Redis, a fold task is queued and has not started yet;
# it folds whatever is waiting when it starts, so submissions committed meanwhile need no
# task of their own. The task deletes the key as it starts; the expiry covers a lost task.
FOLD_QUEUED_KEY = "parindex:fold-queued"
FOLD_QUEUED_SECONDS = 10


def enqueue_fold(submission_ids: list[int]) -> None:
    """Hand new submissions to the scoring worker; on failure the periodic sweep counts them.

    Under steady intake most submissions find a fold already queued (FOLD_QUEUED_KEY) and
    send nothing: one message to the broker per fold instead of one per submission.
    """
    from config.celery import app  # the configured app, in any thread

    if not _first_to_queue():
        return
    task = app.tasks[FOLD_TASK]
    for start in range(0, len(submission_ids), FOLD_BATCH):
        batch = submission_ids[start:start + FOLD_BATCH]
        try:
            task.delay(batch)
        except Exception:  # broker down, or an in-process fold failed: the sweep recovers
            logger.warning("could not enqueue %s submissions; the sweep will count them",
                           len(batch), exc_info=True)
            _forget_queued()


def _first_to_queue() -> bool:
    """Mark a fold as queued; False when one already is (its task will take these too).

    True when there is no shared Redis to ask (tasks run in-process, another broker) or it
    cannot be reached: then every commit queues its own fold, as before.
    """
    client = _broker_redis()
    if client is None:
        return True
    try:
        return bool(client.set(FOLD_QUEUED_KEY, "1", nx=True, ex=FOLD_QUEUED_SECONDS))
    except RedisError:  # Redis down: queue anyway, and the failure to queue is what is logged
        return True


def _forget_queued() -> None:
    """No fold was queued after all: the next commit tries again."""
    client = _broker_redis()
    if client is None:
        return
    with contextlib.suppress(RedisError):  # down: the mark expires by itself
        client.delete(FOLD_QUEUED_KEY)


def fold_started() -> None:
    """Called by the fold task before it looks for waiting submissions: the next commit
    queues a fold of its own."""
    client = _broker_redis()
    if client is None:
        return
    try:
        client.delete(FOLD_QUEUED_KEY)
    except RedisError:  # the mark expires by itself within FOLD_QUEUED_SECONDS
        logger.warning("could not clear the queued-fold mark", exc_info=True)


_redis_clients: dict[str, Redis] = {}


def _broker_redis() -> Redis | None:
    """A Redis client on the database the fold tasks are sent to, or None when that is not
    Redis (tasks in-process, another broker)."""
    from config.celery import app

    if app.conf.task_always_eager:
        return None
    url = app.conf.broker_write_url or app.conf.broker_url or ""
    if not url.startswith(("redis://", "rediss://")):
        return None
    client = _redis_clients.get(url)
    if client is None:
        client = Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        _redis_clients[url] = client
    return client


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

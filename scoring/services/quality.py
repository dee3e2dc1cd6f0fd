"""Finding doubtful submissions, and excluding or restoring one (rules in scoring.rules.quality).

The database does the finding: each rule is one statement over a questionnaire's
submissions and answers. Flags are found afresh each time (the old ones of the
questionnaire are replaced), so running the check twice gives the same flags.
"""

from __future__ import annotations

from django.db import connection, transaction
from django.utils import timezone

from scoring.models import AnswerTally, AuditEvent, QualityFlag
from scoring.rules import quality
from scoring.services import outbox
from scoring.services.audit import record_event
from scoring.services.tallies import adjust_tallies, lock_tallies
from surveys.models import Answer, Question, Questionnaire, ScaleOption, Submission


def median_duration(questionnaire: Questionnaire) -> int | None:
    """The median completion time of the submissions that recorded one (the lower middle)."""
    timed = Submission.objects.filter(questionnaire=questionnaire,
                                      duration_seconds__isnull=False)
    n = timed.count()
    if not n:
        return None
    return timed.order_by("duration_seconds").values_list(
        "duration_seconds", flat=True)[(n - 1) // 2]


def _flag_speeders(questionnaire: Questionnaire, now) -> int:
    middle = median_duration(questionnaire)
    if not middle:
        return 0
    limit = quality.SPEEDER_SHARE * middle
    rows = Submission.objects.filter(questionnaire=questionnaire,
                                     duration_seconds__lt=limit).values_list(
        "pk", "duration_seconds")
    return _store(quality.SPEEDER, [
        (pk, f"{seconds} s; median {middle} s", {"seconds": seconds, "median": middle})
        for pk, seconds in rows], now)


def _flag_straight_liners(questionnaire: Questionnaire, now) -> int:
    """The rule of quality.straight_run/is_straight_liner, in one statement: the
    non-substantive answers are left out before the runs are counted (gaps and islands).
    An anti-join on the few non-substantive options, not a join on every option: on
    PostgreSQL the join made the statement four times slower."""
    answer, question, submission, option = (Answer._meta.db_table, Question._meta.db_table,
                                            Submission._meta.db_table,
                                            ScaleOption._meta.db_table)
    sql = f"""
        SELECT sid, MAX(run) AS longest, SUM(run) AS answered FROM (
            SELECT sid, value, grp, COUNT(*) AS run FROM (
                SELECT a.submission_id AS sid, a.option_value AS value,
                       ROW_NUMBER() OVER (PARTITION BY a.submission_id ORDER BY q.position)
                       - ROW_NUMBER() OVER (PARTITION BY a.submission_id, a.option_value
                                            ORDER BY q.position) AS grp
                FROM {answer} a
                JOIN {question} q ON q.id = a.question_id
                JOIN {submission} s ON s.id = a.submission_id
                WHERE s.questionnaire_id = %s AND q.type = 'scale'
                  AND a.option_value IS NOT NULL
                  AND NOT EXISTS (SELECT 1 FROM {option} o WHERE o.scale_id = q.scale_id
                                  AND o.value = a.option_value AND NOT o.substantive)
            ) AS ordered GROUP BY sid, value, grp
        ) AS runs
        GROUP BY sid
        HAVING MAX(run) >= %s AND MAX(run) >= %s * SUM(run)
    """  # noqa: S608 - table names come from models, values are parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, [questionnaire.pk, quality.STRAIGHT_MIN_RUN,
                             quality.STRAIGHT_MIN_SHARE])
        rows = cursor.fetchall()
    return _store(quality.STRAIGHT_LINER, [
        (sid, f"same answer to {longest} of {answered} scale questions in a row",
         {"run": int(longest), "answered": int(answered)})  # PostgreSQL sums are numeric
        for sid, longest, answered in rows], now)


SEPARATOR = "\x1f"  # between the answers of one submission's signature


def signatures(questionnaire: Questionnaire) -> list[quality.Response]:
    """Each submitted submission's answers as one row: the database joins them into a text
    per submission (fetched once), which is split here into one text per question."""
    questions = list(Question.objects.filter(questionnaire=questionnaire)
                     .order_by("position", "pk").values_list("pk", flat=True))
    slot = {pk: i for i, pk in enumerate(questions)}
    answer, submission = Answer._meta.db_table, Submission._meta.db_table
    join = "string_agg" if connection.vendor == "postgresql" else "group_concat"
    sql = f"""
        SELECT s.id, s.province_id, s.submitted_at,
               {join}(CAST(a.question_id AS TEXT) || '=' || COALESCE(
                   CAST(a.option_value AS TEXT), CAST(a.number_value AS TEXT),
                   a.text_value, ''), %s)
        FROM {submission} s LEFT JOIN {answer} a ON a.submission_id = s.id
        WHERE s.questionnaire_id = %s AND s.submitted_at IS NOT NULL
        GROUP BY s.id, s.province_id, s.submitted_at
    """  # noqa: S608 - table names come from models, values are parameters
    out = []
    with connection.cursor() as cursor:
        cursor.execute(sql, [SEPARATOR, questionnaire.pk])
        for pk, province_id, moment, joined in cursor.fetchall():
            values: list[list[str]] = [[] for _ in questions]
            last = None
            for piece in joined.split(SEPARATOR) if joined else ():
                head, sep, value = piece.partition("=")
                if sep and head.isdigit() and int(head) in slot:
                    last = values[slot[int(head)]]
                    last.append(value)
                elif last is not None:  # a text answer holding the separator
                    last[-1] += SEPARATOR + piece
            out.append(quality.Response(pk, province_id, moment,
                                        tuple(",".join(sorted(v)) for v in values)))
    return out


def _flag_duplicates(questionnaire: Questionnaire, now) -> int:
    codes = list(Question.objects.filter(questionnaire=questionnaire)
                 .order_by("position", "pk").values_list("code", flat=True))
    minutes = int(quality.DUPLICATE_WINDOW.total_seconds() // 60)
    rows = []
    for pk, match in sorted(quality.find_duplicates(signatures(questionnaire)).items()):
        if match.kind == quality.EXACT:
            rows.append((pk, f"same answers as an earlier submission within {minutes} minutes",
                         {"minutes": minutes, "match": quality.EXACT}))
        else:
            code = codes[match.position]
            rows.append((pk, f"same answers as an earlier submission within {minutes} minutes, "
                             f"all but {code}",
                         {"minutes": minutes, "match": quality.ALL_BUT_ONE, "question": code}))
    return _store(quality.DUPLICATE, rows, now)


def _store(reason: str, rows: list[tuple[int, str, dict]], now) -> int:
    """Store flags: the detail in English words (the CSV download), the figures for pages."""
    QualityFlag.objects.bulk_create(
        [QualityFlag(submission_id=pk, reason=reason, detail=detail[:200], facts=facts,
                     found_at=now)
         for pk, detail, facts in rows], batch_size=2000)
    return len(rows)


def check_questionnaire(questionnaire: Questionnaire) -> dict[str, int]:
    """Find every flagged submission of a questionnaire afresh; returns counts by reason."""
    now = timezone.now()
    with transaction.atomic():
        QualityFlag.objects.filter(submission__questionnaire=questionnaire).delete()
        return {
            quality.SPEEDER: _flag_speeders(questionnaire, now),
            quality.STRAIGHT_LINER: _flag_straight_liners(questionnaire, now),
            quality.DUPLICATE: _flag_duplicates(questionnaire, now),
        }


def set_excluded(*, submission: Submission, excluded: bool, user, note: str = "") -> bool:
    """Exclude a submission from every count, or count it again; False when nothing changes.

    Its answers leave (or rejoin) the tallies in the same transaction, the
    decision goes to the audit log, and the province's results are refreshed.
    """
    from scoring.services.results import refresh_pending

    with transaction.atomic():
        lock_tallies()
        locked = Submission.objects.select_for_update().get(pk=submission.pk)
        if locked.excluded == excluded:
            return False
        if locked.counted_at is not None:
            adjust_tallies(locked.pk, -1 if excluded else 1)
            AnswerTally.objects.filter(province_id=locked.province_id, count=0).delete()
            outbox.mark_answers_stale({locked.questionnaire_id: {locked.province_id}})
        locked.excluded = excluded
        locked.save(update_fields=["excluded"])
        record_event(user=user, action=AuditEvent.Action.EXCLUDED if excluded
                     else AuditEvent.Action.RESTORED, submission=locked.key,
                     questionnaire=locked.questionnaire.code, province=locked.province.code,
                     reasons=sorted(locked.quality_flags.values_list("reason", flat=True)),
                     note=note[:500])
        counted = locked.counted_at is not None
    submission.excluded = excluded
    if counted:
        refresh_pending()
    return True

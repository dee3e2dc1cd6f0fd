"""Folding submissions into per-province answer tallies, incrementally or from scratch.

The database counts: every count here is one grouped INSERT … SELECT (or, for a
recount on PostgreSQL, CREATE TABLE … AS SELECT).
A submission is folded at most once — its `counted_at` is set in the same
transaction that adds its answers — so a task run twice or redelivered after
a crash counts nothing twice. The same transaction marks the results it makes
stale (`scoring.services.outbox`), so they are refreshed even if the worker dies
right after the commit. A full rebuild takes an exclusive lock that
folds share, so the two never interleave.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from scoring.models import AnswerTally
from scoring.services import outbox
from surveys.models import Answer, Question, Submission

LOCK_KEY = 72_024_001  # PostgreSQL advisory lock guarding the tallies
SWEEP_BATCH = 1000
# Batches one background task folds before it hands the rest to the next task, so that no
# task runs unbounded behind a backlog (a worker stays free for other work, and a task
# killed half-way loses little).
TASK_BATCHES = 10
ANALYZE_AFTER = 10_000  # submissions marked counted by a recount at once


@dataclass(frozen=True)
class Folded:
    """Which provinces got new answers, per questionnaire id."""

    submissions: int
    provinces: dict[int, set[int]]  # questionnaire id -> province ids
    more: bool = False  # submissions were left uncounted for the next task

    def merge(self, other: Folded) -> Folded:
        provinces = {q: set(p) for q, p in self.provinces.items()}
        for q, p in other.provinces.items():
            provinces.setdefault(q, set()).update(p)
        return Folded(self.submissions + other.submissions, provinces,
                      self.more or other.more)


def _lock(*, exclusive: bool) -> None:
    if connection.vendor != "postgresql":
        return  # SQLite runs one writing transaction at a time
    function = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {function}(%s)", [LOCK_KEY])


def lock_tallies() -> None:
    """Take the shared lock that folds take (for a change to a counted submission)."""
    _lock(exclusive=False)


def adjust_tallies(submission_id: int, sign: int) -> None:
    """Add (sign 1) or take away (sign -1) one counted submission's answers in the tallies.

    The caller holds the shared lock and decides whether the submission counts.
    """
    tally, answer, submission = (AnswerTally._meta.db_table, Answer._meta.db_table,
                                 Submission._meta.db_table)
    sql = f"""
        INSERT INTO {tally} (province_id, question_id, value, count)
        SELECT s.province_id, a.question_id, a.option_value, %s * COUNT(*)
        FROM {answer} a JOIN {submission} s ON s.id = a.submission_id
        WHERE a.option_value IS NOT NULL AND s.id = %s
        GROUP BY s.province_id, a.question_id, a.option_value
        ON CONFLICT (province_id, question_id, value)
        DO UPDATE SET count = {tally}.count + EXCLUDED.count
    """  # noqa: S608 - table names come from models, values are parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, [sign, submission_id])


def _upsert_tallies(where: str, params: list) -> None:
    tally, answer, submission = (AnswerTally._meta.db_table, Answer._meta.db_table,
                                 Submission._meta.db_table)
    sql = f"""
        INSERT INTO {tally} (province_id, question_id, value, count)
        SELECT s.province_id, a.question_id, a.option_value, COUNT(*)
        FROM {answer} a JOIN {submission} s ON s.id = a.submission_id
        WHERE a.option_value IS NOT NULL AND NOT s.excluded AND {where}
        GROUP BY s.province_id, a.question_id, a.option_value
        ON CONFLICT (province_id, question_id, value)
        DO UPDATE SET count = {tally}.count + EXCLUDED.count
    """  # noqa: S608 - table names come from models, values are parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _recount_in_parallel(where: str, params: list, questionnaire_ids: list[int]) -> None:
    """Recount the tallies of some questionnaires on PostgreSQL, writing only what changed.

    PostgreSQL does not run INSERT … SELECT in parallel, but it does run
    CREATE TABLE … AS SELECT in parallel: counting into a temporary table first
    takes about a third of the time over millions of answers. The same statement
    sets the count beside the stored cells of these questionnaires (a full join)
    and keeps only the cells that differ — counted anew, counted differently, or
    no longer counted (a NULL count) — so a recount that finds what the folds
    already counted writes nothing and makes no further statement. The comparison
    used to be an ANALYZE and three statements after the count (delete, update,
    insert, each joining the 31,000 cells of `par-2024` at the 2024 survey's size):
    0.5–0.7 s beside a 1.7–2.1 s count with the machine loaded (load average 6),
    where the full join adds nothing measurable to the count.
    """
    tally, answer, submission = (AnswerTally._meta.db_table, Answer._meta.db_table,
                                 Submission._meta.db_table)
    question = Question._meta.db_table
    ids, id_params = _in("q.questionnaire_id", questionnaire_ids)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS recount")  # several rebuilds in one transaction
        cursor.execute(f"""
            CREATE TEMPORARY TABLE recount ON COMMIT DROP AS
            SELECT t.id AS tally_id, COALESCE(r.province_id, t.province_id) AS province_id,
                   COALESCE(r.question_id, t.question_id) AS question_id,
                   COALESCE(r.value, t.value) AS value, r.count
            FROM (
                SELECT s.province_id, a.question_id, a.option_value AS value, COUNT(*) AS count
                FROM {answer} a JOIN {submission} s ON s.id = a.submission_id
                WHERE a.option_value IS NOT NULL AND NOT s.excluded AND {where}
                GROUP BY s.province_id, a.question_id, a.option_value
            ) r FULL JOIN (
                SELECT t.id, t.province_id, t.question_id, t.value, t.count
                FROM {tally} t JOIN {question} q ON q.id = t.question_id WHERE {ids}
            ) t ON r.province_id = t.province_id AND r.question_id = t.question_id
               AND r.value = t.value
            WHERE r.count IS DISTINCT FROM t.count
        """, params + id_params)  # noqa: S608 - table names come from models, values are parameters
        if cursor.rowcount:
            cursor.execute(f"DELETE FROM {tally} WHERE id IN "  # noqa: S608 - table names come from models
                           f"(SELECT tally_id FROM recount WHERE count IS NULL)")
            # ON CONFLICT: a cell counted for a question outside these questionnaires (an
            # answer to another questionnaire's question) was not compared above.
            cursor.execute(f"""
                INSERT INTO {tally} (province_id, question_id, value, count)
                SELECT province_id, question_id, value, count FROM recount
                WHERE count IS NOT NULL
                ON CONFLICT (province_id, question_id, value) DO UPDATE SET count = EXCLUDED.count
            """)  # noqa: S608 - table names come from models
        cursor.execute("DROP TABLE recount")


def _in(column: str, ids: list[int]) -> tuple[str, list]:
    return f"{column} IN ({', '.join(['%s'] * len(ids))})", list(ids)


def fold_submissions(submission_ids: Iterable[int], *, skip_locked: bool = False) -> Folded:
    """Add the answers of not-yet-counted submissions to the tallies and mark them counted."""
    with transaction.atomic():
        _lock(exclusive=False)
        pending = Submission.objects.filter(pk__in=list(submission_ids), counted_at__isnull=True)
        rows = list(pending.select_for_update(skip_locked=skip_locked).order_by("pk")
                    .values_list("pk", "questionnaire_id", "province_id", "excluded"))
        if not rows:
            return Folded(0, {})
        counted = [pk for pk, _, _, excluded in rows if not excluded]
        if counted:
            _upsert_tallies(*_in("a.submission_id", counted))
        Submission.objects.filter(pk__in=[r[0] for r in rows]).update(counted_at=timezone.now())
        provinces: dict[int, set[int]] = {}
        for _, questionnaire_id, province_id, _ in rows:
            provinces.setdefault(questionnaire_id, set()).add(province_id)
        outbox.mark_answers_stale(provinces)  # with the counts, or not at all
    return Folded(len(rows), provinces)


def fold_pending(*, batch: int | None = None, batches: int | None = None) -> Folded:
    """Fold the submissions not yet counted (the sweep), a batch at a time, oldest first.

    At most `batches` batches of `batch` (SWEEP_BATCH) submissions, all of them when
    None; `more` on the result says that some were left for the next task.
    """
    batch = batch or SWEEP_BATCH
    provinces: dict[int, set[int]] = {}
    total, done, more = 0, 0, False
    while True:
        if batches is not None and done >= batches:
            more = Submission.objects.filter(counted_at__isnull=True).exists()
            break
        ids = list(Submission.objects.filter(counted_at__isnull=True)
                   .order_by("pk").values_list("pk", flat=True)[:batch])
        if not ids:
            break
        folded = fold_submissions(ids, skip_locked=True)
        if not folded.submissions:
            break  # the rest are being folded by a worker right now
        done += 1
        total += folded.submissions
        for qid, pids in folded.provinces.items():
            provinces.setdefault(qid, set()).update(pids)
    return Folded(total, provinces, more)


def rebuild_tallies(*, questionnaire_ids: Iterable[int]) -> Folded:
    """Recount the tallies of some questionnaires from the raw answers of every submission.

    Submissions not yet counted are counted here too; the returned `Folded`
    says which, so that other indices reading the same questions can refresh.
    """
    ids = list(questionnaire_ids)
    if not ids:
        return Folded(0, {})
    with transaction.atomic():
        _lock(exclusive=True)
        pending = list(Submission.objects.filter(questionnaire_id__in=ids,
                                                 counted_at__isnull=True)
                       .values_list("pk", "questionnaire_id", "province_id"))
        Submission.objects.filter(pk__in=[p[0] for p in pending]).update(
            counted_at=timezone.now())
        if len(pending) >= ANALYZE_AFTER and connection.vendor == "postgresql":
            # After a bulk load the planner still believes no submission is counted and
            # would count by index lookups, one submission at a time (17 s instead of 7 s
            # over 30 M answers), until autovacuum next analyzes the table.
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {Submission._meta.db_table}")
        where, params = _in("s.questionnaire_id", ids)
        if connection.vendor == "postgresql":
            _recount_in_parallel(f"{where} AND s.counted_at IS NOT NULL", params, ids)
        else:
            AnswerTally.objects.filter(question__questionnaire_id__in=ids).delete()
            _upsert_tallies(f"{where} AND s.counted_at IS NOT NULL", params)
        provinces: dict[int, set[int]] = {}
        for _, questionnaire_id, province_id in pending:
            provinces.setdefault(questionnaire_id, set()).add(province_id)
        outbox.mark_answers_stale(provinces)  # other indices over the same questions
    return Folded(len(pending), provinces)

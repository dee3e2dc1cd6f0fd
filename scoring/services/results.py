"""Recomputing stored results from tallies and assessments, per province or for a whole index."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone

from scoring import selectors
from scoring.models import AnswerTally, Assessment, AuditEvent, Index, NodeResult, Recompute
from scoring.rules import exact
from scoring.services import outbox
from scoring.services.audit import record_event
from scoring.services.tallies import Folded, fold_pending, rebuild_tallies
from surveys.models import Submission

PROVINCE_CHUNK = 8


@dataclass(frozen=True)
class CompiledIndex:
    """What scoring an index's provinces takes from its definition, read and compiled once."""

    plan: exact.ExactPlan
    questions: tuple[int, ...]  # every question a survey leaf reads
    node_ids: tuple[int, ...]  # in the order of plan.codes
    max_points: tuple[str | None, ...]  # as stored (exact.stored_text), in the same order


def compile_index(index: Index) -> CompiledIndex:
    """Read an index's tree and node ids and compile its exact plan (four queries)."""
    tree = selectors.index_tree(index)
    plan = exact.compile_exact(index.kind, tree)
    nodes = selectors.node_ids(index)
    return CompiledIndex(
        plan=plan, questions=tuple(sorted({s.question for n in tree for s in n.sources})),
        node_ids=tuple(nodes[code] for code in plan.codes),
        max_points=tuple(exact.stored_text(m) for m in plan.max_points),
    )


def recompute_provinces(
    *, index: Index, province_ids: Iterable[int] | None = None,
    recompute: Recompute | None = None, compiled: CompiledIndex | None = None,
) -> int:
    """Score the given provinces (all when None) and upsert their results; returns rows."""
    compiled = compiled if compiled is not None else compile_index(index)
    provinces = index.province_set.provinces.all()
    if province_ids is not None:
        province_ids = list(province_ids)
        provinces = provinces.filter(pk__in=province_ids)
    tallies = selectors.tally_map(question_ids=compiled.questions, province_ids=province_ids)
    assessments = selectors.assessment_map(index=index, province_ids=province_ids)
    index_id, decimal, text = index.pk, exact.stored_text, exact.ratio_text
    rows: list[tuple] = []
    for province_id in provinces.values_list("pk", flat=True):
        values = exact.score_exact(compiled.plan, tallies.get(province_id, {}),
                                   assessments.get(province_id, {}))
        rows.extend(
            (index_id, province_id, node_id, decimal(v.points), max_points, decimal(v.percent),
             text(v.points), text(v.percent), v.flags, v.valid_answers)
            for node_id, max_points, v in zip(compiled.node_ids, compiled.max_points, values,
                                              strict=True)
        )
    _write_results(rows, recompute_id=recompute.pk if recompute is not None else None,
                   computed_at=timezone.now())
    return len(rows)


RESULT_COLUMNS = ("index_id", "province_id", "node_id", "points", "max_points", "percent",
                  "points_exact", "percent_exact", "flags", "valid_answers", "recompute_id",
                  "computed_at")
# What a result says; the recompute and the time that wrote it are not part of it.
VALUE_COLUMNS = RESULT_COLUMNS[3:-2]
ROW_COLUMNS = RESULT_COLUMNS[:-2]  # a row to write; the recompute and time are one for all


def _write_results(rows: list[tuple], *, recompute_id: int | None,
                   computed_at: datetime) -> None:
    """Insert or replace results, one row per (index, province, node), in ROW_COLUMNS.

    On PostgreSQL the rows are copied into a temporary table and merged with one
    INSERT … ON CONFLICT (a tenth of the time of building a model instance per
    row), which rewrites only the rows whose values changed: a result computed
    again to the same values keeps its row version, its recompute and its time.
    """
    if not rows:
        return
    if connection.vendor != "postgresql":
        NodeResult.objects.bulk_create(
            [NodeResult(**dict(zip(ROW_COLUMNS, row, strict=True)), recompute_id=recompute_id,
                        computed_at=computed_at) for row in rows],
            batch_size=2000, update_conflicts=True,
            unique_fields=["index", "province", "node"],
            update_fields=[c.removesuffix("_id") for c in RESULT_COLUMNS[3:]],
        )
        return
    table, columns = NodeResult._meta.db_table, ", ".join(RESULT_COLUMNS)
    copied = ", ".join(ROW_COLUMNS)
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in RESULT_COLUMNS[3:])
    # A row whose values are as stored is left alone (not even its stamp): an update writes
    # a new row version and leaves a dead one, and a refresh recomputes every node of a
    # province when one answer changed a few of them.
    mine = ", ".join(f"{table}.{c}" for c in VALUE_COLUMNS)
    theirs = ", ".join(f"EXCLUDED.{c}" for c in VALUE_COLUMNS)
    # No savepoint of its own: a failure here fails the caller's transaction anyway.
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS new_results")
        cursor.execute(f"CREATE TEMPORARY TABLE new_results ON COMMIT DROP AS "  # noqa: S608 - table and column names come from the model
                       f"SELECT {copied} FROM {table} WITH NO DATA")
        with cursor.cursor.copy(f"COPY new_results ({copied}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(f"""
            INSERT INTO {table} ({columns})
            SELECT {copied}, %s::bigint, %s::timestamptz FROM new_results
            ON CONFLICT (index_id, province_id, node_id) DO UPDATE SET {updates}
            WHERE ({mine}) IS DISTINCT FROM ({theirs})
        """, [recompute_id, computed_at])  # noqa: S608 - table and column names come from the model
        cursor.execute("DROP TABLE new_results")


def refresh_pending() -> int:
    """Bring every stale (index, province) result up to date (scoring.services.outbox).

    Each index is refreshed in one transaction that also clears the marks it has
    seen, so a failure leaves them for the next call; a mark renewed by a change in
    the meantime is kept. Returns how many results were refreshed.
    """
    refreshed = 0
    for index_id, seen in sorted(outbox.pending().items()):
        index = Index.objects.select_related("province_set").filter(pk=index_id).first()
        if index is None:
            continue
        with transaction.atomic():
            record = Recompute.objects.create(index=index, full=False, provinces=sorted(seen),
                                              inputs={"stale_provinces": len(seen)})
            recompute_provinces(index=index, province_ids=seen, recompute=record)
            outbox.clear(index_id, seen)
            record.status, record.progress = Recompute.Status.DONE, 100
            record.finished_at = timezone.now()
            record.save(update_fields=["status", "progress", "finished_at"])
        refreshed += len(seen)
    return refreshed


def sweep(*, batches: int | None = None) -> Folded:
    """Count the submissions not yet counted (at most `batches` batches; all when None), and
    refresh whatever is stale; `more` on the result says that some are left."""
    folded = fold_pending(batches=batches)
    refresh_pending()
    return folded


def start_recompute(*, index: Index, user=None, via: str = "other") -> Recompute:
    """Record a full recompute about to be run, and who started it from where (audited)."""
    with transaction.atomic():
        record = Recompute.objects.create(index=index, full=True)
        record_event(user=user, action=AuditEvent.Action.RECOMPUTE, index=index.code,
                     recompute=record.pk, via=via)
    return record


def recompute_index(
    *, recompute: Recompute, progress: Callable[[int], None] | None = None
) -> Recompute:
    """Full recompute of one index from raw answers: recount tallies, score every province.

    Idempotent: running it again for the same record gives the same stored results.
    """
    index = recompute.index
    try:
        questionnaires = selectors.index_questionnaire_ids(index)
        rebuild_tallies(questionnaire_ids=questionnaires)
        _progress(recompute, 10, progress)
        province_ids = list(index.province_set.provinces.order_by("code")
                            .values_list("pk", flat=True))
        compiled = compile_index(index)
        for start in range(0, len(province_ids), PROVINCE_CHUNK):
            chunk = province_ids[start:start + PROVINCE_CHUNK]
            done = start + len(chunk)
            with transaction.atomic():  # a chunk's results and the progress they make: one commit
                recompute_provinces(index=index, province_ids=chunk, recompute=recompute,
                                    compiled=compiled)
                _progress(recompute, 10 + 90 * done // len(province_ids), None)
            if progress:
                progress(recompute.progress)
            if settings.RECOMPUTE_THROTTLE_SECONDS and done < len(province_ids):
                time.sleep(settings.RECOMPUTE_THROTTLE_SECONDS)
        refresh_pending()  # what the recount counted anew, for other indices too
        recompute.inputs = _inputs(index, questionnaires)
        recompute.status = Recompute.Status.DONE
    except Exception:
        recompute.status = Recompute.Status.FAILED
        recompute.finished_at = timezone.now()
        recompute.save(update_fields=["status", "finished_at"])
        raise
    recompute.progress = 100
    recompute.finished_at = timezone.now()
    recompute.provinces = []
    recompute.save(update_fields=["inputs", "status", "progress", "finished_at", "provinces"])
    return recompute


def _progress(recompute: Recompute, percent: int, callback: Callable[[int], None] | None) -> None:
    recompute.progress = percent
    recompute.save(update_fields=["progress"])
    if callback:
        callback(percent)


def _inputs(index: Index, questionnaires: set[int]) -> dict:
    counted = Submission.objects.filter(questionnaire_id__in=questionnaires,
                                        counted_at__isnull=False, excluded=False)
    answers = AnswerTally.objects.filter(question__questionnaire_id__in=questionnaires)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Left to itself the planner counts the submissions by a parallel scan of every
            # year's (7,400 pages at 1×): 26 ms on a quiet machine, 105–150 ms beside other
            # work, against 19 ms and 50–75 ms for one process reading the index's own
            # submissions (2,200 pages) through the questionnaire index.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        return {
            "definition_checksum": index.checksum,
            "submissions_counted": counted.count(),
            "answers_tallied": answers.aggregate(n=Sum("count"))["n"] or 0,
            "assessments": Assessment.objects.filter(index=index).count(),
        }

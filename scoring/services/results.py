"""Recomputing stored results from tallies and assessments, per province or for a whole index."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from scoring import engine, selectors
from scoring.models import AnswerTally, Assessment, Index, NodeResult, Recompute
from scoring.services.tallies import Folded, fold_pending, rebuild_tallies
from surveys.models import Submission

PROVINCE_CHUNK = 8


def recompute_provinces(
    *, index: Index, province_ids: Iterable[int] | None = None,
    recompute: Recompute | None = None, tree: list[engine.NodeDef] | None = None,
) -> int:
    """Score the given provinces (all when None) and upsert their results; returns rows."""
    tree = tree if tree is not None else selectors.index_tree(index)
    provinces = index.province_set.provinces.all()
    if province_ids is not None:
        province_ids = list(province_ids)
        provinces = provinces.filter(pk__in=province_ids)
    questions = {s.question for n in tree for s in n.sources}
    tallies = selectors.tally_map(question_ids=questions, province_ids=province_ids)
    assessments = selectors.assessment_map(index=index, province_ids=province_ids)
    nodes = selectors.node_ids(index)
    now = timezone.now()
    rows = []
    for province_id in provinces.values_list("pk", flat=True):
        scores = engine.score_tree(index.kind, tree, tallies.get(province_id, {}),
                                   assessments.get(province_id, {}))
        for code, s in scores.items():
            rows.append(NodeResult(
                index=index, province_id=province_id, node_id=nodes[code],
                points=engine.stored_decimal(s.points),
                max_points=engine.stored_decimal(s.max_points),
                percent=engine.stored_decimal(s.percent), flags=s.flag_text,
                points_exact=engine.fraction_text(s.points),
                percent_exact=engine.fraction_text(s.percent),
                valid_answers=s.valid_answers, recompute=recompute, computed_at=now,
            ))
    NodeResult.objects.bulk_create(
        rows, batch_size=2000, update_conflicts=True,
        unique_fields=["index", "province", "node"],
        update_fields=["points", "max_points", "percent", "points_exact", "percent_exact",
                       "flags", "valid_answers", "recompute", "computed_at"],
    )
    return len(rows)


def refresh_after_fold(folded: Folded, *, skip: Index | None = None) -> None:
    """Bring the results of every index touched by newly folded submissions up to date."""
    if not folded.submissions:
        return
    for index in selectors.indices_using(folded.provinces):
        if skip is not None and index.pk == skip.pk:
            continue
        used = selectors.index_questionnaire_ids(index)
        province_ids = set().union(*(p for q, p in folded.provinces.items() if q in used))
        record = Recompute.objects.create(
            index=index, full=False, provinces=sorted(province_ids),
            inputs={"submissions_folded": folded.submissions})
        recompute_provinces(index=index, province_ids=province_ids, recompute=record)
        record.status, record.progress = Recompute.Status.DONE, 100
        record.finished_at = timezone.now()
        record.save(update_fields=["status", "progress", "finished_at"])


def sweep() -> Folded:
    """Count every submission that was not yet counted, and refresh the results it touches."""
    folded = fold_pending()
    refresh_after_fold(folded)
    return folded


def start_recompute(*, index: Index) -> Recompute:
    """Record a full recompute about to be run."""
    return Recompute.objects.create(index=index, full=True)


def recompute_index(
    *, recompute: Recompute, progress: Callable[[int], None] | None = None
) -> Recompute:
    """Full recompute of one index from raw answers: recount tallies, score every province.

    Idempotent: running it again for the same record gives the same stored results.
    """
    index = recompute.index
    try:
        questionnaires = selectors.index_questionnaire_ids(index)
        folded = rebuild_tallies(questionnaire_ids=questionnaires)
        _progress(recompute, 10, progress)
        province_ids = list(index.province_set.provinces.order_by("code")
                            .values_list("pk", flat=True))
        tree = selectors.index_tree(index)
        for start in range(0, len(province_ids), PROVINCE_CHUNK):
            chunk = province_ids[start:start + PROVINCE_CHUNK]
            with transaction.atomic():
                recompute_provinces(index=index, province_ids=chunk, recompute=recompute,
                                    tree=tree)
            done = start + len(chunk)
            _progress(recompute, 10 + 90 * done // len(province_ids), progress)
            if settings.RECOMPUTE_THROTTLE_SECONDS and done < len(province_ids):
                time.sleep(settings.RECOMPUTE_THROTTLE_SECONDS)
        refresh_after_fold(folded, skip=index)  # other indices over the same questions
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
    return {
        "definition_checksum": index.checksum,
        "submissions_counted": counted.count(),
        "answers_tallied": answers.aggregate(n=Sum("count"))["n"] or 0,
        "assessments": Assessment.objects.filter(index=index).count(),
    }

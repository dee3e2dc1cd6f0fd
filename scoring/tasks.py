"""Celery tasks of the scoring app: thin wrappers around services, idempotent by construction."""

import logging

from celery import shared_task
from django.db import OperationalError

from scoring.models import Recompute, UncertaintyRun
from scoring.services import quality, results, tallies, uncertainty
from surveys.models import Questionnaire
from surveys.services import fold_started

logger = logging.getLogger(__name__)
RETRY = {"autoretry_for": (OperationalError,), "retry_backoff": True, "max_retries": 5}


@shared_task(name="scoring.fold_submissions", acks_late=True, **RETRY)
def fold_submissions_task(submission_ids: list[int]) -> int:
    """Fold newly committed submissions and refresh their provinces' results.

    Some of whatever else is waiting is folded too (tallies.TASK_BATCHES batches),
    so that under load one task does the work of many and each province's results
    are refreshed once per batch; the tasks queued behind it then find nothing left
    and return at once. A longer backlog goes on in a sweep task of its own.
    """
    fold_started()  # commits from now on queue a fold of their own
    folded = tallies.fold_submissions(submission_ids).merge(
        tallies.fold_pending(batches=tallies.TASK_BATCHES))
    results.refresh_pending()  # also whatever an earlier run left stale
    if folded.more:
        _continue_sweep()
    return folded.submissions


def _continue_sweep() -> None:
    """Queue a sweep for the rest; if the broker is down, the periodic sweep gets to it."""
    try:
        sweep_uncounted_task.delay()
    except Exception:  # broker down: beat sends the sweep again within a minute
        logger.warning("could not queue the rest of the sweep; the periodic sweep will "
                       "count the rest", exc_info=True)


@shared_task(name="scoring.sweep_uncounted", acks_late=True, **RETRY)
def sweep_uncounted_task() -> int:
    """Count what was not counted, and refresh whatever is stale (the broker was down, a
    worker died between a fold and its refresh): tallies.TASK_BATCHES batches per task,
    the rest in the next one."""
    folded = results.sweep(batches=tallies.TASK_BATCHES)
    if folded.more:
        _continue_sweep()
    return folded.submissions


@shared_task(name="scoring.recompute_index", acks_late=True, **RETRY)
def recompute_index_task(recompute_id: int) -> str:
    """Full recompute of one index, recorded in the given Recompute row."""
    recompute = Recompute.objects.select_related("index").get(pk=recompute_id)
    if recompute.status == Recompute.Status.DONE:
        return recompute.status
    return results.recompute_index(recompute=recompute).status


@shared_task(name="scoring.bootstrap_chunk", acks_late=True, **RETRY)
def bootstrap_chunk_task(run_id: int, province_ids: list[int], first: int, last: int) -> int:
    """One piece of a bootstrap run; the piece that completes the run computes the intervals."""
    run = UncertaintyRun.objects.select_related("index").get(pk=run_id)
    if run.status == UncertaintyRun.Status.DONE:
        return 0
    written = uncertainty.compute_chunk(run, province_ids, first, last)
    uncertainty.finish_if_complete(run)
    return written


@shared_task(name="scoring.bootstrap_index", acks_late=True, **RETRY)
def bootstrap_index_task(run_id: int, replicates_per_chunk: int = uncertainty.CHUNK_REPLICATES,
                         provinces_per_chunk: int = uncertainty.CHUNK_PROVINCES) -> int:
    """Split a bootstrap run into chunks and queue them (on any number of workers)."""
    run = UncertaintyRun.objects.select_related("index").get(pk=run_id)
    pieces = uncertainty.chunks(run, replicates_per_chunk=replicates_per_chunk,
                                provinces_per_chunk=provinces_per_chunk)
    for province_ids, first, last in pieces:
        bootstrap_chunk_task.delay(run_id, province_ids, first, last)
    return len(pieces)


@shared_task(name="scoring.check_quality", acks_late=True, **RETRY)
def check_quality_task(questionnaire_ids: list[int]) -> dict[str, int]:
    """Find the doubtful submissions of some questionnaires afresh."""
    totals: dict[str, int] = {}
    for questionnaire in Questionnaire.objects.filter(pk__in=questionnaire_ids):
        for reason, n in quality.check_questionnaire(questionnaire).items():
            totals[reason] = totals.get(reason, 0) + n
    return totals


@shared_task(name="scoring.compute_weights", acks_late=True, **RETRY)
def compute_weights_task(index_id: int) -> list[str]:
    """Survey weights and the weighted totals of one SIPAS index."""
    from scoring.models import Index
    from scoring.services.weights import compute_weights

    return compute_weights(index=Index.objects.get(pk=index_id))

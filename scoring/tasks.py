"""Celery tasks of the scoring app: thin wrappers around services, idempotent by construction."""

from celery import shared_task
from django.db import OperationalError

from scoring.models import Recompute
from scoring.services import results, tallies

RETRY = {"autoretry_for": (OperationalError,), "retry_backoff": True, "max_retries": 5}


@shared_task(name="scoring.fold_submissions", acks_late=True, **RETRY)
def fold_submissions_task(submission_ids: list[int]) -> int:
    """Fold newly committed submissions and refresh their provinces' results.

    Whatever else is waiting is folded too, so that under load one task does the
    work of many and each province's results are refreshed once per batch; the
    tasks queued behind it then find nothing left and return at once.
    """
    folded = tallies.fold_submissions(submission_ids).merge(tallies.fold_pending())
    results.refresh_after_fold(folded)
    return folded.submissions


@shared_task(name="scoring.sweep_uncounted", acks_late=True, **RETRY)
def sweep_uncounted_task() -> int:
    """Count whatever was not counted (the broker was down, a worker died)."""
    return results.sweep().submissions


@shared_task(name="scoring.recompute_index", acks_late=True, **RETRY)
def recompute_index_task(recompute_id: int) -> str:
    """Full recompute of one index, recorded in the given Recompute row."""
    recompute = Recompute.objects.select_related("index").get(pk=recompute_id)
    if recompute.status == Recompute.Status.DONE:
        return recompute.status
    return results.recompute_index(recompute=recompute).status

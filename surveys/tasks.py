"""Celery tasks of the surveys app: thin wrappers, idempotent by construction."""

from celery import shared_task
from django.core.management import call_command
from django.db import OperationalError

RETRY = {"autoretry_for": (OperationalError,), "retry_backoff": True, "max_retries": 5}


@shared_task(name="surveys.clear_expired_sessions", acks_late=True, **RETRY)
def clear_expired_sessions_task() -> None:
    """Delete the sessions past their expiry date (Django's `clearsessions`); beat runs it daily.

    A second run finds nothing left to delete, so a redelivered task is harmless. A session
    engine that cannot clear its own sessions fails loudly, as the command does.
    """
    call_command("clearsessions")

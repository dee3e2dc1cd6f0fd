"""The surveys app's periodic tasks."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from config.celery import app


def _session(expires_in: timedelta) -> str:
    store = SessionStore()
    store["seen"] = True
    store.set_expiry(timezone.now() + expires_in)
    store.save()
    return store.session_key


@pytest.mark.django_db
def test_clearing_sessions_removes_expired_ones_and_keeps_live_ones():
    from surveys.tasks import clear_expired_sessions_task

    _session(timedelta(seconds=-1))
    live = _session(timedelta(hours=1))

    clear_expired_sessions_task.delay()
    clear_expired_sessions_task.delay()  # a redelivered run deletes nothing more

    assert list(Session.objects.values_list("session_key", flat=True)) == [live]


def test_beat_clears_expired_sessions_every_night():
    entry = settings.CELERY_BEAT_SCHEDULE["clear-expired-sessions"]

    assert entry["task"] == "surveys.clear_expired_sessions"
    assert entry["task"] in app.tasks
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({3}, {0})

"""Handing new submissions to the scoring worker: one message per queued fold, not per
submission, and nothing lost when Redis is away (real Redis, tasks not run in-process)."""

import contextlib
import logging

import pytest
from redis import Redis

from config.celery import app
from surveys import services
from surveys.services import FOLD_QUEUED_KEY, FOLD_TASK, enqueue_fold, fold_started


@pytest.fixture
def eager():
    """Set app.conf.task_always_eager for one test (Celery's settings are not attributes
    that monkeypatch can restore)."""
    before = app.conf.task_always_eager

    def set_to(value):
        app.conf.task_always_eager = value

    yield set_to
    app.conf.task_always_eager = before


@pytest.fixture
def sent(broker_url, eager, monkeypatch):
    """The fold tasks sent, in order, instead of reaching a worker; the mark starts clear."""
    eager(False)
    calls = []
    monkeypatch.setattr(app.tasks[FOLD_TASK], "delay", calls.append)
    redis = Redis.from_url(broker_url)
    redis.delete(FOLD_QUEUED_KEY)
    yield calls
    redis.delete(FOLD_QUEUED_KEY)


def test_commits_while_a_fold_is_queued_send_nothing_more(sent, broker_url):
    redis = Redis.from_url(broker_url)
    enqueue_fold([1])
    assert sent == [[1]]
    assert 0 < redis.ttl(FOLD_QUEUED_KEY) <= services.FOLD_QUEUED_SECONDS
    enqueue_fold([2])
    enqueue_fold([3, 4])
    assert sent == [[1]]  # the queued task folds whatever waits when it starts


def test_once_the_fold_has_started_the_next_commit_queues_another(sent, broker_url):
    enqueue_fold([1])
    fold_started()  # what the task does before it looks for waiting submissions
    assert not Redis.from_url(broker_url).exists(FOLD_QUEUED_KEY)
    enqueue_fold([2])
    assert sent == [[1], [2]]


def test_a_failed_send_leaves_no_mark_and_is_logged(sent, broker_url, monkeypatch, caplog):
    def refuse(ids):
        raise ConnectionError("broker down")

    monkeypatch.setattr(app.tasks[FOLD_TASK], "delay", refuse)
    with caplog.at_level(logging.WARNING, logger="surveys.services"):
        enqueue_fold([1, 2])
    assert [r.getMessage() for r in caplog.records] == [
        "could not enqueue 2 submissions; the sweep will count them"]
    assert not Redis.from_url(broker_url).exists(FOLD_QUEUED_KEY)
    monkeypatch.setattr(app.tasks[FOLD_TASK], "delay", sent.append)
    enqueue_fold([3])
    assert sent == [[3]]


def test_without_redis_to_ask_every_commit_sends_its_own(sent):
    before = app.conf.broker_write_url
    with contextlib.ExitStack() as stack:
        stack.callback(services._redis_clients.clear)
        stack.callback(setattr, app.conf, "broker_write_url", before)
        app.conf.broker_write_url = "redis://127.0.0.1:9/0"  # nothing listens there
        enqueue_fold([1])
        enqueue_fold([2])
    assert sent == [[1], [2]]


def test_tasks_run_in_process_send_each_commit(eager, monkeypatch):
    eager(True)
    calls = []
    monkeypatch.setattr(app.tasks[FOLD_TASK], "delay", calls.append)
    enqueue_fold([1])
    enqueue_fold([2])
    assert calls == [[1], [2]]

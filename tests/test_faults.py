"""Faults on real services: Redis stopped during intake, a worker killed mid-recompute.

Each test runs its own Redis server on a free port, so stopping it leaves the
shared one alone, and its own `celery worker` processes on the test database.
"""

import contextlib
import csv
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client

from config.celery import app
from scoring.models import AnswerTally, Index, Recompute
from scoring.services.results import start_recompute
from scoring.tasks import recompute_index_task
from surveys.models import Answer, Submission
from tests.helpers import (
    service_unavailable,
    start_worker,
    stop_worker,
    wait_for,
    wait_for_worker,
)

pytestmark = [pytest.mark.services,
              pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivateRedis:
    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        import redis

        client = redis.Redis(port=self.port)
        wait_for(lambda: _pings(client), timeout=10)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


def _pings(client) -> bool:
    try:
        return bool(client.ping())
    except Exception:  # noqa: BLE001 - not up yet
        return False


@pytest.fixture
def private_redis(postgres, broker_url):
    if shutil.which("redis-server") is None:
        service_unavailable("redis-server is not installed")
    server = PrivateRedis()
    server.start()
    yield server
    server.stop()


@contextlib.contextmanager
def publishing_to(url: str):
    """The web side (this process) publishes to `url`."""
    app._pool = None
    app.amqp._producer_pool = None
    app.conf.broker_write_url = url
    try:
        yield
    finally:
        app._pool = None
        app.amqp._producer_pool = None
        app.conf.broker_write_url = None


@contextlib.contextmanager
def in_process():
    """Run tasks in this process (for set-up and the reference run)."""
    app.conf.task_always_eager = True
    try:
        yield
    finally:
        app.conf.task_always_eager = False


def compute(code):
    """A clean full recompute in this process: the reference a faulty run must equal."""
    from scoring.services.results import recompute_index

    recompute_index(recompute=start_recompute(index=Index.objects.get(code=code)))


def post(client, key, q01):
    return client.post("/api/v1/submissions", data=json.dumps({
        "submission_id": key, "questionnaire": "mini-citizens",
        "province": "74" if q01 % 2 else "01",
        "answers": {"U01": 1, "Q01": q01, "Q02": 1 + (q01 + 1) % 5, "Q03": 9}}),
        content_type="application/json")


def exports(*codes):
    out = {}
    for code in codes:
        for level in ("total", "component" if code.startswith("mini-par") else "item"):
            buffer = io.StringIO()
            call_command("export_scores", "--index", code, "--level", level, stdout=buffer)
            out[(code, level)] = list(csv.reader(io.StringIO(buffer.getvalue())))
    return out


def test_redis_stopped_during_intake_loses_nothing(private_redis, mini_questionnaire, settings):
    from scoring.services.definitions import load_index
    from tests.helpers import fixture_text

    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "api": 0}
    load_index(text=fixture_text("mini-sipas.yaml"))
    compute("mini-sipas")
    worker = start_worker(private_redis.url, log_name="test-faults.log")
    client = Client()
    acknowledged = []
    try:
        wait_for_worker(worker, private_redis.url)
        with publishing_to(private_redis.url):
            for i in range(10):
                assert post(client, f"before-{i}", 1 + i % 5).status_code == 201
                acknowledged.append(f"before-{i}")
            # a task folds everything uncounted, so let the worker finish before the outage
            wait_for(lambda: not Submission.objects.filter(counted_at__isnull=True).exists(),
                     timeout=60)
            private_redis.stop()
            for i in range(10):
                response = post(client, f"during-{i}", 1 + i % 5)
                assert response.status_code == 201, response.content
                acknowledged.append(f"during-{i}")
            assert Submission.objects.filter(counted_at__isnull=True).count() == 10
            private_redis.start()  # the worker reconnects by itself, with back-off
            for i in range(10):
                assert post(client, f"after-{i}", 1 + i % 5).status_code == 201
                acknowledged.append(f"after-{i}")
            app.send_task("scoring.sweep_uncounted")  # what beat sends every minute
        wait_for(lambda: not Submission.objects.filter(counted_at__isnull=True).exists(),
                 timeout=60)
    finally:
        stop_worker(worker)
    stored = set(Submission.objects.values_list("key", flat=True))
    assert stored == set(acknowledged) and len(stored) == 30
    tallied = sum(AnswerTally.objects.values_list("count", flat=True))
    assert tallied == Answer.objects.count() == 30 * 4
    incremental = exports("mini-sipas")
    compute("mini-sipas")
    assert exports("mini-sipas") == incremental


def test_worker_killed_mid_recompute_is_redelivered_and_results_equal_a_clean_run(
        private_redis, mini_questionnaire, tmp_path):
    from scoring.services.definitions import load_index
    from tests.helpers import ASSESSMENTS_2024, SUBMISSIONS, fixture_text

    load_index(text=fixture_text("mini-par.yaml"))
    (tmp_path / "s.csv").write_text(SUBMISSIONS, encoding="utf-8")
    (tmp_path / "a.csv").write_text(ASSESSMENTS_2024, encoding="utf-8")
    with in_process():
        call_command("import_submissions", str(tmp_path / "s.csv"), "--questionnaire",
                     "mini-citizens", stdout=io.StringIO())
        call_command("import_assessments", str(tmp_path / "a.csv"), "--index", "mini-par",
                     stdout=io.StringIO())
    compute("mini-par")
    clean = exports("mini-par")
    # the same inputs, recomputed on a worker that dies half-way
    index = Index.objects.get(code="mini-par")
    index.results.all().delete()
    slow = start_worker(private_redis.url, log_name="test-faults.log",
                        RECOMPUTE_THROTTLE_SECONDS="0.5", CELERY_VISIBILITY_TIMEOUT="3")
    survivor = None
    try:
        wait_for_worker(slow, private_redis.url)
        record = start_recompute(index=index)
        with publishing_to(private_redis.url):
            recompute_index_task.delay(record.pk)
        wait_for(lambda: Recompute.objects.get(pk=record.pk).progress >= 30, timeout=30)
        os.kill(slow.pid, signal.SIGKILL)
        slow.wait(timeout=10)
        record.refresh_from_db()
        assert record.status == "running" and 30 <= record.progress < 100
        assert index.results.count() < 63 * 11  # the kill left the results half-written
        survivor = start_worker(private_redis.url, log_name="test-faults.log",
                                CELERY_VISIBILITY_TIMEOUT="3", CELERY_RESTORE_INTERVAL="1",
                                CELERY_RESTORE_THROTTLE="1")
        wait_for_worker(survivor, private_redis.url)
        time.sleep(4)  # past the visibility timeout: the unacknowledged task comes back
        wait_for(lambda: Recompute.objects.get(pk=record.pk).status == "done", timeout=60)
    finally:
        stop_worker(slow)
        if survivor is not None:
            stop_worker(survivor)
    assert exports("mini-par") == clean


def test_worker_killed_between_a_fold_and_its_refresh_leaves_nothing_stale(
        private_redis, mini_questionnaire, settings):
    from scoring.models import NodeResult, PendingRefresh
    from scoring.services.definitions import load_index
    from tests.helpers import fixture_text

    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "api": 0}
    load_index(text=fixture_text("mini-sipas.yaml"))
    compute("mini-sipas")
    doomed = start_worker(private_redis.url, log_name="test-faults.log",
                          program=str(Path(__file__).parent / "fault_worker.py"),
                          CELERY_VISIBILITY_TIMEOUT="3")
    survivor = None
    client = Client()
    try:
        wait_for_worker(doomed, private_redis.url)
        with publishing_to(private_redis.url):
            assert post(client, "only-one", 5).status_code == 201
        doomed.wait(timeout=60)  # it folds, commits, and dies before refreshing
        assert doomed.returncode == 1
        submission = Submission.objects.get(key="only-one")
        assert submission.counted_at is not None
        stale = list(PendingRefresh.objects.values_list("index__code", "province__code"))
        assert stale == [("mini-sipas", "74")]
        before = NodeResult.objects.get(index__code="mini-sipas", province__code="74",
                                        node__level=0)
        assert before.valid_answers == 0  # the province's results were never refreshed
        # No new submission arrives: the unacknowledged fold comes back to a new worker.
        survivor = start_worker(private_redis.url, log_name="test-faults.log",
                                CELERY_VISIBILITY_TIMEOUT="3", CELERY_RESTORE_INTERVAL="1",
                                CELERY_RESTORE_THROTTLE="1")
        wait_for_worker(survivor, private_redis.url)
        wait_for(lambda: not PendingRefresh.objects.exists(), timeout=60)
    finally:
        stop_worker(doomed)
        if survivor is not None:
            stop_worker(survivor)
    refreshed = exports("mini-sipas")
    compute("mini-sipas")
    assert exports("mini-sipas") == refreshed
    assert refreshed[("mini-sipas", "total")][1][:3] == ["74", "Tỉnh Bình Dương", "50.00"]

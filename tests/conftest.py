"""Shared fixtures; reports which database and broker the suite runs on."""

from pathlib import Path

import pytest
import yaml
from django.conf import settings

FIXTURES = Path(__file__).parent / "fixtures"


def pytest_report_header(config):
    db = settings.DATABASES["default"]
    where = db["NAME"] if db["ENGINE"].endswith("sqlite3") else f"{db.get('HOST')}:{db.get('PORT')}"
    broker = settings.CELERY_BROKER_URL if settings.BROKER_CONFIGURED else \
        "none (tasks run in-process)"
    return [
        f"database: {db['ENGINE'].rsplit('.', 1)[-1]} ({where})",
        f"celery broker: {broker}",
        f"require services: {settings.REQUIRE_SERVICES}",
    ]


def fixture_text(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def fixture_data(name: str) -> dict:
    return yaml.safe_load(fixture_text(name))


def dump(data: dict) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


@pytest.fixture
def mini_questionnaire(db):
    from surveys.services import load_questionnaire

    load_questionnaire(text=fixture_text("mini-citizens.yaml"))
    from surveys.models import Questionnaire

    return Questionnaire.objects.get(code="mini-citizens")


# --- real services: a Celery worker on the configured broker ---------------------------------

@pytest.fixture(autouse=True)
def _tasks_in_process_unless_services(request):
    """Only tests marked `services` talk to the broker; the rest run tasks in-process."""
    from config.celery import app

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = "services" not in request.keywords
    yield
    app.conf.task_always_eager = eager


def _service_unavailable(reason: str):
    if settings.REQUIRE_SERVICES:
        pytest.fail(f"{reason} (REQUIRE_SERVICES is set, so this fails instead of skipping)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def broker_url():
    if not settings.BROKER_CONFIGURED:
        _service_unavailable("no CELERY_BROKER_URL: the worker tests need Redis")
    import redis

    try:
        redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_timeout=2).ping()
    except redis.exceptions.RedisError as exc:
        _service_unavailable(f"Redis at {settings.CELERY_BROKER_URL} is unreachable: {exc}")
    return settings.CELERY_BROKER_URL


def start_worker(broker: str, *, log_name: str = "test-worker.log", program: str | None = None,
                 **extra_env: str):
    """Start `celery -A config worker` (solo pool) on the test database; returns the process.

    `program` runs another script in place of `python -m celery` (tests/fault_worker.py).
    """
    import os
    import subprocess
    import sys

    db = settings.DATABASES["default"]
    env = dict(os.environ)
    env["DATABASE_URL"] = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    env["CELERY_BROKER_URL"] = broker
    env.update(extra_env)
    log = open(Path(settings.BASE_DIR) / "var" / log_name, "a")  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, *([program] if program else ["-m", "celery"]), "-A", "config",
         "worker", "--pool", "solo",
         "--loglevel", "INFO", "--without-gossip", "--without-mingle", "--without-heartbeat",
         "--hostname", f"test-{os.getpid()}-{len(extra_env)}@%h"],
        cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    process.log = log
    return process


def wait_for_worker(process, broker: str, timeout: float = 60) -> None:
    import time

    from celery import Celery

    probe = Celery()
    # CELERY_BROKER_URL in the environment would win over broker=...; these do not lose.
    probe.conf.broker_read_url = probe.conf.broker_write_url = broker
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the worker exited with {process.returncode}; see var/*.log")
        try:
            if probe.control.ping(timeout=0.5):
                return
        except Exception:  # noqa: BLE001 - the broker is still coming back
            probe.pool.force_close_all()
            probe._pool = None
            time.sleep(0.2)
    process.kill()
    pytest.fail(f"the worker did not answer within {timeout:.0f} s; see var/*.log")


def stop_worker(process) -> None:
    import subprocess

    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
    process.log.close()


@pytest.fixture(scope="session")
def worker(broker_url, django_db_setup, django_db_blocker):
    """A real `celery -A config worker` process on the test database."""
    db = settings.DATABASES["default"]
    if not db["ENGINE"].endswith("postgresql"):
        _service_unavailable("the worker tests need PostgreSQL (set DATABASE_URL)")
    import redis

    redis.Redis.from_url(broker_url).flushdb()
    process = start_worker(broker_url)
    wait_for_worker(process, broker_url)
    yield process
    stop_worker(process)


def wait_for(predicate, *, timeout: float = 30.0, interval: float = 0.2):
    """Poll until `predicate()` is truthy; fail the test after `timeout` seconds."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"gave up after {timeout:.0f} s waiting for {predicate.__name__}")


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Rate limits, cached pages and per-process definition caches start empty in every test
    (the database is rolled back between tests, so ids may come back for other rows)."""
    from django.core.cache import cache

    from surveys import selectors

    cache.clear()
    selectors._schemas.clear()
    selectors._question_ids.clear()


@pytest.fixture
def mini_officials(mini_questionnaire):
    """The mini questionnaire again, for officials (answered by invitation)."""
    from surveys.models import Questionnaire
    from surveys.services import load_questionnaire

    data = fixture_data("mini-citizens.yaml")
    data.update(code="mini-officials", audience="official", respondent_group="dept-leaders")
    load_questionnaire(text=dump(data))
    return Questionnaire.objects.get(code="mini-officials")


@pytest.fixture
def postgres():
    """For tests of real concurrency: SQLite serialises writers, PostgreSQL does not."""
    if not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        _service_unavailable("this test needs PostgreSQL (set DATABASE_URL)")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# --- the 34-unit cycle (from 1 July 2025) -----------------------------------------------------

DATA = Path(settings.BASE_DIR) / "data"


def load_34_units():
    """The bundled 34-unit set and the crosswalk from the 63 provinces (spec §9)."""
    from surveys.provinces import load_crosswalk, load_province_set

    load_province_set(data=(DATA / "provinces" / "vn-34-2025.csv").read_bytes())
    load_crosswalk(data=(DATA / "provinces" / "crosswalk-vn-63-to-vn-34.csv").read_bytes())


def as_2025(name: str, **changes) -> str:
    """A mini fixture made over for 2025: code, year, questionnaire and `previous:`."""
    data = fixture_data(name)
    data.update(code=data["code"] + "-2025", year=2025, **changes)
    if "questionnaire" in data:
        data["questionnaire"] = "mini-citizens-2025"
    for area in data.get("areas", []):
        for criterion in area["criteria"]:
            for component in criterion["components"]:
                for source in component.get("sources", []):
                    source["questionnaire"] = "mini-citizens-2025"
    return dump(data)


@pytest.fixture
def cycle_2025(mini_questionnaire):
    """The 34 units, a 2025 citizen questionnaire and 2025 indices whose previous: are the
    2024 mini indices (on the 63 provinces)."""
    from scoring.services.definitions import load_index
    from surveys.services import load_questionnaire

    load_34_units()
    load_questionnaire(text=as_2025("mini-citizens.yaml"))
    load_index(text=fixture_text("mini-par.yaml"))
    load_index(text=fixture_text("mini-sipas.yaml"))
    load_index(text=as_2025("mini-par.yaml", previous="mini-par"))
    load_index(text=as_2025("mini-sipas.yaml", previous="mini-sipas"))

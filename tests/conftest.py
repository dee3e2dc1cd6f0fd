"""Shared fixtures; marks what each test needs; reports which database and broker it runs on."""

from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings

from tests.helpers import (
    MODULE_DATA,
    dump,
    fixture_data,
    fixture_text,
    load_cycle_2025,
    service_unavailable,
    start_worker,
    stop_worker,
    wait_for_worker,
)


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


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by these marks
def pytest_collection_modifyitems(items):
    """Mark each test with what it needs, from where it lives and the fixtures it uses:
    `browser` (under tests/browser), `worker` (the `worker` fixture, or marked `services`,
    which starts its own) and `postgres` (the `postgres` fixture, or a worker's)."""
    browser_tests = Path(__file__).parent / "browser"
    for item in items:
        if item.path.is_relative_to(browser_tests):
            item.add_marker(pytest.mark.browser)
        fixtures = getattr(item, "fixturenames", ())
        worker = "worker" in fixtures or item.get_closest_marker("services") is not None
        if worker:
            item.add_marker(pytest.mark.worker)
        if worker or "postgres" in fixtures:
            item.add_marker(pytest.mark.postgres)


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


@pytest.fixture(scope="session")
def broker_url():
    if not settings.BROKER_CONFIGURED:
        service_unavailable("no CELERY_BROKER_URL: the worker tests need Redis")
    import redis

    try:
        redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_timeout=2).ping()
    except redis.exceptions.RedisError as exc:
        service_unavailable(f"Redis at {settings.CELERY_BROKER_URL} is unreachable: {exc}")
    return settings.CELERY_BROKER_URL


@pytest.fixture(scope="session")
def worker(broker_url, django_db_setup, django_db_blocker):
    """A real `celery -A config worker` process on the test database."""
    db = settings.DATABASES["default"]
    if not db["ENGINE"].endswith("postgresql"):
        service_unavailable("the worker tests need PostgreSQL (set DATABASE_URL)")
    import redis

    redis.Redis.from_url(broker_url).flushdb()
    process = start_worker(broker_url)
    wait_for_worker(process, broker_url)
    yield process
    stop_worker(process)


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Rate limits, cached pages and per-process definition caches start empty in every test
    (the database is rolled back between tests, so ids may come back for other rows)."""
    from django.core.cache import cache

    from surveys import selectors

    cache.clear()
    selectors._schemas.clear()
    selectors._question_ids.clear()
    selectors._pages.clear()


@pytest.fixture(autouse=True)
def _module_data_only_for_tests_that_ask(request):
    """While a module fixture's data is in the database (tests.helpers.kept_for_the_module),
    a test that uses the database must ask for that fixture, and not be transactional."""
    marker = request.node.get_closest_marker("django_db")
    if not MODULE_DATA or not (marker or "_django_db_helper" in request.fixturenames):
        return  # the database is closed to this test: it cannot see the data
    others = [name for name in MODULE_DATA if name not in request.fixturenames]
    if others:
        pytest.fail(f"the data of {', '.join(others)} is in the database and this test does not "
                    "ask for it: move the test above the first that does, or out of the module")
    if ({"transactional_db", "live_server"} & set(request.fixturenames)
            or (marker and (marker.kwargs.get("transaction") or marker.args[:1] == (True,)))):
        pytest.fail(f"{', '.join(MODULE_DATA)} keeps its data in an open transaction: a "
                    "transactional test cannot run inside it")


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
        service_unavailable("this test needs PostgreSQL (set DATABASE_URL)")


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing():
    """For the whole session, so that users made for a module's tests are quick to make too."""
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


# --- the 34-unit cycle (from 1 July 2025) -----------------------------------------------------

@pytest.fixture
def cycle_2025(mini_questionnaire):
    """The 34 units, a 2025 citizen questionnaire and 2025 indices whose previous: are the
    2024 mini indices (on the 63 provinces)."""
    load_cycle_2025()

"""Plain helpers shared by the tests (fixtures live in the conftest.py files): fixture files,
staff users, the hand-worked data of the mini indices, data made once for a module's tests,
and real services to start and wait for."""

from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from scoring.models import StaffRole

FIXTURES = Path(__file__).parent / "fixtures"
DATA = Path(settings.BASE_DIR) / "data"
PASSWORD = "a-long-test-password-2024"


def fixture_text(name: str) -> str:
    """The text of tests/fixtures/`name`."""
    return (FIXTURES / name).read_text(encoding="utf-8")


def fixture_data(name: str) -> dict:
    """tests/fixtures/`name` read as YAML, to be changed and given back through `dump`."""
    return yaml.safe_load(fixture_text(name))


def dump(data: dict) -> str:
    """`data` as YAML, as the loaders read it."""
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


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


def load_cycle_2025():
    """The 34 units, a 2025 citizen questionnaire and 2025 indices whose previous: are the
    2024 mini indices (on the 63 provinces); mini-citizens must be loaded first."""
    from scoring.services.definitions import load_index
    from surveys.services import load_questionnaire

    load_34_units()
    load_questionnaire(text=as_2025("mini-citizens.yaml"))
    load_index(text=fixture_text("mini-par.yaml"))
    load_index(text=fixture_text("mini-sipas.yaml"))
    load_index(text=as_2025("mini-par.yaml", previous="mini-par"))
    load_index(text=as_2025("mini-sipas.yaml", previous="mini-sipas"))


def make_user(username, role=None, province=None, *, superuser=False):
    """A user who signs in with PASSWORD; with `role`, a staff role (for `province`)."""
    user = get_user_model().objects.create_user(username, password=PASSWORD,
                                                is_superuser=superuser, is_staff=superuser)
    if role:
        StaffRole.objects.create(user=user, role=role, province=province)
    return user


# --- the hand-worked data of the mini indices (tests/scoring/test_handworked_index.py) ---------

SUBMISSIONS = """\
submission_id,province_code,submitted_at,U01,Q01,Q02,Q03,Z01,N01,T01
s1,74,2024-09-01T08:00:00+07:00,1,5,4,9,1|3,2,
s2,74,2024-09-01,1,3,2,4,,,Tốt
s3,74,,2,4,,,,,
s4,74,2024-09-02T10:00:00,1,9,5,2,2,0,
s5,01,,2,2,,5,,,
s6,01,,2,1,,,,,
"""
# 74: Q01 valid 5, 3, 4 (9 is "don't know"); Q02 valid 4, 2, 5 (s3 did not see it);
#     Q03 valid 4, 2.
# 01: Q01 valid 2, 1; Q02 hidden for both; Q03 valid 5.

ASSESSMENTS_2024 = """\
province_code,component_code,self_score,appraised_score
74,1.1.1,2,1.5
74,1.2.1,2,2
01,1.1.1,1.8,
01,1.2.1,1.5,1.25
31,1.2.1,0.5,
"""


# --- data made once for the tests of a module ------------------------------------------------

MODULE_DATA: list[str] = []  # the module fixtures whose data is in the database now


def kept_for_the_module(request, django_db_blocker, make):
    """For a module-scoped generator fixture (`yield from` this): what `make()` writes stays in
    the database for the tests that ask for the fixture, which get what it returns, and is
    rolled back when the module's tests are done.

    The data is made in an atomic block left open; each test then runs in a savepoint inside
    it (pytest-django's `db`), so what a test writes is undone after it, as with Django's
    TestCase.setUpTestData. Tasks run in-process while the data is made. Until the rollback,
    tests/conftest.py fails any test that uses the database without asking for the fixture
    (it would see the data) or on `transactional_db` (its flush would not be undone).
    """
    from config.celery import app

    block = transaction.atomic()
    with django_db_blocker.unblock():
        block.__enter__()
        eager, app.conf.task_always_eager = app.conf.task_always_eager, True
        try:
            value = make()
        except BaseException:
            transaction.set_rollback(True)
            block.__exit__(None, None, None)
            raise
        finally:
            app.conf.task_always_eager = eager
    MODULE_DATA.append(request.fixturename)
    try:
        yield value
    finally:
        MODULE_DATA.remove(request.fixturename)
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            block.__exit__(None, None, None)


# --- real services: PostgreSQL, Redis and Celery workers ----------------------------------------

def service_unavailable(reason: str):
    """Skip the test, or fail it when REQUIRE_SERVICES is set (CI)."""
    if settings.REQUIRE_SERVICES:
        pytest.fail(f"{reason} (REQUIRE_SERVICES is set, so this fails instead of skipping)")
    pytest.skip(reason)


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

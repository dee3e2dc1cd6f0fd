"""Shared fixtures; reports which database and broker the suite runs on."""

from pathlib import Path

import pytest
import yaml
from django.conf import settings

FIXTURES = Path(__file__).parent / "fixtures"


def pytest_report_header(config):
    db = settings.DATABASES["default"]
    where = db["NAME"] if db["ENGINE"].endswith("sqlite3") else f"{db.get('HOST')}:{db.get('PORT')}"
    broker = settings.CELERY_BROKER_URL or "none (tasks run in-process)"
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

"""Full-page screenshots of the survey pages, in Vietnamese, saved to var/screenshots/."""

import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from surveys.intake import issue_invitations
from surveys.models import Questionnaire
from tests.browser.conftest import DESKTOP
from tests.browser.helpers import answer, press, progress
from tests.browser.test_citizen_survey import (
    IMPLEMENTATION,
    POLICY_MAKING,
    PRIORITIES,
    PROFILE,
    SCREENING,
)
from tests.browser.test_official_invitation import (
    ABOUT,
    APPARATUS,
    DIRECTION,
    FINANCE,
    IMPACT,
)

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"
MIN_BYTES = 10_000


@pytest.fixture(autouse=True)
def definitions():
    call_command("load_definitions", stdout=io.StringIO())


def shoot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    path.unlink(missing_ok=True)
    page.screenshot(path=str(path), full_page=True)
    assert path.is_file()
    assert path.stat().st_size > MIN_BYTES, f"{name} is only {path.stat().st_size} bytes"
    return path


def test_the_citizen_survey_pages_are_captured_on_a_phone(live_server, page):
    page.goto(f"{live_server.url}/s/sipas-2025/79/")
    assert page.get_attribute("html", "lang") == "vi"
    shoot(page, "citizen-survey-vi-phone.png")
    press(page, "next")
    assert page.locator("#error-summary").is_visible()
    shoot(page, "citizen-survey-errors-vi-phone.png")
    for answers in (PROFILE, POLICY_MAKING, IMPLEMENTATION, SCREENING):
        answer(page, answers)
        press(page, "next")
    answer(page, PRIORITIES)
    press(page, "submit")
    assert page.locator("#receipt").is_visible()
    shoot(page, "citizen-receipt-vi-phone.png")


def test_the_official_questionnaire_and_used_link_pages_are_captured(live_server, new_context):
    questionnaire = Questionnaire.objects.get(code="shs-dept-leaders-2025")
    province = questionnaire.province_set.provinces.get(code="79")
    [token] = issue_invitations(questionnaire=questionnaire, province=province, count=1)
    link = f"{live_server.url}/i/{token}/"
    page = new_context(DESKTOP).new_page()
    page.goto(link)
    answer(page, ABOUT)
    press(page, "next")
    answer(page, {"L05": 1})  # shows the follow-up L06 on the same page
    assert progress(page) == (2, 5)
    assert page.locator("#q-L06").is_visible()
    shoot(page, "official-questionnaire-vi.png")
    for answers in (DIRECTION, APPARATUS, FINANCE):
        answer(page, answers)
        press(page, "next")
    answer(page, IMPACT)
    press(page, "submit")
    assert page.locator("#receipt").is_visible()
    assert page.goto(link).status == 410
    shoot(page, "official-link-used.png")

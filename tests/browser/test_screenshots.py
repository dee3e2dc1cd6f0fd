"""Full-page screenshots of the survey pages, in Vietnamese, saved to var/screenshots/."""

import io

import pytest
from django.core.management import call_command

from surveys.intake import issue_invitations
from surveys.models import Questionnaire
from tests.browser.helpers import (
    ABOUT,
    APPARATUS,
    DESKTOP,
    DIRECTION,
    FINANCE,
    IMPACT,
    IMPLEMENTATION,
    POLICY_MAKING,
    PRIORITIES,
    PROFILE,
    SCREENING,
    answer,
    press,
    progress,
    shoot,
)

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)



@pytest.fixture(autouse=True)
def definitions():
    call_command("load_definitions", stdout=io.StringIO())


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

"""A citizen answers the SIPAS survey on a phone in Vietnamese and is counted in the results.

The 2025 survey, on the 34 units: last year's is closed (data/targets.csv).
"""

import io
import re
from decimal import Decimal
from urllib.parse import urlparse

import pytest
from django.core.management import call_command

from scoring.models import NodeResult
from surveys.models import Answer, Submission
from surveys.tokens import CODE_ALPHABET
from tests.browser.helpers import (
    IMPLEMENTATION,
    POLICY_MAKING,
    PRIORITIES,
    PROFILE,
    SCREENING,
    answer,
    checked,
    press,
    progress,
    shown_questions,
    stored_answers,
)

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

RECEIPT = re.compile(f"[{CODE_ALPHABET}]{{5}}-[{CODE_ALPHABET}]{{5}}")
SERVICE_QUESTIONS = [f"S{n:02d}" for n in range(1, 20)]
UNIT = "79"  # Thành phố Hồ Chí Minh


def percent(page) -> int:
    return int(page.get_attribute(".progress", "aria-valuenow"))


@pytest.fixture
def definitions():
    call_command("load_definitions", stdout=io.StringIO())


def test_a_citizen_on_a_phone_completes_the_survey_in_vietnamese_and_is_counted(
        live_server, definitions, page):
    response = page.goto(f"{live_server.url}/s/sipas-2025/{UNIT}/")
    assert response.status == 200
    assert page.get_attribute("html", "lang") == "vi"
    assert page.inner_text("main h2") == "Thông tin về người trả lời"
    assert "Giới tính của Ông/Bà" in page.inner_text("#q-A01 legend")
    assert shown_questions(page) == list(PROFILE)
    assert progress(page) == (1, 10)
    assert page.locator("#error-summary").count() == 0
    assert page.locator('button[value="back"]').count() == 0

    # Next with nothing answered: a summary that takes the focus, and a message per question
    press(page, "next")
    assert page.locator("#error-summary").is_visible()
    assert page.evaluate("document.activeElement.id") == "error-summary"
    assert page.locator("#error-summary li a").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))") == [f"#q-{c}" for c in PROFILE]
    for code in PROFILE:
        assert page.locator(f"#err-{code}").is_visible()
        assert page.get_attribute(f"#q-{code}", "aria-describedby") == f"err-{code}"
    assert progress(page) == (1, 10)

    seen = []
    seen += shown_questions(page)
    answer(page, PROFILE)
    press(page, "next")
    assert progress(page) == (2, 10)
    assert page.locator("#error-summary").count() == 0

    # Back keeps what was answered, on the page left too, though it is incomplete
    answer(page, {"P01": 4, "P02": 5})
    press(page, "back")
    assert progress(page) == (1, 10)
    assert page.locator("#error-summary").count() == 0
    assert {code: checked(page, code) for code in PROFILE} == {
        code: [value] for code, value in PROFILE.items()}
    press(page, "next")
    assert progress(page) == (2, 10)
    assert page.locator("#error-summary").count() == 0
    assert [checked(page, code) for code in POLICY_MAKING] == [[4], [5], [], [], [], [], []]

    for step, answers in ((2, POLICY_MAKING), (3, IMPLEMENTATION), (4, SCREENING)):
        assert progress(page) == (step, 10)
        assert shown_questions(page) == list(answers)
        seen += shown_questions(page)
        answer(page, answers)
        press(page, "next")

    # "No" to the screening question: the five service sections leave the count
    assert progress(page) == (5, 5)
    assert percent(page) == 100
    assert shown_questions(page) == list(PRIORITIES)
    seen += shown_questions(page)
    assert page.locator('button[value="next"]').count() == 0
    answer(page, PRIORITIES)
    press(page, "back")
    assert progress(page) == (4, 5)
    assert percent(page) == 80
    assert shown_questions(page) == ["U01"]
    assert checked(page, "U01") == [2]
    press(page, "next")
    assert progress(page) == (5, 5)
    assert checked(page, "Z01") == [2, 4]
    assert page.input_value('textarea[name="Z02"]') == PRIORITIES["Z02"]

    press(page, "submit")
    receipt = page.inner_text("#receipt").strip()
    assert RECEIPT.fullmatch(receipt)
    assert urlparse(page.url).path == "/r/"  # the receipt is in no address
    assert page.get_attribute("html", "lang") == "vi"
    assert not set(seen) & set(SERVICE_QUESTIONS)
    assert seen == [*PROFILE, *POLICY_MAKING, *IMPLEMENTATION, *SCREENING, *PRIORITIES]

    submission = Submission.objects.get(receipt=receipt)
    assert list(Submission.objects.filter(province__code=UNIT)) == [submission]
    assert (submission.questionnaire.code, submission.province.code, submission.channel) == (
        "sipas-2025", UNIT, "web")
    assert stored_answers(submission) == {
        **PROFILE, **POLICY_MAKING, **IMPLEMENTATION, **SCREENING, **PRIORITIES}
    assert not Answer.objects.filter(submission=submission,
                                     question__code__in=SERVICE_QUESTIONS).exists()

    # tasks run in-process on commit: counted, and the province's SIPAS is up to date
    assert submission.counted_at is not None
    results = dict(NodeResult.objects.filter(
        index__code="sipas-2025", province=submission.province, node__level__lte=1,
    ).values_list("node__code", "percent"))
    assert results == {"": Decimal("50"), "POL": Decimal("50"), "SRV": None}

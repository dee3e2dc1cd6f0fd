"""An official answers by invitation, resumes in a fresh browser context, submits, link used up.

The 2025 questionnaire, on the 34 units: last year's is closed (data/targets.csv).
"""

import io
import re
from urllib.parse import urlparse

import pytest
from django.core.management import call_command

from surveys.intake import issue_invitations
from surveys.models import Draft, Invitation, Questionnaire, Submission
from surveys.tokens import CODE_ALPHABET
from tests.browser.helpers import (
    ABOUT,
    APPARATUS,
    DIRECTION,
    FINANCE,
    IMPACT,
    answer,
    checked,
    press,
    progress,
    shown_questions,
    stored_answers,
)

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

RECEIPT = re.compile(f"[{CODE_ALPHABET}]{{5}}-[{CODE_ALPHABET}]{{5}}")
UNIT = "79"  # Thành phố Hồ Chí Minh


@pytest.fixture
def invitation_link(live_server):
    call_command("load_definitions", stdout=io.StringIO())
    questionnaire = Questionnaire.objects.get(code="shs-dept-leaders-2025")
    province = questionnaire.province_set.provinces.get(code=UNIT)
    [token] = issue_invitations(questionnaire=questionnaire, province=province, count=1)
    return f"{live_server.url}/i/{token}/"


def test_an_official_resumes_on_another_device_submits_and_the_link_is_used_up(
        invitation_link, new_context):
    first = new_context().new_page()
    response = first.goto(invitation_link)
    assert response.status == 200
    assert first.get_attribute("html", "lang") == "vi"
    assert first.inner_text("main h2") == "Thông tin chung"
    assert progress(first) == (1, 5)
    invitation = Invitation.objects.get()
    assert not invitation.used  # opening the link does not use it up
    assert not Draft.objects.exists()

    answer(first, ABOUT)
    press(first, "next")
    assert first.inner_text("main h2") == "Chỉ đạo, điều hành CCHC và cải cách thể chế"
    assert first.locator("#draft-restored").count() == 0  # saved just now, on this device
    draft = Draft.objects.get(invitation=invitation)
    assert (draft.answers, draft.position) == (ABOUT, 1)
    first.context.close()

    # another device: no cookies, the same link resumes at the second section
    device = new_context()
    assert device.cookies() == []
    page = device.new_page()
    assert page.goto(invitation_link).status == 200
    assert page.inner_text("main h2") == "Chỉ đạo, điều hành CCHC và cải cách thể chế"
    assert page.inner_text("#draft-restored").startswith(
        "Phiếu đang điền dở của Ông/Bà đã được khôi phục, với các câu trả lời lưu lần cuối lúc ")
    assert progress(page) == (2, 5)
    press(page, "back")
    assert page.locator("#draft-restored").count() == 0
    assert progress(page) == (1, 5)
    assert {code: checked(page, code) for code in ABOUT} == {"L01": [2], "L02": [3]}
    press(page, "next")
    assert progress(page) == (2, 5)

    # L06 follows L05 on the same page: hidden (and disabled) until L05 is "Yes"
    assert shown_questions(page) == ["L03", "L04", "L05", "L07", "L08"]
    assert page.locator("#q-L06").is_hidden()
    assert page.locator('input[name="L06"]:disabled').count() == 5
    answer(page, {"L05": 2})
    assert page.locator("#q-L06").is_hidden()
    answer(page, {"L05": 1})
    assert page.locator("#q-L06").is_visible()
    assert page.locator('input[name="L06"]:disabled').count() == 0
    answer(page, DIRECTION)
    press(page, "next")

    for step, answers in ((3, APPARATUS), (4, FINANCE), (5, IMPACT)):
        assert progress(page) == (step, 5)
        answer(page, answers)
        if answers is FINANCE:
            assert page.locator("#q-L16").is_hidden()
        press(page, "submit" if step == 5 else "next")

    receipt = page.inner_text("#receipt").strip()
    assert RECEIPT.fullmatch(receipt)
    assert urlparse(page.url).path == "/r/"  # the receipt is in no address
    submission = Submission.objects.get(receipt=receipt)
    assert (submission.questionnaire.code, submission.province.code) == (
        "shs-dept-leaders-2025", UNIT)
    assert stored_answers(submission) == {**ABOUT, **DIRECTION, **APPARATUS, **FINANCE, **IMPACT}
    invitation.refresh_from_db()
    assert invitation.used
    assert not Draft.objects.exists()

    used = page.goto(invitation_link)
    assert used.status == 410
    assert page.locator("form.survey-form").count() == 0
    assert page.get_attribute("html", "lang") == "vi"

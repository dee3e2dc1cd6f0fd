"""The 2025 cycle in a browser: 34 units, change across the merger, a citizen of a merged unit."""

import io
from urllib.parse import urlparse

import pytest
from django.core.management import call_command

from scoring.models import NodeResult, Role
from surveys.models import Submission
from tests.browser.helpers import (
    DESKTOP,
    IMPLEMENTATION,
    POLICY_MAKING,
    PRIORITIES,
    PROFILE,
    SCREENING,
    answer,
    press,
    progress,
    sign_in,
)
from tests.helpers import make_user

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

MERGED = "79"  # Hồ Chí Minh City: Bình Dương (74), Bà Rịa – Vũng Tàu (77) and itself (79)


@pytest.fixture
def cycle(live_server):
    """Both eras of the demo at 1 % of the survey's size, every index computed."""
    call_command("seed_demo", "--scale", "0.01", stdout=io.StringIO())
    call_command("compute_scores", "--all", stdout=io.StringIO())
    return {"url": live_server.url, "reviewer": make_user("reviewer", Role.REVIEWER)}


def test_a_reviewer_walks_the_2025_ranking_a_merged_units_profile_and_the_monitoring(
        cycle, new_context):
    page = new_context(DESKTOP).new_page()
    base = cycle["url"]
    sign_in(page, base, "reviewer")
    assert page.goto(f"{base}/review/par-2025/ranking/").status == 200
    assert page.locator("#ranking tbody tr").count() == 34
    basis = page.inner_text("#delta-basis")
    assert "so với 2024, quy đổi theo địa giới mới" in basis
    row = page.locator(f'#ranking tr[data-province="{MERGED}"]')
    assert row.locator("td").nth(1).inner_text() == "Thành phố Hồ Chí Minh"
    with page.expect_navigation():
        row.locator("a").click()
    assert urlparse(page.url).path == f"/review/par-2025/province/{MERGED}/"
    assert page.locator("#delta-basis").is_visible()
    assert "so với 2024, quy đổi theo địa giới mới" in page.inner_text("#delta-basis")
    rank = page.inner_text("#province-rank")
    assert rank.endswith("/34") and rank.split("/")[0].isdigit()
    assert page.inner_text("#province-delta") not in ("", "–")

    assert page.goto(f"{base}/review/monitoring/2025/").status == 200
    assert page.locator("#monitoring tbody tr[data-province]").count() == 34
    headers = page.locator("#monitoring thead th").all_inner_texts()
    assert len(headers) == 1 + 4  # the unit, then one column per 2025 questionnaire


def test_a_citizen_of_a_merged_unit_answers_the_2025_survey(cycle, page):
    base = cycle["url"]
    response = page.goto(f"{base}/s/sipas-2025/{MERGED}/")
    assert response.status == 200
    assert "Thành phố Hồ Chí Minh" in page.inner_text("main")
    for answers in (PROFILE, POLICY_MAKING, IMPLEMENTATION, SCREENING):
        answer(page, answers)
        press(page, "next")
    assert progress(page) == (5, 5)
    answer(page, PRIORITIES)
    press(page, "submit")
    assert page.locator("#receipt").is_visible()
    submission = Submission.objects.get(channel="web")
    assert (submission.questionnaire.code, submission.province.code,
            submission.province.province_set.code) == ("sipas-2025", MERGED, "vn-34")
    total = NodeResult.objects.get(index__code="sipas-2025", province=submission.province,
                                   node__level=0)
    assert total.valid_answers > 0

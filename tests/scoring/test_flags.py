"""The data-quality rules as the database finds them, on a questionnaire with a long grid."""

from datetime import UTC, datetime, timedelta

import pytest

from scoring.models import QualityFlag
from scoring.services.quality import check_questionnaire
from surveys.models import Province, Questionnaire
from surveys.services import NewSubmission, load_questionnaire, record_submissions
from tests.conftest import dump, fixture_data

GRID = [f"G{i:02d}" for i in range(1, 20)]  # 19 scale questions on the sat5 scale (9: don't know)
AT = datetime(2024, 8, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def grid(db):
    data = fixture_data("mini-citizens.yaml")
    data["code"] = "grid-citizens"
    data["sections"].append({"code": "G", "title": {"vi": "Lưới", "en": "Grid"}, "questions": [
        {"code": code, "text": {"vi": f"Câu {code}", "en": f"Item {code}"}, "type": "scale",
         "scale": "sat5", "required": True} for code in GRID]})
    load_questionnaire(text=dump(data))
    return Questionnaire.objects.get(code="grid-citizens")


def submit(questionnaire, key, grid_answers: str, *, minutes=0, province="74", **others):
    """One submission: U01 = 2 (Q02 hidden), Q01 = 3, the grid as digits, and `others`."""
    answers = {"U01": 2, "Q01": 3, **dict(zip(GRID, (int(c) for c in grid_answers),
                                              strict=True)), **others}
    record_submissions(questionnaire=questionnaire, channel="import", submissions=[
        NewSubmission(key=key, province=Province.objects.get(
            province_set=questionnaire.province_set, code=province),
            submitted_at=AT + timedelta(minutes=minutes), answers=answers)])


def flags(reason):
    return {f.submission.key: f.facts for f in
            QualityFlag.objects.filter(reason=reason).select_related("submission")}


def test_a_dont_know_inside_a_run_does_not_hide_a_straight_liner(grid):
    submit(grid, "dk", "4444444494444444434", minutes=0)
    submit(grid, "varied", "4545454545454545454", minutes=100)
    submit(grid, "short", "4444444443333333333", minutes=200)  # runs of 9 and 10 of 20
    counts = check_questionnaire(grid)
    assert counts["straight_liner"] == 1
    # Q01 = 3 comes first, then sixteen 4s around the "don't know", a 3 and a 4: 16 of 19
    assert flags("straight_liner") == {"dk": {"run": 16, "answered": 19}}

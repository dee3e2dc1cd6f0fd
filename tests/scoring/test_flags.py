"""The data-quality rules as the database finds them: on a questionnaire with a long grid,
on the pages, and on the demo with problems injected on purpose."""

import io
import re
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from django.core.management import call_command
from django.urls import reverse

from scoring.models import AnswerTally, QualityFlag
from scoring.services.demo import demo_recall
from scoring.services.quality import check_questionnaire, median_duration
from surveys.models import Answer, Province, Question, Questionnaire, Submission
from surveys.services import NewSubmission, load_questionnaire, record_submissions
from tests.helpers import dump, fixture_data, kept_for_the_module

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


BASE = "4543454345434543454"


def test_near_duplicates_are_exact_or_all_but_one_and_say_which(grid):
    submit(grid, "a", BASE, minutes=0)
    submit(grid, "b", BASE, minutes=10)  # a copy of a
    submit(grid, "c", BASE[:4] + "1" + BASE[5:], minutes=20)  # G05 differs
    submit(grid, "d", "11" + BASE[2:], minutes=30)  # two answers differ: not a duplicate
    submit(grid, "e", BASE, minutes=5, province="01")  # another province
    submit(grid, "f", BASE, minutes=40, T01="Cán bộ nhiệt tình.")  # only the comment differs
    assert check_questionnaire(grid)["duplicate"] == 3
    assert flags("duplicate") == {
        "b": {"minutes": 60, "match": "exact"},
        "c": {"minutes": 60, "match": "all_but_one", "question": "G05"},
        "f": {"minutes": 60, "match": "all_but_one", "question": "T01"},
    }
    assert QualityFlag.objects.get(submission__key="c").detail == \
        "same answers as an earlier submission within 60 minutes, all but G05"
    # found afresh: the same flags again
    check_questionnaire(grid)
    assert set(flags("duplicate")) == {"b", "c", "f"}


def test_the_quality_pages_say_which_kind_of_near_duplicate(review, client):
    for key, facts in (("s2", {"minutes": 60, "match": "exact"}),
                       ("s4", {"minutes": 60, "match": "all_but_one", "question": "Q03"})):
        QualityFlag.objects.create(submission=Submission.objects.get(key=key), reason="duplicate",
                                   detail="", facts=facts)
    client.force_login(review["reviewer"])
    summary = reverse("scoring:quality", args=["mini-sipas"])
    province = reverse("scoring:quality-province", args=["mini-sipas", "74"])
    page = client.get(summary).content.decode()
    assert 'class="small text-secondary all-but-one">trong đó 1 phiếu trùng mọi câu trừ một câu<' \
        in page
    assert "trùng hoàn toàn hoặc trùng mọi câu trả lời trừ một câu (với ít nhất 10 câu" in page
    page = client.get(province).content.decode()
    assert "trùng hoàn toàn câu trả lời với một phiếu gửi trước đó trong vòng 60 phút" in page
    assert "trùng câu trả lời với một phiếu gửi trước đó trong vòng 60 phút, trừ một câu (Q03)" \
        in page
    client.cookies["django_language"] = "en"
    assert 'all-but-one">of which 1 on all answers but one<' in client.get(summary).content.decode()
    page = client.get(province).content.decode()
    assert "exactly the same answers as an earlier submission within 60 minutes" in page
    assert "the same answers as an earlier submission within 60 minutes, all but one (Q03)" in page


def test_the_quality_page_says_which_provinces_have_too_few_answers_to_judge(review, client):
    client.force_login(review["reviewer"])
    summary = reverse("scoring:quality", args=["mini-sipas"])
    page = client.get(summary).content.decode()
    # 74: Q01 valid 5, 3, 4; Q02 valid 4, 2, 5; Q03 valid 4, 2 (9 is "don't know")
    assert '<div class="text-secondary too-few" title="Q01: 3; Q02: 3; Q03: 2">quá ít câu ' \
        "trả lời để đánh giá 3 câu hỏi (dưới 30 câu trả lời hợp lệ)</div>" in page
    assert 'title="Q01: 2; Q03: 1">quá ít câu trả lời để đánh giá 2 câu hỏi' in page  # 01
    assert page.count('class="text-secondary too-few"') == 2  # the others have no answer
    client.cookies["django_language"] = "en"
    page = client.get(summary).content.decode()
    assert 'title="Q01: 3; Q02: 3; Q03: 2">too few answers to judge 3 questions (fewer than ' \
        "30 valid answers)</div>" in page


def test_a_province_alone_against_a_unanimous_rest_is_an_outlier_by_the_mean_deviation(
        review, client):
    q01 = Question.objects.get(questionnaire__code="mini-citizens", code="Q01")
    AnswerTally.objects.filter(question=q01).delete()
    provinces = list(Province.objects.filter(code__in=["01", "02", "04", "06", "08", "10",
                                                       "11", "74"]).order_by("code"))
    AnswerTally.objects.bulk_create([  # seven provinces all 4 (0.75), 74 all 1 (0.00)
        AnswerTally(province=p, question=q01, value=1 if p.code == "74" else 4, count=40)
        for p in provinces])
    client.force_login(review["reviewer"])
    page = client.get(reverse("scoring:quality", args=["mini-sipas"])).content.decode()
    row = page[page.index('<tr data-province="74"'):]
    row = row[:row.index("</tr>")]
    assert 'class="table-warning"' in row
    # (0 − 0.75) / (1.253314 × 0.75 / 8) = −6.38; MAD 0 → the mean absolute deviation, marked *
    assert "MAD bằng 0: chuẩn hóa theo độ lệch tuyệt đối trung bình" in row
    assert ">Q01 z=-6,4*</span>" in row
    assert 'title="Q02: 3; Q03: 2">quá ít câu trả lời để đánh giá 2 câu hỏi' in row


# --- on the demo: recall of injected problems, flags on clean submissions ----------------

def quiet(*args):
    call_command(*args, stdout=io.StringIO())


def seed_demo_with_issues():
    quiet("seed_demo", "--scale", "0.05", "--issues", "0.03")
    quiet("compute_scores", "--all")
    quiet("flag_submissions", "--all")


@pytest.fixture(scope="module")
def _demo_with_issues(request, django_db_setup, django_db_blocker):
    yield from kept_for_the_module(request, django_db_blocker, seed_demo_with_issues)


@pytest.fixture
def demo_with_issues(_demo_with_issues, db):
    """3 % of 5 % of the survey made suspect on purpose (2023 to 2025), then checked; made
    once for the module (about 13 s), what a test writes undone after it."""


def test_injected_problems_are_found_and_clean_submissions_rarely_flagged(demo_with_issues):
    r = demo_recall()
    assert r.injected == {"speeder": 20, "straight": 75, "duplicate": 73, "near": 82}
    assert r.found == r.injected  # recall 1.0 for each kind, copies with one answer changed too
    # 1.50 % of clean submissions, 2023–2025: honest respondents satisfied with everything
    # give the same answer to most questions (the demo's answers correlate, see below)
    assert (r.clean_flagged_any, r.clean) == (141, 9389)
    assert r.clean_flagged == {"straight_liner": 141}
    assert r.recall >= 0.9 and r.false_positive_rate < 0.02
    # ...on answers that correlate between questions: each respondent leans one way on every
    # scale question, and some are satisfied with everything (as good as none when drawn
    # independently: about 0.8192 ** 33 = 0.14 % of them at quality 0.8)
    sipas = Questionnaire.objects.get(code="sipas-2024")
    scale = {q.pk: sorted(q.scale.options.filter(substantive=True).values_list("value", flat=True))
             for q in sipas.questions.filter(type="scale").select_related("scale")}
    clean = Submission.objects.filter(questionnaire=sipas).exclude(
        key__regex=r"-(speeder|straight|duplicate|near)$")
    rows = {pk: i for i, pk in enumerate(clean.values_list("pk", flat=True))}
    matrix = np.full((len(rows), len(scale)), np.nan)
    column = {pk: j for j, pk in enumerate(scale)}
    for sid, qid, value in Answer.objects.filter(
            submission__in=clean, question_id__in=list(scale)).values_list(
            "submission_id", "question_id", "option_value"):
        if value in scale[qid]:
            matrix[rows[sid], column[qid]] = value
    pairs = []
    for a in range(len(scale)):
        for b in range(a + 1, len(scale)):
            both = ~np.isnan(matrix[:, a]) & ~np.isnan(matrix[:, b])
            pairs.append(np.corrcoef(matrix[both, a], matrix[both, b])[0, 1])
    r = float(np.mean(pairs))
    alpha = len(scale) * r / (1 + (len(scale) - 1) * r)  # standardised Cronbach's alpha
    answered = ~np.isnan(matrix)
    satisfied = (np.where(answered, matrix >= 4, True).all(axis=1) & answered.any(axis=1)).sum()
    assert (len(scale), len(rows)) == (33, 1777)
    assert round(r, 3) == 0.207 and round(alpha, 3) == 0.896
    assert satisfied == 241  # 13.6 % answer 4 or 5 ("satisfied") to every scale question


def test_flag_details_say_why(demo_with_issues):
    sipas = Questionnaire.objects.get(code="sipas-2024")
    assert median_duration(sipas) == 516  # 43 questions × 12 s, give or take
    speeder = QualityFlag.objects.filter(reason="speeder", submission__questionnaire=sipas,
                                         submission__duration_seconds=41).get()
    assert speeder.detail == "41 s; median 516 s"
    straight = QualityFlag.objects.filter(reason="straight_liner").first()
    assert straight.detail.startswith("same answer to ")
    assert QualityFlag.objects.filter(reason="duplicate", facts__match="exact").first().detail \
        == "same answers as an earlier submission within 60 minutes"
    near = QualityFlag.objects.filter(reason="duplicate", facts__match="all_but_one").first()
    assert re.fullmatch(r"same answers as an earlier submission within 60 minutes, "
                        r"all but \w+", near.detail)


def test_checking_twice_gives_the_same_flags(demo_with_issues):
    before = sorted(QualityFlag.objects.values_list("submission_id", "reason", "detail"))
    quiet("flag_submissions", "--questionnaire", "sipas-2024")
    assert sorted(QualityFlag.objects.values_list("submission_id", "reason", "detail")) == before

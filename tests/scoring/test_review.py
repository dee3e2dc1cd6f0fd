"""The ministry's review pages: roles on every URL, publishing, appraisal, downloads, audit."""

import copy
import csv
import io
import re

import pytest
from django.core.management import call_command
from django.urls import reverse

from scoring import urls as scoring_urls
from scoring.models import AssessmentChange, AuditEvent, NodeResult, Publication
from surveys.models import Province
from surveys.services import load_questionnaire
from tests.helpers import PASSWORD, fixture_text, kept_for_the_module
from tests.scoring.helpers import MATRIX, computed_review


@pytest.fixture(scope="module")
def _review(request, django_db_setup, django_db_blocker, tmp_path_factory):
    def make():
        load_questionnaire(text=fixture_text("mini-citizens.yaml"))
        return computed_review(tmp_path_factory.mktemp("review"))

    yield from kept_for_the_module(request, django_db_blocker, make)


@pytest.fixture
def review(_review, db):
    """The `review` of tests/scoring/conftest.py, made once for this module's many tests; each
    test has its own copies of the users, and what it writes is undone after it."""
    return copy.deepcopy(_review)


def test_the_matrix_covers_every_staff_url():
    assert set(MATRIX) == {p.name for p in scoring_urls.urlpatterns}


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_permission_matrix(review, client, name):
    from scoring.models import Recompute

    for args, method, expected in MATRIX[name]:
        for role, status in expected.items():
            client.logout()
            if review[role] is not None:
                client.force_login(review[role])
            from surveys.models import PaperBatch, Submission

            real_args = [Recompute.objects.first().pk if a == "RECOMPUTE" else
                         PaperBatch.objects.get().pk if a == "BATCH" else
                         Submission.objects.order_by("pk").first().pk if a == "SUBMISSION"
                         else a for a in args]
            url = reverse(f"scoring:{name}", args=real_args)
            response = getattr(client, method)(url)
            assert response.status_code == status, (role, method, url)
            if role == "anonymous":
                assert response.url.startswith("/accounts/login/?next=")


def test_an_officer_downloads_only_their_own_province(review, client):
    client.force_login(review["officer74"])
    response = client.get(reverse("scoring:download", args=["mini-par", "component", "csv"]))
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["province_code", "code", "points", "max_points", "percent", "flags"]
    assert {r[0] for r in rows[1:]} == {"74"} and len(rows) == 6
    event = AuditEvent.objects.get(action="download")
    assert (event.user, event.detail["provinces"], event.detail["rows"]) == (
        review["officer74"], ["74"], 5)


def test_publishing_freezes_numbers_and_a_recompute_shows_a_new_version_beside(review, client):
    client.force_login(review["reviewer"])
    before = AuditEvent.objects.order_by("pk").last().pk  # the fixture's imports, recomputes
    client.post(reverse("scoring:publish", args=["mini-par"]), {"note": "v"})
    publication = Publication.objects.get()
    assert publication.version == 1 and publication.results.count() == 63 * 11
    page = client.get(reverse("scoring:ranking", args=["mini-par"]))
    assert "73,96" in page.content.decode()  # 74's published total, with a decimal comma
    # a reviewer lowers 74's appraised 1.2.1 from 2 to 1, then recomputes
    node = publication.index.nodes.get(code="1.2.1")
    client.post(reverse("scoring:assessments", args=["mini-par", "74"]),
                {f"score-{node.pk}": "1"})
    client.post(reverse("scoring:recompute", args=["mini-par"]))
    current = NodeResult.objects.get(index__code="mini-par", province__code="74", node__level=0)
    assert f"{current.percent:.4f}" == "63.9583"  # (7.395833 − 1) / 10
    frozen = publication.results.get(province__code="74", node__level=0)
    assert f"{frozen.percent:.4f}" == "73.9583"
    html = client.get(reverse("scoring:ranking", args=["mini-par"])).content.decode()
    assert "73,96" in html and "63,96 (1)" in html and "table-warning" in html
    export = client.get(reverse("scoring:download", args=["mini-par", "total", "csv"]))
    assert export.content.decode("utf-8-sig").splitlines()[1].startswith(
        "74,Tỉnh Bình Dương,7.40,10.00,73.96")
    current_csv = client.get(reverse("scoring:download", args=["mini-par", "total", "csv"]) +
                             "?version=current").content.decode("utf-8-sig")
    assert current_csv.splitlines()[1].startswith("74,Tỉnh Bình Dương,6.40,10.00,63.96")
    client.post(reverse("scoring:publish", args=["mini-par"]), {"note": "v"})
    assert list(Publication.objects.values_list("version", flat=True)) == [2, 1]
    actions = list(AuditEvent.objects.filter(pk__gt=before).order_by("pk")
                   .values_list("action", "detail"))
    assert [a for a, _ in actions] == ["published", "score_changed", "recompute", "download",
                                       "download", "published"]
    assert actions[1][1] == {"index": "mini-par", "province": "74", "via": "web",
                             "component": "1.2.1", "field": "appraised_score", "old": "2.00",
                             "new": "1.00"}
    assert actions[2][1]["via"] == "web"


def test_officer_self_assessment_is_kept_with_history(review, client):
    client.force_login(review["officer74"])
    node = review["officer74"].staff_role.province.assessments.get(node__code="1.1.1").node
    url = reverse("scoring:assessments", args=["mini-par", "74"])
    bad = client.post(url, {f"score-{node.pk}": "2.5"})
    assert bad.status_code == 400
    assert "The score must be between 0 and 2.00." in bad.content.decode() or \
        "Điểm phải nằm trong khoảng 0 đến 2.00." in bad.content.decode()
    assert client.post(url, {f"score-{node.pk}": "1.75",
                             f"note-{node.pk}": "https://example.gov.vn/kh-cchc.pdf"}
                       ).status_code == 302
    score, note = AssessmentChange.objects.filter(via="web").order_by("pk")
    assert (score.field, str(score.old_value), str(score.new_value), score.changed_by) == (
        "self_score", "2.00", "1.75", review["officer74"])
    assert (note.field, note.old_text, note.new_text, note.changed_by) == (
        "evidence", "", "https://example.gov.vn/kh-cchc.pdf", review["officer74"])
    assert node.assessments.get(province__code="74").evidence == \
        "https://example.gov.vn/kh-cchc.pdf"
    page = client.get(url).content.decode()
    assert "2,00 → 1,75" in page
    events = list(AuditEvent.objects.filter(action__in=["score_changed", "note_changed"],
                                            user=review["officer74"]).order_by("pk")
                  .values_list("action", "detail"))
    assert events == [
        ("score_changed", {"index": "mini-par", "province": "74", "via": "web",
                           "component": "1.1.1", "field": "self_score", "old": "2.00",
                           "new": "1.75"}),
        ("note_changed", {"index": "mini-par", "province": "74", "via": "web",
                          "component": "1.1.1", "field": "evidence", "old": "",
                          "new": "https://example.gov.vn/kh-cchc.pdf"})]


def test_two_reviewers_appraising_at_once_both_land_in_history(review, client):
    from scoring.services.assessments import save_assessments

    index = Publication._meta.get_field("index").related_model.objects.get(code="mini-par")
    p74 = Province.objects.get(code="74")
    save_assessments(index=index, province=p74, scores={"1.1.1": {"appraised_score": 1}},
                     notes={}, user=review["reviewer"], via="web")
    save_assessments(index=index, province=p74, scores={"1.1.1": {"appraised_score": 1.25}},
                     notes={}, user=review["administrator"], via="web")
    history = list(AssessmentChange.objects.filter(via="web").order_by("pk").values_list(
        "old_value", "new_value", "changed_by__username"))
    assert [(str(o), str(n), u) for o, n, u in history] == [
        ("1.50", "1.00", "reviewer"), ("1.00", "1.25", "administrator")]


def test_pages_make_a_bounded_number_of_queries(review, client, django_assert_max_num_queries,
                                                tmp_path):
    client.force_login(review["reviewer"])
    urls = [reverse("scoring:ranking", args=["mini-par"]),
            reverse("scoring:province", args=["mini-par", "74"]),
            reverse("scoring:province", args=["mini-sipas", "74"])]
    for url in urls:
        with django_assert_max_num_queries(10):
            assert client.get(url).status_code == 200
    # ten times the submissions: the same number of queries
    rows = ["submission_id,province_code,submitted_at,U01,Q01,Q02,Q03,Z01,N01,T01"]
    rows += [f"x{i},{'74' if i % 2 else '01'},,1,{1 + i % 5},{1 + i % 5},{1 + i % 3},,,"
             for i in range(60)]
    (tmp_path / "more.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    call_command("import_submissions", str(tmp_path / "more.csv"),
                 "--questionnaire", "mini-citizens", stdout=io.StringIO())
    call_command("compute_scores", "--index", "mini-par", stdout=io.StringIO())
    for url in urls:
        with django_assert_max_num_queries(10):
            assert client.get(url).status_code == 200


def test_the_profile_after_an_exclusion_is_built_again_in_seven_queries(
        review, client, django_assert_num_queries):
    from scoring.services.quality import set_excluded
    from surveys.models import Submission

    client.force_login(review["reviewer"])
    client.cookies["django_language"] = "en"
    url = reverse("scoring:province", args=["mini-par", "74"])
    assert "3 valid answers" in client.get(url).content.decode()
    # 74's answer 4 to Q02 leaves the tallies: the cached tree is stale
    answer = Submission.objects.filter(province__code="74", answers__question__code="Q02",
                                       answers__option_value=4).get()
    set_excluded(submission=answer, excluded=True, user=review["reviewer"])
    # session, user, the index with its stamps, the province; the results of the province
    # and the nation's first level, the distributions, the criteria's standing (mini-par
    # names no previous index and was never published: no query for either)
    with django_assert_num_queries(7):
        html = client.get(url).content.decode()
    assert "2 valid answers" in html and html.count("50.00%") >= 2


def test_the_profile_shows_a_question_as_its_questionnaire_was_last_loaded(review, client):
    from surveys.models import Question, Questionnaire

    client.force_login(review["reviewer"])
    client.cookies["django_language"] = "en"
    url = reverse("scoring:province", args=["mini-par", "74"])
    question = Question.objects.get(questionnaire__code="mini-citizens", code="Q02")
    assert f"mini-citizens · Q02</span>: {question.text_en}" in client.get(url).content.decode()
    # what loading the questionnaire again does (a questionnaire is frozen once it has
    # submissions: here the rows are changed directly): new wording, a new load time
    Question.objects.filter(pk=question.pk).update(text_en="How satisfied are you, really?")
    Questionnaire.objects.get(code="mini-citizens").save()
    assert ("mini-citizens · Q02</span>: How satisfied are you, really?"
            in client.get(url).content.decode())


def test_profile_shows_the_distribution_behind_a_survey_fraction(review, client):
    client.force_login(review["reviewer"])
    html = client.get(reverse("scoring:province", args=["mini-par", "74"])).content.decode()
    # 2.1.1 top_box on Q02 for 74: answers 4, 2, 5 → shares 33.33 % each of valid
    assert 'id="node-2.1.1"' in html
    assert "3 valid answers" in html or "3 câu trả lời hợp lệ" in html
    assert html.count("33,33%") >= 3


def test_monitoring_highlights_lagging_provinces(review, client):
    client.force_login(review["reviewer"])
    html = client.get(reverse("scoring:monitoring", args=[2024])).content.decode()
    assert '<tr class="lagging" data-province="01">' in html  # 2 of 3 wanted
    assert '<tr data-province="74">' in html  # 4 of 3


def test_logins_are_audited(review, client):
    assert client.post("/accounts/login/", {"username": "reviewer", "password": "wrong"}
                       ).status_code == 200
    assert client.post("/accounts/login/", {"username": "reviewer", "password": PASSWORD}
                       ).status_code == 302
    events = list(AuditEvent.objects.filter(action__startswith="login").order_by("pk")
                  .values_list("action", "detail"))
    assert events == [("login_failed", {"username": "reviewer", "via": "site"}),
                      ("login", {"via": "site"})]


def test_monitoring_lists_provinces_by_vietnamese_name(review, client):
    client.force_login(review["reviewer"])
    html = client.get(reverse("scoring:monitoring", args=[2024])).content.decode()
    codes = re.findall(r'data-province="(\d+)"', html)
    names = dict(Province.objects.filter(province_set__code="vn-63")
                 .values_list("code", "name_vi"))
    assert len(codes) == 63
    assert [names[c] for c in codes[:6]] == [
        "Tỉnh An Giang", "Tỉnh Bà Rịa - Vũng Tàu", "Tỉnh Bạc Liêu", "Tỉnh Bắc Giang",
        "Tỉnh Bắc Kạn", "Tỉnh Bắc Ninh"]
    assert [names[c] for c in codes[11:16]] == [
        "Tỉnh Cà Mau", "Tỉnh Cao Bằng", "Thành phố Cần Thơ", "Thành phố Đà Nẵng",
        "Tỉnh Đắk Lắk"]
    assert names[codes[-1]] == "Tỉnh Yên Bái"


def test_ranking_sorted_by_province_follows_vietnamese_collation(review):
    from scoring.models import Index
    from scoring.selectors.review import ranking_page

    index = Index.objects.get(code="mini-sipas")
    names = [r.province_name for r in ranking_page(index, sort="province").rows]
    assert len(names) == 63
    assert names[11:16] == ["Tỉnh Cà Mau", "Tỉnh Cao Bằng", "Thành phố Cần Thơ",
                            "Thành phố Đà Nẵng", "Tỉnh Đắk Lắk"]
    assert names[21:25] == ["Tỉnh Hà Giang", "Tỉnh Hà Nam", "Thành phố Hà Nội", "Tỉnh Hà Tĩnh"]
    assert [r.province_name for r in ranking_page(index, sort="province", descending=True)
            .rows] == names[::-1]

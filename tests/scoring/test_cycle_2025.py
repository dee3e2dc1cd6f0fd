"""The 34-unit cycle: every review page and download, roles and queries, as for 63 provinces."""

import copy
import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from scoring import urls as scoring_urls
from scoring.models import AuditEvent, StaffRole
from surveys.services import load_questionnaire
from tests.helpers import fixture_text, kept_for_the_module, load_cycle_2025
from tests.scoring.helpers import MATRIX, computed_review, computed_review_2025, for_2025

MATRIX_2025 = for_2025(MATRIX)


@pytest.fixture(scope="module")
def _review_2025(request, django_db_setup, django_db_blocker, tmp_path_factory):
    def make():
        load_questionnaire(text=fixture_text("mini-citizens.yaml"))
        review = computed_review(tmp_path_factory.mktemp("review"))
        load_cycle_2025()
        return computed_review_2025(review, tmp_path_factory.mktemp("review_2025"))

    yield from kept_for_the_module(request, django_db_blocker, make)


@pytest.fixture
def review_2025(_review_2025, db):
    """The `review_2025` of tests/scoring/conftest.py, made once for this module's many tests;
    each test has its own copies of the users, and what it writes is undone after it."""
    return copy.deepcopy(_review_2025)


def test_the_34_unit_matrix_covers_every_staff_url():
    assert set(MATRIX_2025) == {p.name for p in scoring_urls.urlpatterns}


# Two tests on the 2025 definitions alone, before the module's data below is made.

def test_a_2025_submission_for_a_2024_province_is_refused_naming_its_unit(cycle_2025, tmp_path,
                                                                           capsys, client):
    from django.core.management import CommandError

    from surveys.models import Submission

    path = tmp_path / "s.csv"
    path.write_text("submission_id,province_code,submitted_at,U01,Q01\nk1,74,,2,4\n",
                    encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("import_submissions", str(path), "--questionnaire", "mini-citizens-2025")
    assert capsys.readouterr().err.splitlines() == [
        f"{path}: line 2, column province_code: 74 is a province of vn-63 (Tỉnh Bình Dương), "
        "not a unit of vn-34; it became 79 Thành phố Hồ Chí Minh"]
    response = client.post("/api/v1/submissions", {
        "submission_id": "k2", "questionnaire": "mini-citizens-2025", "province": "74",
        "answers": {"U01": 2, "Q01": 4}}, content_type="application/json")
    assert response.status_code == 404 and response.json() == {"errors": [{
        "field": "province", "code": "not_found",
        "message": "74 is a province of vn-63 (Tỉnh Bình Dương), not a unit of vn-34; it "
                   "became 79 Thành phố Hồ Chí Minh"}]}
    assert not Submission.objects.exists()


def test_a_2025_assessment_for_a_2024_province_is_refused(cycle_2025, tmp_path, capsys):
    from django.core.management import CommandError

    from scoring.models import Assessment

    path = tmp_path / "a.csv"
    path.write_text("province_code,component_code,self_score,appraised_score\n"
                    "77,1.1.1,1,1\n", encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("import_assessments", str(path), "--index", "mini-par-2025")
    assert capsys.readouterr().err.splitlines() == [
        f"{path}: line 2, column province_code: 77 is a province of vn-63 "
        "(Tỉnh Bà Rịa - Vũng Tàu), not a unit of vn-34; it became 79 Thành phố Hồ Chí Minh"]
    assert not Assessment.objects.exists()


# --- on the data of `review_2025`, made once for the module -------------------------------

@pytest.mark.parametrize("name", sorted(MATRIX_2025))
def test_permission_matrix_of_a_34_unit_index(review_2025, client, name):
    from scoring.models import Recompute
    from surveys.models import Submission

    for args, method, expected in MATRIX_2025[name]:
        for role, status in expected.items():
            client.logout()
            if review_2025[role] is not None:
                client.force_login(review_2025[role])
            from surveys.models import PaperBatch

            real_args = [
                Recompute.objects.filter(index__code="mini-par-2025").first().pk
                if a == "RECOMPUTE" else PaperBatch.objects.get().pk if a == "BATCH" else
                Submission.objects.filter(questionnaire__code="mini-citizens-2025")
                .order_by("pk").first().pk if a == "SUBMISSION" else a for a in args]
            url = reverse(f"scoring:{name}", args=real_args)
            response = getattr(client, method)(url)
            assert response.status_code == status, (role, method, url)


def staff_pages_2025(review_2025) -> list[tuple[str, str]]:
    """Every page and download of the matrix a reviewer or an administrator may read."""
    from scoring.models import Recompute
    from surveys.models import Submission

    stand_ins = {
        "RECOMPUTE": lambda: Recompute.objects.filter(index__code="mini-par-2025").first().pk,
        "SUBMISSION": lambda: Submission.objects.filter(
            questionnaire__code="mini-citizens-2025").order_by("pk").first().pk}
    pages = []
    for name, cases in MATRIX_2025.items():
        for args, method, expected in cases:
            role = next((r for r in ("reviewer", "administrator") if expected.get(r) == 200),
                        None)
            if method == "get" and role:
                real = [stand_ins[a]() if a in stand_ins else a for a in args]
                pages.append((role, reverse(f"scoring:{name}", args=real)))
    from scoring.models import Index
    from scoring.views import LEVEL_NAMES

    for code in ("mini-par-2025", "mini-sipas-2025"):  # every table of both, in both formats
        for level in LEVEL_NAMES[Index.objects.get(code=code).kind].values():
            for fmt in ("csv", "xlsx"):
                pages.append(("reviewer", reverse("scoring:download", args=[code, level, fmt])))
        pages.append(("reviewer", reverse("scoring:download", args=[code, "total", "csv"])
                      + "?intervals=1"))
    pages.append(("reviewer", reverse("scoring:province", args=["mini-sipas-2025", "79"])))
    return sorted(set(pages))


def queries_per_page(client, review_2025, pages) -> dict[str, int]:
    from django.core.cache import cache

    counts = {}
    for role, url in pages:
        client.force_login(review_2025[role])
        cache.clear()  # each page as its first view: the profile keeps parts of itself
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
            if getattr(response, "streaming", False):
                b"".join(response.streaming_content)
        assert response.status_code == 200, url
        counts[url] = len(queries)
    return counts


def test_34_unit_pages_make_a_bounded_number_of_queries(review_2025, client, tmp_path):
    pages = staff_pages_2025(review_2025)
    assert len(pages) == 41
    before = queries_per_page(client, review_2025, pages)
    # the ranking and profiles within 10, the intervals download (which also reads the bootstrap
    # run, its design and the flag counts) within 16, every other page and download within 14
    bounds = {url: 10 if "/ranking/" in url or "/province/" in url
              else 16 if "intervals=1" in url else 14 for url in before}
    assert {url: n for url, n in before.items() if n > bounds[url]} == {}
    # ten times the submissions: the same number of queries on every page
    rows = ["submission_id,province_code,submitted_at,U01,Q01,Q02,Q03,Z01,N01,T01"]
    rows += [f"m{i},{('79', '01', '33')[i % 3]},,1,{1 + i % 5},{1 + i % 5},{1 + i % 3},,,"
             for i in range(90)]
    (tmp_path / "more.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    call_command("import_submissions", str(tmp_path / "more.csv"),
                 "--questionnaire", "mini-citizens-2025", stdout=io.StringIO())
    for code in ("mini-par-2025", "mini-sipas-2025"):
        call_command("compute_scores", "--index", code, stdout=io.StringIO())
    after = queries_per_page(client, review_2025, pages)
    assert {url: n for url, n in after.items() if n > bounds[url]} == {}
    # the audit log grows with the very downloads measured here: bounded, not constant
    assert ({url: n for url, n in after.items() if "/audit" not in url}
            == {url: n for url, n in before.items() if "/audit" not in url})


def test_the_2025_ranking_shows_34_units_and_the_change_across_the_merger(review_2025,
                                                                           client):
    client.force_login(review_2025["reviewer"])
    html = client.get(reverse("scoring:ranking", args=["mini-sipas-2025"])).content.decode()
    assert html.count('<tr data-province="') == 34
    assert 'data-basis="crosswalk"' in html
    assert "so với 2024, quy đổi theo địa giới mới" in html
    csv_text = client.get(reverse("scoring:download",
                                  args=["mini-sipas-2025", "total", "csv"])).content.decode()
    header, *rows = csv_text.splitlines()
    assert header.endswith(",delta_basis") and len(rows) == 34
    hcmc = next(r for r in rows if r.startswith("79,"))
    # 79 (Hồ Chí Minh City) from 74, 77, 79 of 2024: only 74 has a 2024 SIPAS total (62.50)
    assert hcmc.startswith("79,Thành phố Hồ Chí Minh,62.50,") and hcmc.endswith(",crosswalk")


def test_an_officer_of_a_unit_sees_the_history_of_the_provinces_that_formed_it(review_2025,
                                                                                client):
    client.force_login(review_2025["officer79"])
    assert client.get(reverse("scoring:province", args=["mini-par-2025", "79"])
                      ).status_code == 200
    assert client.get(reverse("scoring:province", args=["mini-par", "74"])).status_code == 200
    assert client.get(reverse("scoring:province", args=["mini-par", "01"])).status_code == 403
    # history is visible, not changed: no self-assessment of a former province
    assert client.get(reverse("scoring:assessments", args=["mini-par", "74"])
                      ).status_code == 403
    home = client.get(reverse("scoring:review")).content.decode()
    assert reverse("scoring:province", args=["mini-par-2025", "79"]) in home
    assert reverse("scoring:province", args=["mini-par", "74"]) in home
    download = client.get(reverse("scoring:download", args=["mini-par", "total", "csv"]))
    codes = sorted(line.split(",")[0] for line in download.content.decode().splitlines()[1:])
    assert codes == ["74", "77", "79"]
    # an officer of a 2024 province keeps their 2024 results and has no 2025 unit yet
    client.force_login(review_2025["officer74"])
    assert client.get(reverse("scoring:province", args=["mini-par", "74"])).status_code == 200
    assert client.get(reverse("scoring:province", args=["mini-par-2025", "79"])
                      ).status_code == 403


def test_moving_the_2024_officers_to_their_2025_units(review_2025):
    out = io.StringIO()
    call_command("move_officers", "--to-set", "vn-34", stdout=out)
    assert out.getvalue().splitlines() == [
        "officer01: vn-63:01 → vn-34:01", "officer74: vn-63:74 → vn-34:79",
        "moved 2 province officers"]
    role = StaffRole.objects.select_related("province__province_set").get(
        user__username="officer74")
    assert (role.province.province_set.code, role.province.code) == ("vn-34", "79")
    event = AuditEvent.objects.filter(action="role_changed", detail__staff="officer74").get()
    assert (event.detail["previous_province"], event.detail["province"]) == ("74", "79")
    out = io.StringIO()
    call_command("move_officers", "--to-set", "vn-34", stdout=out)  # nothing left to move
    assert out.getvalue().splitlines() == ["moved 0 province officers"]


def test_withdrawing_last_years_version_renews_the_change_on_a_published_profile(review_2025,
                                                                                client):
    from scoring.models import Index
    from scoring.selectors import review
    from scoring.services.publishing import publish_index, withdraw_publication
    from scoring.services.quality import set_excluded
    from scoring.templatetags.scoring_tags import signed
    from surveys.models import Province, Submission

    reviewer = review_2025["reviewer"]
    last_year, this_year = Index.objects.get(code="mini-sipas"), Index.objects.get(
        code="mini-sipas-2025")
    publish_index(index=last_year, user=reviewer, note="2024, first version")
    # one of 74's 2024 answers leaves the count, and a second 2024 version is published
    set_excluded(submission=Submission.objects.filter(
        province__code="74", questionnaire__code="mini-citizens").order_by("pk").first(),
        excluded=True, user=reviewer)
    corrected = publish_index(index=last_year, user=reviewer, note="2024, corrected")
    publication = publish_index(index=this_year, user=reviewer, note="2025")
    unit = Province.objects.get(province_set__code="vn-34", code="79")  # 74, 77, 79 of 2024

    def shown() -> str:
        html = client.get(reverse("scoring:province", args=["mini-sipas-2025", "79"])
                          ).content.decode()
        return html.split('id="province-delta">', 1)[1].split("<", 1)[0]

    def expected() -> str:
        return signed(review.province_standing(this_year, unit,
                                               publication=publication).row.delta)

    client.force_login(reviewer)
    against_the_correction = shown()
    assert against_the_correction == expected()
    withdraw_publication(publication=corrected, user=reviewer, reason="a wrong exclusion")
    assert shown() == expected() != against_the_correction

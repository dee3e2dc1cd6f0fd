"""Public pages render, in Vietnamese by default, with assets served by the app itself."""

import io

import pytest
from django.core.management import call_command

from scoring.models import Index, Node
from tests.helpers import kept_for_the_module


@pytest.fixture(scope="module")
def _bundled(request, django_db_setup, django_db_blocker):
    yield from kept_for_the_module(
        request, django_db_blocker,
        lambda: call_command("load_definitions", stdout=io.StringIO()))


@pytest.fixture
def bundled(_bundled, db):
    """The bundled definitions, loaded once for the module; what a test writes is undone."""


def test_bundled_par_2024_has_the_published_structure(bundled):
    index = Index.objects.get(code="par-2024")
    assert [index.nodes.filter(level=level).count() for level in (1, 2, 3)] == [8, 38, 88]
    leaves = Node.objects.filter(index=index, level=3)
    assert sum(n.max_points for n in leaves.filter(method="appraisal")) == 68
    assert sum(n.max_points for n in leaves.filter(method="survey")) == 32
    assert index.previous_code == "par-2023"
    assert Index.objects.get(code="par-2023").nodes.filter(level=2).count() == 37


def test_bundled_sipas_2024_has_5_service_elements_of_4_4_5_3_3(bundled):
    index = Index.objects.get(code="sipas-2024")
    service = index.nodes.get(level=1, code="SRV")
    assert [e.children.count() for e in service.children.order_by("position")] == [4, 4, 5, 3, 3]
    policy = index.nodes.get(level=1, code="POL")
    assert sum(e.children.count() for e in policy.children.all()) == 14


def test_home_page_lists_the_indices_with_local_bootstrap(bundled, client):
    page = client.get("/")
    assert page.status_code == 200
    html = page.content.decode()
    assert '<html lang="vi">' in html
    assert "Chỉ số cải cách hành chính cấp tỉnh năm 2024" in html
    assert "Đăng nhập cho cán bộ" in html
    assert '/static/bootstrap/css/bootstrap.min.css' in html
    assert "cdn" not in html.lower()


def test_admin_lists_63_provinces_and_34_units(admin_client, bundled):
    from surveys.models import ProvinceSet

    for code, count in (("vn-63", 63), ("vn-34", 34)):
        pset = ProvinceSet.objects.get(code=code)
        page = admin_client.get(f"/admin/surveys/province/?province_set__id__exact={pset.pk}")
        assert page.status_code == 200
        assert f"{count} tỉnh, thành phố" in page.content.decode()
    page = admin_client.get("/admin/scoring/index/")
    html = page.content.decode()
    assert "par-2024" in html and "sipas-2024" in html


def test_last_years_fieldwork_is_closed_and_the_home_page_offers_the_2025_survey(
        bundled, client):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from surveys.models import Questionnaire

    vietnam = ZoneInfo("Asia/Ho_Chi_Minh")
    closing = {2023: datetime(2024, 2, 1, tzinfo=vietnam),
               2024: datetime(2025, 2, 1, tzinfo=vietnam), 2025: None}
    assert {code: closes_at for code, closes_at in
            Questionnaire.objects.values_list("code", "closes_at")} == {
        code: closing[year] for code, year in Questionnaire.objects.values_list("code", "year")}
    assert Questionnaire.objects.filter(year=2025).count() == 4

    html = client.get("/").content.decode()
    assert '<input type="hidden" name="questionnaire" value="sipas-2025">' in html
    picker = html[html.index('id="province-pick"'):html.index("</select>")]
    assert picker.count("<option") == 35
    assert picker.index("Tỉnh An Giang") < picker.index("Tỉnh Bắc Ninh") < picker.index(
        "Tỉnh Cà Mau") < picker.index("Tỉnh Cao Bằng") < picker.index("Thành phố Cần Thơ") < \
        picker.index("Thành phố Đà Nẵng") < picker.index("Tỉnh Vĩnh Long")

    assert client.get("/s/sipas-2024/74/").status_code == 410
    assert client.get("/s/sipas-2023/74/").status_code == 410
    assert client.get("/s/sipas-2025/79/").status_code == 200


def test_provinces_and_sets_cannot_be_edited_in_the_admin(admin_client, bundled):
    from surveys.models import Province, ProvinceSet

    province = Province.objects.get(province_set__code="vn-34", code="01")
    pset = province.province_set
    for url in (f"/admin/surveys/province/{province.pk}/change/",
                f"/admin/surveys/provinceset/{pset.pk}/change/"):
        page = admin_client.get(url)
        assert page.status_code == 200
        assert 'name="_save"' not in page.content.decode()
    response = admin_client.post(f"/admin/surveys/province/{province.pk}/change/",
                                 {"code": "01", "name_vi": "Đổi tên", "name_en": "Renamed",
                                  "province_set": pset.pk})
    assert response.status_code == 403
    assert admin_client.get("/admin/surveys/province/add/").status_code == 403
    assert admin_client.post(f"/admin/surveys/provinceset/{pset.pk}/delete/",
                             {"post": "yes"}).status_code == 403
    province.refresh_from_db()
    assert province.name_vi == "Thành phố Hà Nội"
    assert ProvinceSet.objects.filter(pk=pset.pk).exists()

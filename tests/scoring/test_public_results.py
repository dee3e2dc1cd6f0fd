"""Publication (spec §10): confirmation, frozen versions, public pages, withdrawal, correction."""

import io

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from scoring.models import AuditEvent, Index, Publication
from scoring.services.publishing import publish_index, withdraw_publication
from surveys.spreadsheets import BOM


def export(*args) -> str:
    out = io.StringIO()
    call_command("export_scores", *args, stdout=out)
    return out.getvalue()


def ranking_table(response) -> str:
    html = response.content.decode()
    return html[html.index('<table'):html.index("</table>")]


@pytest.fixture
def reviewer_client(review, client):
    client.force_login(review["reviewer"])
    return client


def test_publishing_asks_for_confirmation_with_what_will_be_published(review, reviewer_client):
    url = reverse("scoring:publish", args=["mini-par"])
    page = reviewer_client.get(url)
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="summary-ranked">63<' in html  # every province has a total (0 where missing)
    assert 'id="summary-without">0<' in html
    refused = reviewer_client.post(url, {"note": "  "})
    assert refused.status_code == 400 and "Vui lòng viết ghi chú." in refused.content.decode()
    assert not Publication.objects.exists()
    done = reviewer_client.post(url, {"note": "Kết quả chính thức năm 2024"})
    assert (done.status_code, done.url) == (302, url)
    publication = Publication.objects.get()
    assert (publication.version, publication.note) == (1, "Kết quả chính thức năm 2024")
    event = AuditEvent.objects.get(action="published")
    assert event.detail == {"index": "mini-par", "version": 1,
                            "note": "Kết quả chính thức năm 2024", "correction": False}
    assert "Phiên bản 1" in reviewer_client.get(url).content.decode() or \
        'data-version="1"' in reviewer_client.get(url).content.decode()


def test_an_index_never_published_is_404_publicly(review):
    anonymous = Client()
    for path in ("/results/mini-par/", "/results/mini-par/total.csv", "/results/mini-par/74/"):
        assert anonymous.get(path).status_code == 404, path
    assert "mini-par" not in anonymous.get("/results/").content.decode()


def test_the_public_files_are_the_export_of_that_version_byte_for_byte(
        review, django_assert_max_num_queries):
    index = Index.objects.get(code="mini-par")
    at_publication = export("--index", "mini-par", "--level", "total")
    publish_index(index=index, user=review["reviewer"], note="v1")
    anonymous = Client()
    public = anonymous.get("/results/mini-par/total.csv")
    assert public.status_code == 200 and public["Content-Type"] == "text/csv; charset=utf-8"
    assert public.content.decode("utf-8") == export("--index", "mini-par", "--level", "total",
                                                    "--published", "1") == at_publication
    assert public.content.startswith(BOM.encode())
    for level in ("area", "criterion", "component"):
        assert anonymous.get(f"/results/mini-par/{level}.csv").content.decode() == export(
            "--index", "mini-par", "--level", level, "--published", "1")
    with django_assert_max_num_queries(10):
        page = anonymous.get("/results/mini-par/")
    assert page.status_code == 200
    html = page.content.decode()
    assert '<tr data-province="74">' in html and "Tỉnh Bình Dương" in html
    assert "7,40" in html  # 74's published points, with the Vietnamese decimal comma
    with django_assert_max_num_queries(10):
        assert anonymous.get("/results/mini-par/74/").status_code == 200
    with django_assert_max_num_queries(3):  # cached per published version
        anonymous.get("/results/mini-par/")


def test_a_recompute_never_changes_what_the_public_sees(review, reviewer_client):
    index = Index.objects.get(code="mini-par")
    publish_index(index=index, user=review["reviewer"], note="v1")
    before = (ranking_table(Client().get("/results/mini-par/")),
              Client().get("/results/mini-par/total.csv").content)
    node = index.nodes.get(code="1.2.1")
    reviewer_client.post(reverse("scoring:assessments", args=["mini-par", "74"]),
                         {f"score-{node.pk}": "1"})
    call_command("compute_scores", "--index", "mini-par", stdout=io.StringIO())
    assert "6.40" in export("--index", "mini-par", "--level", "total")  # the current one moved
    from django.core.cache import cache

    cache.clear()
    assert (ranking_table(Client().get("/results/mini-par/")),
            Client().get("/results/mini-par/total.csv").content) == before


def test_a_withdrawn_version_is_hidden_and_a_correction_is_marked(review, reviewer_client):
    index = Index.objects.get(code="mini-par")
    first = publish_index(index=index, user=review["reviewer"], note="v1")
    response = reviewer_client.post(reverse("scoring:withdraw", args=["mini-par", 1]),
                                    {"reason": "sai số liệu tỉnh 74"})
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.withdrawn_at is not None and first.withdraw_reason == "sai số liệu tỉnh 74"
    assert AuditEvent.objects.get(action="withdrawn").detail == {
        "index": "mini-par", "version": 1, "reason": "sai số liệu tỉnh 74"}
    for path in ("/results/mini-par/", "/results/mini-par/total.csv", "/results/mini-par/74/"):
        assert Client().get(path).status_code == 404
    assert "đã rút" in reviewer_client.get(reverse("scoring:publish", args=["mini-par"])
                                           ).content.decode()
    publish_index(index=index, user=review["reviewer"], note="Sửa số liệu tỉnh 74")
    page = Client().get("/results/mini-par/").content.decode()
    assert 'id="correction"' in page and "Sửa số liệu tỉnh 74" in page
    published = AuditEvent.objects.filter(action="published").order_by("pk")
    assert published.last().detail["correction"] is False
    third = publish_index(index=index, user=review["reviewer"], note="Lần nữa")
    assert third.version == 3
    assert published.last().detail["correction"] is True


def test_withdrawing_needs_a_reason(review, reviewer_client):
    publication = publish_index(index=Index.objects.get(code="mini-par"),
                                user=review["reviewer"], note="v1")
    reviewer_client.post(reverse("scoring:withdraw", args=["mini-par", 1]), {"reason": ""})
    publication.refresh_from_db()
    assert publication.withdrawn_at is None
    with pytest.raises(ValueError, match="a reason is required"):
        withdraw_publication(publication=publication, user=None, reason=" ")


def test_the_public_province_page_shows_its_areas_and_criteria(review):
    publish_index(index=Index.objects.get(code="mini-par"), user=review["reviewer"], note="v1")
    html = Client().get("/results/mini-par/74/").content.decode()
    assert 'id="node-1"' in html and 'id="node-1.1"' in html and 'id="node-1.1.1"' not in html
    assert 'id="province-rank">1<' in html
    assert "<svg" in html and "<script" not in html


def test_the_home_page_links_to_the_published_results(review):
    assert 'id="published-results"' not in Client().get("/").content.decode()
    publish_index(index=Index.objects.get(code="mini-par"), user=review["reviewer"], note="v1")
    html = Client().get("/").content.decode()
    assert 'href="/results/mini-par/"' in html and 'href="/results/"' in html

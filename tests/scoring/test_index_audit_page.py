"""The index audit page, its what-if explorer, saved scenarios and downloads (mini-par).

mini-par's stored criteria (test_handworked_index): 74: 1.1 = 33/16 of 3, 1.2 = 2 of 2,
2.1 = 10/3 of 5 (total 73.96 %, rank 1); 01: 1.1 = 413/160, 1.2 = 5/4, 2.1 = 0 (38.31 %,
rank 2); 31: 1.1 = 0, 1.2 = 1/2, 2.1 = 0 (5.00 %, rank 3); the 60 others score 0 (rank 4).
"""

import csv
import io
import re
from decimal import Decimal

import numpy as np
import openpyxl
import pandas as pd
import pytest
from django.urls import reverse

from scoring import charts
from scoring.models import AuditEvent, AuditScenario, Index, NodeResult
from scoring.rules import engine
from scoring.selectors import previous_totals, results_checksum
from scoring.services.scenarios import ScenarioProblem, ScenarioRefused, save_scenario

pytestmark = pytest.mark.django_db

URL = "scoring:index-audit"


def page(client, index="mini-par", **params):
    response = client.get(reverse(URL, args=[index]), params)
    assert response.status_code == 200
    return response, response.content.decode()


def row(html, table, province):
    """The cells of one province's row in a table, as text."""
    body = html[html.index(f'id="{table}"'):]
    found = re.search(rf'<tr data-province="{province}"[^>]*>(.*?)</tr>', body, re.S).group(1)
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>",
                                                                   found, re.S)]


def test_the_audit_page_is_never_cached_and_shows_each_check(review, client):
    client.force_login(review["reviewer"])
    response, html = page(client)
    assert "no-store" in response["Cache-Control"]
    assert "Kiểm định chỉ số" in html
    for anchor in ("coverage", "coherence", "effective-weights", "years", "what-if",
                   "scenarios"):
        assert f'id="{anchor}"' in html
    # 31 has 1.1.1 missing, 1.1.2, 2.1.1 and 2.1.2 missing and 1.2.1 self-assessed: 1 of 5
    assert row(html, "coverage-provinces", "31") == ["Thành phố Hải Phòng", "1/5", "1", "4",
                                                     "20,0% dưới ngưỡng"]
    assert row(html, "coverage-provinces", "01") == ["Thành phố Hà Nội", "4/5", "1", "1",
                                                     "80,0%"]
    assert 'data-province="74"' not in html[:html.index('id="coverage-criteria"')]
    assert '<svg' in html and 'id="heatmap-title"' in html and 'id="correlation-matrix"' in html


def test_the_ranking_links_to_the_audit(review, client):
    client.force_login(review["reviewer"])
    html = client.get(reverse("scoring:ranking", args=["mini-par"])).content.decode()
    assert reverse(URL, args=["mini-par"]) in html


def test_unchanged_weights_reproduce_the_ranks(review, client):
    client.force_login(review["reviewer"])
    _, html = page(client, **{"w-1": "5", "w-2": "5", "drop": ""})
    assert row(html, "what-if-results", "74") == ["1", "Tỉnh Bình Dương", "73,96", "1", "0"]
    assert row(html, "what-if-results", "01")[2:] == ["38,31", "2", "0"]
    assert "<strong>0,00</strong> bậc; 0 tỉnh thay đổi hạng" in html


def test_leaving_out_a_criterion_moves_the_ranks(review, client):
    # Without 1.2 area 1 keeps its 5 points and is scored on 1.1 alone:
    # 74: 100 × (5 × (33/16)/3 + 5 × (10/3)/5) / 10 = 67.708… → 67.71, rank 1
    # 01: 100 × (5 × (413/160)/3 + 0) / 10 = 43.0208… → 43.02, rank 2
    # 31: 1.1 = 0, 2.1 = 0 → 0.00, tied at rank 3 with the 60 provinces that were 4th:
    # 60 move up one place, mean absolute shift 60/63 = 0.95
    client.force_login(review["reviewer"])
    _, html = page(client, **{"w-1": "5", "w-2": "5", "drop": "1.2"})
    assert row(html, "what-if-results", "74")[2:] == ["67,71", "1", "0"]
    assert row(html, "what-if-results", "01")[2:] == ["43,02", "2", "0"]
    assert row(html, "what-if-results", "31")[0] == "3"
    assert row(html, "what-if-results", "31")[3:] == ["3", "0"]
    assert row(html, "what-if-results", "02")[0] == "3"
    assert row(html, "what-if-results", "02")[3:] == ["4", "+1"]
    assert "<strong>0,95</strong> bậc; 60 tỉnh thay đổi hạng" in html


def test_reweighting_by_hand(review, client):
    # area 1 worth 1, area 2 worth 9 (a comma is a decimal separator too):
    # 74: 100 × (1 × 13/16 + 9 × 2/3) / 10 = 68.125 → 68.13 (half up)
    # 01: 100 × (1 × 613/800) / 10 = 7.6625 → 7.66
    client.force_login(review["reviewer"])
    _, html = page(client, **{"w-1": "1,00", "w-2": "9"})
    assert row(html, "what-if-results", "74")[2:] == ["68,13", "1", "0"]
    assert row(html, "what-if-results", "01")[2:] == ["7,66", "2", "0"]


def test_bad_weights_are_explained_and_nothing_is_computed(review, client):
    client.force_login(review["reviewer"])
    _, html = page(client, **{"w-1": "0", "w-2": "0"})
    assert "Cần ít nhất một lĩnh vực có trọng số lớn hơn 0." in html
    assert 'id="what-if-results"' not in html
    _, html = page(client, **{"w-1": "abc", "w-2": "2.555"})
    assert re.findall(r'invalid-feedback">([^<]*)', html) == [
        "Vui lòng nhập một số.", "Chỉ dùng tối đa 2 chữ số thập phân."]


def test_a_saved_scenario_is_audited_compared_and_changes_no_result(review, client):
    client.force_login(review["reviewer"])
    before = results_checksum(Index.objects.get(code="mini-par"))
    save = reverse("scoring:index-audit-save", args=["mini-par"])
    response = client.post(save, {"w-1": "5", "w-2": "5", "drop": "1.2",
                                  "name": "  Không tính 1.2 "})
    assert response.status_code == 302
    scenario = AuditScenario.objects.get()
    assert (scenario.name, scenario.weights, scenario.dropped) == (
        "Không tính 1.2", {"1": "5", "2": "5"}, ["1.2"])
    event = AuditEvent.objects.get(action="scenario")
    assert (event.user, event.detail) == (review["reviewer"], {
        "index": "mini-par", "name": "Không tính 1.2", "weights": {"1": "5", "2": "5"},
        "dropped": ["1.2"], "via": "web"})
    assert results_checksum(Index.objects.get(code="mini-par")) == before
    # the same name again is refused, and so are weights that are all 0; nothing stored
    again = client.post(save, {"w-1": "1", "w-2": "1", "name": "Không tính 1.2"}, follow=True)
    assert "Đã có kịch bản mang tên này: hãy chọn tên khác." in again.content.decode()
    client.post(save, {"w-1": "0", "w-2": "0", "name": "zero"})
    client.post(save, {"w-1": "1", "w-2": "1", "name": ""})
    assert AuditScenario.objects.count() == 1
    assert AuditEvent.objects.filter(action="scenario").count() == 1
    _, html = page(client)
    saved = html[html.index('id="saved-scenarios"'):]
    assert "Không tính 1.2" in saved and ">0,95<" in saved and ">60<" in saved
    comparison = html[html.index('id="scenario-comparison"'):]
    assert re.search(r"<td>Tỉnh Bình Dương</td><td[^>]*>1</td><td[^>]*>1</td>", comparison)


def test_the_audit_page_makes_a_bounded_number_of_queries(review, client,
                                                          django_assert_max_num_queries):
    client.force_login(review["reviewer"])
    client.post(reverse("scoring:index-audit-save", args=["mini-par"]),
                {"w-1": "1", "w-2": "2", "name": "a"})
    for index in ("mini-par", "mini-sipas"):
        with django_assert_max_num_queries(10):
            page(client, index, **{"w-1": "1", "w-2": "2"})


def test_the_audit_downloads_as_csv_and_xlsx(review, client):
    client.force_login(review["reviewer"])
    url = reverse("scoring:index-audit-download", args=["mini-par", "csv"])
    response = client.get(url, {"w-1": "5", "w-2": "5", "drop": "1.2"})
    assert response["Content-Disposition"] == (
        'attachment; filename="mini-par-index-audit-current.csv"')
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["check", "code", "name", "measure", "value"]
    assert ["summary", "provinces", "", "value", "63"] in rows
    assert ["summary", "what_if_mean_absolute_rank_shift", "", "value", "0.9524"] in rows
    assert ["what_if", "74", "Tỉnh Bình Dương", "percent", "67.71"] in rows
    assert ["what_if", "02", "Tỉnh Hà Giang", "shift", "1"] in rows
    assert ["effective_weights", "total", "", "code", "1"] not in rows
    weights = [r for r in rows if r[0] == "effective_weights"]
    assert weights[0][:4] == ["effective_weights", "total", "Lĩnh vực 1", "code"]
    xlsx = client.get(reverse("scoring:index-audit-download", args=["mini-par", "xlsx"]))
    book = openpyxl.load_workbook(io.BytesIO(xlsx.content))
    assert book.sheetnames == [
        "summary", "coverage_province", "coverage_criterion", "area_coherence",
        "criterion_correlation", "flagged_pairs", "correlation_matrix", "effective_weights",
        "Giải thích - Columns"]
    sheet = book["effective_weights"]
    header = [c.value for c in sheet[1]]
    assert header == ["points", "code", "name", "nominal_percent", "effective_percent",
                      "r_squared"]
    nominal = [r[3] for r in sheet.iter_rows(min_row=2, values_only=True) if r[0] == "total"]
    assert nominal == [50.0, 50.0]
    effective = [r[4] for r in sheet.iter_rows(min_row=2, values_only=True) if r[0] == "total"]
    assert sum(effective) == pytest.approx(100.0, abs=0.02)
    events = AuditEvent.objects.filter(action="download", detail__level="index_audit")
    assert sorted(e.detail["format"] for e in events) == ["csv", "xlsx"]


def test_the_profile_shows_strengths_and_weaknesses(review, client):
    # 74's criteria against the 63 provinces: 1.2 = 100 % is the highest (62 below: 99.2),
    # 2.1 = 66.67 % is highest too (62 below: 99.2), 1.1 = 68.75 % is second to 01's
    # 86.04 % (61 below: 61.5 / 63 = 97.6)
    client.force_login(review["reviewer"])
    html = client.get(reverse("scoring:province", args=["mini-par", "74"])).content.decode()
    strengths = html[html.index('id="strengths"'):html.index('id="weaknesses"')]
    assert re.findall(r'data-code="([^"]+)"', strengths) == ["1.2", "2.1", "1.1"]
    assert re.findall(r'<td class="text-end">([^<]+)</td></tr>', strengths) == ["99", "99",
                                                                               "98"]
    assert reverse(URL, args=["mini-par"]) in html


def test_the_year_comparison_goes_through_the_crosswalk(review_2025, client):
    index = Index.objects.get(code="mini-par-2025")
    previous = previous_totals(index, published=False)
    assert previous.basis == "crosswalk"
    current = engine.competition_ranks(dict(NodeResult.objects.filter(
        index=index, node__level=0).values_list("province__code", "percent")))
    common = sorted(set(current) & set(previous.ranks))
    expected = np.corrcoef(pd.Series([previous.ranks[c] for c in common]).rank(),
                           pd.Series([current[c] for c in common]).rank())[0, 1]
    client.force_login(review_2025["reviewer"])
    _, html = page(client, "mini-par-2025")
    assert (f"<strong>{expected:.2f}</strong> trên {len(common)} tỉnh, thành phố".replace(
        ".", ",") in html)
    assert len(common) == 34 and "theo bảng chuyển đổi địa giới" in html
    movers = html[html.index('id="year-movers"'):]
    assert movers.count("<tr><td>") == min(5, sum(current[c] != previous.ranks[c]
                                                  for c in common))


def test_an_index_without_results_shows_an_empty_audit(review, client):
    NodeResult.objects.filter(index__code="mini-sipas").delete()
    client.force_login(review["reviewer"])
    _, html = page(client, "mini-sipas", **{"w-POL": "1", "w-SRV": "1"})
    assert 'id="heatmap"' not in html and "Không có năm trước để so sánh." in html
    assert '<tr data-province' not in html[html.index('id="what-if-results"'):]


def test_the_scenario_service_refuses_what_the_form_would_not_send(review):
    index = Index.objects.get(code="mini-par")
    refusals = [
        ({"1": Decimal(1)}, [], "bad_weights"),  # area 2 has no weight
        ({"1": Decimal(1), "2": Decimal(-1)}, [], "bad_weights"),
        ({"1": Decimal(0), "2": Decimal(0)}, [], "bad_weights"),
        ({"1": Decimal(1), "2": Decimal(1), "9": Decimal(1)}, [], "bad_weights"),
        ({"1": Decimal(1), "2": Decimal(1)}, ["9.9"], "unknown_criterion"),
    ]
    for weights, dropped, problem in refusals:
        with pytest.raises(ScenarioRefused) as refused:
            save_scenario(index=index, name="x", weights=weights, dropped=dropped,
                          user=review["reviewer"])
        assert refused.value.problem == ScenarioProblem(problem)
    with pytest.raises(ScenarioRefused) as refused:
        save_scenario(index=index, name=" " * 3, weights={"1": Decimal(1), "2": Decimal(1)},
                      dropped=[], user=review["reviewer"])
    assert refused.value.problem == ScenarioProblem.NO_NAME
    assert not AuditScenario.objects.exists()
    assert not AuditEvent.objects.filter(action="scenario").exists()


def test_the_heat_map_colours_each_pair_and_escapes_names():
    svg = str(charts.heatmap(["1.1", "1.2"], [[1.0, -0.5], [-0.5, None]], title="<T>",
                             names={"1.1": "A & B"}))
    assert svg.count("<rect") == 4 + 5  # the cells and the legend's five colours
    assert 'fill="#8b1e1e"' in svg  # +1, the brand red
    # −0.5, half way from white to blue (31, 78, 160): 143, 166.5 → 166 (to even), 207.5 → 208
    assert 'fill="#8fa6d0"' in svg
    assert 'fill="#d9d9d9"' in svg  # no value
    assert "&lt;T&gt;" in svg and "A &amp; B" in svg and "1.1 × 1.2: -0,50" in svg

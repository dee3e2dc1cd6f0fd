"""The index audit in a browser, on the bundled PAR Index 2024 and a small demo dataset.

A reviewer opens the audit from the ranking, gives area 1 more weight in the what-if
explorer, reads a province's new rank (worked out here from the stored criterion points
with the pure what-if, not through the page's code) and downloads the audit as XLSX.
"""

from fractions import Fraction

import openpyxl
import pytest

from scoring.models import Node, NodeResult
from scoring.rules import engine, index_audit
from scoring.rules.index_audit import CriterionValue
from tests.browser.helpers import DESKTOP, INDEX, shoot, sign_in

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

AREA, WEIGHT = "1", "30"  # area 1 (9.5 points in the definition) made worth 30


def expected_what_if(index) -> index_audit.WhatIf:
    """The scenario from the stored results: criteria points and maxima, totals for ranks."""
    provinces: dict[str, dict[str, CriterionValue]] = {}
    for province, code, area, exact, maximum in NodeResult.objects.filter(
            index=index, node__level=2).values_list(
            "province__code", "node__code", "node__parent__code", "points_exact",
            "node__max_points"):
        provinces.setdefault(province, {})[code] = CriterionValue(area, Fraction(exact),
                                                                  Fraction(maximum))
    ranks = engine.competition_ranks(dict(NodeResult.objects.filter(
        index=index, node__level=0).values_list("province__code", "percent")))
    weights = {code: Fraction(maximum) for code, maximum in Node.objects.filter(
        index=index, level=1).values_list("code", "max_points")}
    weights[AREA] = Fraction(WEIGHT)
    return index_audit.what_if(provinces, weights, ranks, percent_scale=False)


def test_a_reviewer_reweights_an_area_reads_the_new_rank_and_downloads_the_audit(
        demo, new_context, tmp_path):
    index, base = demo["index"], demo["url"]
    expected = expected_what_if(index)
    assert len(expected.rows) == 63 and expected.moved > 0
    mover = next(r for r in sorted(expected.rows, key=lambda r: r.province) if r.shift)

    page = new_context(DESKTOP).new_page()
    sign_in(page, base, "reviewer")
    page.goto(f"{base}/review/{INDEX}/ranking/")
    with page.expect_navigation():
        page.click(f'a[href="/review/{INDEX}/index-audit/"]')
    assert page.inner_text("main h1").startswith("Kiểm định chỉ số")
    assert page.locator("#weights-total tbody tr").count() == 8
    assert page.locator("#weights-appraisal").is_visible()
    assert page.locator("#weights-survey").is_visible()
    assert page.locator("#heatmap svg rect").count() >= 38 * 38

    page.fill(f"#id_w-{AREA}", WEIGHT)
    with page.expect_navigation():
        page.click("#what-if-run")
    row = page.locator(f'#what-if-results tr[data-province="{mover.province}"]')
    assert row.locator("td.new-rank").inner_text() == str(mover.rank)
    shift = row.locator("td.shift").inner_text()
    assert shift == (f"+{mover.shift}" if mover.shift > 0 else f"−{-mover.shift}")
    mean = f"{expected.mean_shift:.2f}".replace(".", ",")
    assert f"{mean} bậc; {expected.moved} tỉnh thay đổi hạng" in page.inner_text(
        "#mean-rank-shift")
    shoot(page, "review-index-audit.png")

    with page.expect_download() as info:
        page.click("#download-xlsx")
    download = info.value
    assert download.suggested_filename == f"{INDEX}-index-audit-current.xlsx"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames[0] == "summary" and book.sheetnames[-1] == "Giải thích - Columns"
    summary = dict(book["summary"].iter_rows(min_row=2, values_only=True))
    assert summary["provinces"] == 63
    assert summary["what_if_mean_absolute_rank_shift"] == round(expected.mean_shift, 4)
    assert summary["what_if_provinces_moved"] == expected.moved
    what_if = {r[0]: r for r in book["what_if"].iter_rows(min_row=2, values_only=True)}
    assert what_if[mover.province][3:] == (mover.rank, mover.published_rank, mover.shift)
    assert what_if[mover.province][2] == float(engine.round2(mover.percent))
    weights = [r for r in book["effective_weights"].iter_rows(min_row=2, values_only=True)
               if r[0] == "total"]
    assert [r[1] for r in weights] == [str(i) for i in range(1, 9)]
    assert sum(r[4] for r in weights) == pytest.approx(100.0, abs=0.05)
    book.close()

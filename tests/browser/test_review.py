"""The review side in a browser, on the bundled PAR Index 2024 and a small demo dataset.

A reviewer signs in, filters the national ranking to a region, drills a province down to the
answers behind a survey component and downloads the tables as XLSX; a province officer enters
a self-assessed score with its evidence and is refused another province.
"""

import io
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import parse_qs, urlparse

import openpyxl
import pytest
from django.core.management import call_command
from django.utils import timezone

from scoring.models import (
    AssessmentChange,
    AuditEvent,
    Index,
    Interval,
    Node,
    NodeResult,
    QualityFlag,
    RankInterval,
)
from surveys.models import Answer, Province, Submission
from tests.browser.helpers import DESKTOP, INDEX, OFFICER_PROVINCE, shoot, sign_in

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

REGION = "TN"  # Tây Nguyên: 5 provinces
COMPONENT = ("1", "1.4", "1.4.2")  # area → criterion → a survey component with two sources
OTHER_PROVINCE = "75"  # the demo's officer is of OFFICER_PROVINCE, 74
SELF_ASSESSED = "1.1.2"  # an appraisal component worth 2 points
TOTAL_COLUMNS = ["province_code", "province_name", "points", "max_points", "percent", "rank",
                 "group", "delta_points", "delta_rank", "delta_basis"]
# the XLSX puts the province's and the node's names beside the spec's columns
NODE_COLUMNS = ["province_code", "province_name", "code", "name", "points", "max_points",
                "percent", "flags"]
CENT = Decimal("0.01")


def ranking_rows(page) -> dict[str, list[str]]:
    """The ranking table as province code -> cell texts, in the order shown."""
    return dict(page.eval_on_selector_all(
        "#ranking tbody tr[data-province]",
        "trs => trs.map(tr => [tr.dataset.province, [...tr.cells].map(c => c.innerText.trim())])"))


ROW_TEXTS = "trs => trs.map(tr => [...tr.cells].map(c => c.innerText.trim()))"


RULE_VI = {"scaled_mean": "Trung bình quy đổi", "top_box": "Tỷ lệ hài lòng",
           "option_fraction": "Tỷ lệ theo phương án"}


def cells(page, selector: str) -> list[list[str]]:
    """The cell texts of the table rows matching `selector`."""
    return page.eval_on_selector_all(selector, ROW_TEXTS)


def two(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def vi(value: Decimal) -> str:
    """A number as the form fields show it: a decimal point, whatever the language."""
    return str(value)


def shown_number(text: str) -> Decimal:
    """A number as a Vietnamese page shows it (a decimal comma), as a Decimal."""
    assert "." not in text, text
    return Decimal(text.replace(",", "."))


def comma(value) -> str:
    """A value as a Vietnamese page writes it."""
    return str(value).replace(".", ",")


def signed(text: str) -> Decimal | None:
    """A change as shown on the page (+1,20, −0,35, 0,00, – for none)."""
    return None if text == "–" else shown_number(text.replace("−", "-"))


def competition_ranks(percents: dict[str, Decimal]) -> dict[str, int]:
    """1 + the number of provinces with a strictly higher (shown) percent."""
    return {code: 1 + sum(other > value for other in percents.values())
            for code, value in percents.items()}


def xlsx_rows(download, tmp_path) -> list[list]:
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    book = openpyxl.load_workbook(path)  # not read-only: empty trailing cells read as None
    sheet, explained, *_ = book.worksheets
    assert explained.title == "Giải thích - Columns"
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    book.close()
    return rows


def expected_distribution(province: Province, node: Node) -> dict[str, list[list[str]]]:
    """Per source question, from the raw answers: [value · label, count, share of valid]."""
    out = {}
    for source in node.sources.select_related("question__questionnaire", "question__scale"):
        question = source.question
        counts = Counter(Answer.objects.filter(
            question=question, submission__province=province, submission__excluded=False,
        ).values_list("option_value", flat=True))
        options = list(question.scale.options.order_by("position"))
        valid = sum(counts[o.value] for o in options if o.substantive)
        out[f"{question.questionnaire.code} · {question.code}"] = [
            [f"{o.value} · {o.label_vi}", str(counts[o.value]),
             comma(f"{two(Decimal(100 * counts[o.value]) / valid)}%") if o.substantive and valid
             else "không tính"]
            for o in options
        ]
    return out


def test_a_reviewer_filters_the_ranking_drills_a_province_down_and_downloads_xlsx(
        demo, new_context, tmp_path):
    index, reviewer, base = demo["index"], demo["reviewer"], demo["url"]
    totals = {r.province.code: r for r in NodeResult.objects.filter(
        index=index, node__level=0).select_related("province")}
    assert len(totals) == 63
    page = new_context(DESKTOP).new_page()
    sign_in(page, base, "reviewer")
    with page.expect_navigation():
        page.click(f'a[href="/review/{INDEX}/ranking/"]')
    assert page.inner_text("main h1") == index.title

    # the national ranking: 63 provinces, the numbers of the stored results, ranked by them
    national = ranking_rows(page)
    assert len(national) == 63
    # par-2024 is out of 100 points: one total column, points and percent being the same
    shown = {code: shown_number(row[2]) for code, row in national.items()}
    assert shown == {code: two(r.percent) for code, r in totals.items()}
    assert {code: int(row[0]) for code, row in national.items()} == competition_ranks(shown)
    assert [int(row[0]) for row in national.values()] == sorted(competition_ranks(shown).values())
    assert {code: row[1] for code, row in national.items()} == {
        code: r.province.name_vi for code, r in totals.items()}
    shoot(page, "review-ranking.png")

    # the Region filter keeps the region's provinces, with their national ranks
    region = set(index.province_set.provinces.filter(region_code=REGION)
                 .values_list("code", flat=True))
    assert len(region) == 5
    page.select_option("#region", REGION)
    assert page.locator("#region option:checked").inner_text() == "Tây Nguyên"
    with page.expect_navigation():
        page.click("main form[method=get] button[type=submit]")
    assert parse_qs(urlparse(page.url).query)["region"] == [REGION]
    assert page.locator("#region").input_value() == REGION
    filtered = ranking_rows(page)
    assert set(filtered) == region
    assert filtered == {code: national[code] for code in filtered}  # ranks stay national
    ranks = [int(row[0]) for row in filtered.values()]
    assert ranks == sorted(ranks) and ranks != list(range(1, len(ranks) + 1))

    # a province from the table, drilled down to the answers behind a survey component
    code = next(iter(filtered))  # the region's best
    province = Province.objects.get(province_set=index.province_set, code=code)
    with page.expect_navigation():
        page.click(f'#ranking tr[data-province="{code}"] a')
    assert urlparse(page.url).path == f"/review/{INDEX}/province/{code}/"
    assert page.inner_text("main h1").startswith(province.name_vi)
    assert page.inner_text("#province-total") == national[code][2]
    component = COMPONENT[-1]
    leaf = f'details[id="node-{component}"]'
    assert page.locator(f"{leaf} table.distribution").first.is_hidden()
    for node_code in COMPONENT:
        page.click(f'details[id="node-{node_code}"] > summary')
        assert page.get_attribute(f'details[id="node-{node_code}"]', "open") is not None
    node = index.nodes.get(code=component)
    assert (node.method, node.sources.count()) == ("survey", 2)
    result = NodeResult.objects.get(index=index, province=province, node=node)
    assert page.inner_text(f"{leaf} > summary .pct") == comma(f"{two(result.percent)}%")
    assert page.inner_text(f"{leaf} > div > p") == (
        f"Điều tra xã hội học · {RULE_VI[node.rule]} · {result.valid_answers} câu trả lời hợp lệ")
    tables = page.locator(f"{leaf} table.distribution")
    assert tables.count() == 2
    expected = expected_distribution(province, node)
    got = {}
    for i in range(tables.count()):
        table = tables.nth(i)
        assert table.is_visible()
        caption = table.locator("caption").inner_text().split(":")[0]
        got[caption] = table.locator("tbody tr").evaluate_all(ROW_TEXTS)
    assert got == expected
    assert result.valid_answers == sum(
        int(row[1]) for rows in expected.values() for row in rows if row[2] != "không tính")
    assert result.valid_answers > 0
    shoot(page, "review-province.png")

    # the component table as XLSX, from the province page
    with page.expect_download() as download_info:
        page.click(f'main a[href="/review/{INDEX}/download/component.xlsx?version=current"]')
    download = download_info.value
    assert download.suggested_filename == f"{INDEX}-component-current.xlsx"
    rows = xlsx_rows(download, tmp_path)
    assert rows[0] == NODE_COLUMNS
    assert len(rows) == 1 + 63 * index.nodes.filter(level=3).count() == 1 + 63 * 88
    [row] = [r for r in rows[1:] if (r[0], r[2]) == (code, component)]
    node = index.nodes.get(code=component)
    assert row == [code, province.name_vi, component, node.name_vi, float(two(result.points)),
                   float(result.max_points), float(two(result.percent)), None]

    # the national total as XLSX, from the ranking page: the same numbers as its table
    page.go_back()
    assert urlparse(page.url).path == f"/review/{INDEX}/ranking/"
    with page.expect_download() as download_info:
        page.click("#download-xlsx")
    download = download_info.value
    assert download.suggested_filename == f"{INDEX}-total-current.xlsx"
    rows = xlsx_rows(download, tmp_path)
    assert rows[0] == TOTAL_COLUMNS
    assert [r[0] for r in rows[1:]] == list(national)  # every province, in rank order
    for r in rows[1:]:
        rank, name, total, group, delta, delta_rank = national[r[0]]
        assert r[1:] == [name, float(shown_number(total)), 100.0, float(shown_number(total)),
                         int(rank), group, float(signed(delta)), int(signed(delta_rank)),
                         "same_set"], r
    [row] = [r for r in rows[1:] if r[0] == code]
    total = totals[code]
    assert row[:6] == [code, province.name_vi, float(two(total.points)), 100.0,
                       float(two(total.percent)), int(national[code][0])]

    events = list(AuditEvent.objects.filter(action=AuditEvent.Action.DOWNLOAD)
                  .order_by("pk").values_list("user", "detail"))
    assert events == [
        (reviewer.pk, {"index": INDEX, "level": "component", "format": "xlsx",
                       "version": "current", "rows": 63 * 88, "intervals": False,
                       "provinces": "all"}),
        (reviewer.pk, {"index": INDEX, "level": "total", "format": "xlsx",
                       "version": "current", "rows": 63, "intervals": False,
                       "provinces": "all"}),
    ]


def test_a_province_officer_self_assesses_with_evidence_and_is_refused_another_province(
        demo, new_context):
    index, officer, base = demo["index"], demo["officer"], demo["url"]
    own = index.province_set.provinces.get(code=OFFICER_PROVINCE)
    node = index.nodes.get(code=SELF_ASSESSED)
    assessment = node.assessments.get(province=own)
    old_self, old_appraised = assessment.self_score, assessment.appraised_score
    new_score, evidence = Decimal("1.35"), "https://binhduong.gov.vn/cchc/2024/ke-hoach-cchc.pdf"
    assert (node.method, node.max_points) == ("appraisal", Decimal("2.00"))
    assert old_self != new_score and not assessment.evidence
    assert not AssessmentChange.objects.exists()

    page = new_context(DESKTOP).new_page()
    sign_in(page, base, "officer74")
    # the review home is the officer's own province, for every index of its set
    assert page.inner_text("main h1") == own.name_vi
    links = page.eval_on_selector_all("main .list-group a", "as => as.map(a => a.pathname)")
    of_the_set = Index.objects.filter(province_set=own.province_set)
    assert sorted(links) == sorted(
        [f"/review/{i.code}/province/{own.code}/" for i in of_the_set]
        + [f"/review/{i.code}/province/{own.code}/assessments/"
           for i in of_the_set.filter(kind="par")])

    with page.expect_navigation():
        page.click(f'a[href="/review/{INDEX}/province/{own.code}/assessments/"]')
    assert page.inner_text("main h1") == f"Tự đánh giá: {own.name_vi}"
    assert cells(page, "#history tbody tr") == [["Chưa có thay đổi."]]
    score, note = f"#score-{node.pk}", f"#note-{node.pk}"
    assert page.input_value(score) == vi(old_self)  # a decimal point in the field, as in the table
    page.fill(score, vi(new_score))
    page.fill(note, evidence)
    with page.expect_navigation():
        page.click("main form[method=post] button[type=submit]")

    assert urlparse(page.url).path == f"/review/{INDEX}/province/{own.code}/assessments/"
    assert page.inner_text("main .alert-success") == "Đã lưu: thay đổi 1 điểm và 1 ghi chú."
    assert page.input_value(score) == vi(new_score)
    assert page.input_value(note) == evidence
    row = cells(page, f'tr[id="component-{SELF_ASSESSED}"]')[0]
    assert row[1:4] == ["2,00", comma(new_score), comma(old_appraised)]
    change, note_change = AssessmentChange.objects.order_by("pk")
    assert (change.assessment_id, change.field, change.old_value, change.new_value,
            change.changed_by, change.via) == (
        assessment.pk, "self_score", old_self, new_score, officer, "web")
    assert (note_change.field, note_change.old_text, note_change.new_text) == (
        "evidence", "", evidence)
    when = timezone.localtime(change.changed_at).strftime("%d/%m/%Y %H:%M:%S")
    assert cells(page, "#history tbody tr") == [
        [when, "officer74", SELF_ASSESSED, "minh chứng", f"«» → «{evidence}»", "trang web"],
        [when, "officer74", SELF_ASSESSED, "tự đánh giá", comma(f"{old_self} → {new_score}"),
         "trang web"]]
    assessment.refresh_from_db()
    assert (assessment.self_score, assessment.appraised_score, assessment.evidence) == (
        new_score, old_appraised, evidence)
    assert AuditEvent.objects.filter(action=AuditEvent.Action.SCORE_CHANGED, user=officer,
                                     detail__province=own.code).count() == 1

    # their own province's profile opens; another province's pages and the ranking do not
    assert page.goto(f"{base}/review/{INDEX}/province/{own.code}/").status == 200
    total = NodeResult.objects.get(index=index, province=own, node__level=0)
    assert page.inner_text("#province-total") == comma(two(total.percent))
    for path in (f"/review/{INDEX}/province/{OTHER_PROVINCE}/",
                 f"/review/{INDEX}/province/{OTHER_PROVINCE}/assessments/",
                 f"/review/{INDEX}/ranking/"):
        response = page.goto(f"{base}{path}")
        assert response.status == 403, path


def test_the_ranking_shows_intervals_and_groups_and_a_reviewer_excludes_a_flagged_answer(
        demo, new_context):
    """Bootstrap intervals on the ranking page; a flagged submission excluded from the counts."""
    call_command("compute_intervals", "--index", INDEX, "--replicates", "60",
                 stdout=io.StringIO())
    page = new_context(DESKTOP).new_page()
    sign_in(page, demo["url"], "reviewer")
    page.goto(f"{demo['url']}/review/{INDEX}/ranking/")
    header = page.eval_on_selector_all("#ranking thead th", "ths => ths.map(t => t.innerText)")
    assert header[-3:] == ["Khoảng tin cậy 95% (điểm)", "Khoảng hạng (95%)",
                           "Không phân biệt được"]
    run = RankInterval.objects.filter(run__index=demo["index"]).select_related("province")
    totals = {i.province_id: i for i in Interval.objects.filter(
        run__index=demo["index"], node__level=0)}
    shown = ranking_rows(page)
    for interval in run:
        row = shown[interval.province.code]
        total = totals[interval.province_id]
        assert row[-2] == f"{interval.low}–{interval.high}"
        assert row[-1] == f"nhóm {interval.group}"
        small = "*" if total.method == "wilson" else ""  # a small sample's Wilson interval
        assert row[-3] == comma(f"{two(total.low)}–{two(total.high)}") + small
    shoot(page, "ranking-intervals-vi.png")
    page.goto(f"{demo['url']}/review/{INDEX}/precision/")
    assert page.locator("#design").inner_text() == \
        "Đã lấy mẫu lại: lấy mẫu lại người trả lời trong từng tỉnh và từng bảng hỏi."
    methods = page.eval_on_selector_all("#precision td[data-method]",
                                        "tds => tds.map(t => t.dataset.method)")
    assert len(methods) == 63 and set(methods) <= {"bootstrap", "wilson"}
    page.click("text=Cách tính các khoảng này")
    assert page.locator("#method h2").first.is_visible()
    page.go_back()
    shoot(page, "precision-intervals-vi.png")

    # A straight-liner, flagged, then excluded from the page: the province's results change.
    submission = Submission.objects.filter(province__code=OFFICER_PROVINCE,
                                           questionnaire__code="sipas-2024").order_by("pk").first()
    QualityFlag.objects.create(submission=submission, reason="straight_liner",
                               detail="same answer to 30 of 31 scale questions in a row")
    before = NodeResult.objects.get(index__code="sipas-2024", province__code=OFFICER_PROVINCE,
                                    node__level=0).percent_exact
    page.goto(f"{demo['url']}/review/sipas-2024/quality/{OFFICER_PROVINCE}/")
    row = page.locator(f"tr[data-submission='{submission.key}']")
    row.locator("input[name=note]").fill("cùng một đáp án")
    with page.expect_navigation():
        row.locator("button[value=exclude]").click()
    assert "Đã loại" in page.locator(f"tr[data-submission='{submission.key}']").inner_text()
    submission.refresh_from_db()
    assert submission.excluded
    after = NodeResult.objects.get(index__code="sipas-2024", province__code=OFFICER_PROVINCE,
                                   node__level=0).percent_exact
    assert after != before
    event = AuditEvent.objects.get(action="excluded")
    assert event.detail["reasons"] == ["straight_liner"] and event.detail["note"] == \
        "cùng một đáp án"

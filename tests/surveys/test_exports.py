"""The raw submissions export: dates only for citizens, formulas neutralised, streamed."""

import csv
import io

from django.core.management import call_command

HEADER = "submission_id,province_code,submitted_at,U01,Q01,Q02,Q03,Z01,N01,T01\n"


def test_citizen_export_shows_dates_and_neutralises_formulas(mini_questionnaire, tmp_path):
    (tmp_path / "s.csv").write_text(
        HEADER + 's1,74,2024-09-02T01:30:00+07:00,1,5,4,3,1|3,2,"=HYPERLINK(""http://x"",""y"")"\n'
        "s2,01,2024-09-02T08:00:00+07:00,2,4,,,,,+cmd|' /C calc'!A0\n"
        "@s3,01,,2,4,,,,,Tốt\n", encoding="utf-8")
    call_command("import_submissions", str(tmp_path / "s.csv"), "--questionnaire",
                 "mini-citizens", stdout=io.StringIO())
    out = tmp_path / "export.csv"
    call_command("export_submissions", "--questionnaire", "mini-citizens", "-o", str(out))
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert rows[0] == ["submission_id", "province_code", "submitted_on", "U01", "Q01", "Q02",
                       "Q03", "Z01", "N01", "T01"]
    # the local date, though it was still 2024-09-01 in UTC
    assert rows[1] == ["s1", "74", "2024-09-02", "1", "5", "4", "3", "1|3", "2",
                       "'=HYPERLINK(\"http://x\",\"y\")"]
    assert rows[2] == ["s2", "01", "2024-09-02", "2", "4", "", "", "", "",
                       "'+cmd|' /C calc'!A0"]
    assert rows[3][0] == "'@s3" and rows[3][2].count("-") == 2 and "T" not in rows[3][2]


def test_without_a_file_the_export_goes_to_standard_output_and_leaves_it_open(
        mini_questionnaire, capsys):
    import sys

    call_command("export_submissions", "--questionnaire", "mini-citizens")
    assert not sys.stdout.closed
    assert capsys.readouterr().out == ("\ufeffsubmission_id,province_code,submitted_on,"
                                       "U01,Q01,Q02,Q03,Z01,N01,T01\n")

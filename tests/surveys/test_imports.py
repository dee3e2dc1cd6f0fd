"""import_submissions (spec §8): all or nothing, every problem as `line N, column X: why`."""

import pytest
from django.core.management import CommandError, call_command

from surveys.models import Answer, Submission

HEADER = "submission_id,province_code,submitted_at,U01,Q01,Q02,Q03,Z01,N01,T01\n"
GOOD = "a1,74,2024-09-01,1,5,4,3,1|2,3,Tốt\n"


def run_import(tmp_path, body: str | bytes, header: str = HEADER):
    path = tmp_path / "subs.csv"
    data = body if isinstance(body, bytes) else (header + body).encode("utf-8")
    path.write_bytes(data)
    call_command("import_submissions", str(path), "--questionnaire", "mini-citizens")
    return path


BAD_FILES = [
    ("unknown province", GOOD + "a2,99,,1,5,4,3,,,\n",
     ["line 3, column province_code: unknown province '99'"]),
    ("value outside the scale", GOOD + "a2,74,,1,6,4,3,,,\n",
     ["line 3, column Q01: 6 is not one of the options (1, 2, 3, 4, 5, 9)"]),
    ("text in a scale cell", GOOD + "a2,74,,1,good,4,3,,,\n",
     ["line 3, column Q01: 'good' is not an option value"]),
    ("missing required answer", GOOD + "a2,74,,1,,4,3,,,\n",
     ["line 3, column Q01: an answer is required"]),
    ("answer to a hidden question", GOOD + "a2,74,,2,5,4,3,,,\n",
     ["line 3, column Q02: is not asked when U01 is not one of 1"]),
    ("number above max", GOOD + "a2,74,,1,5,4,3,,21,\n",
     ["line 3, column N01: 21 is above the maximum 20"]),
    ("multi choice repeated", GOOD + "a2,74,,1,5,4,3,2|2,,\n",
     ["line 3, column Z01: an option is chosen twice"]),
    ("bad date", GOOD + "a2,74,yesterday,1,5,4,3,,,\n",
     ["line 3, column submitted_at: 'yesterday' is not an ISO 8601 date or time"]),
    ("same id twice with other answers", GOOD + "a1,74,,1,4,4,3,,,\n",
     ["line 3, column submission_id: 'a1' is also on line 2 with other answers"]),
    ("id too long", GOOD + "x" * 65 + ",74,,1,5,4,3,,,\n",
     ["line 3, column submission_id: is 65 characters long; the limit is 64"]),
    ("short row", GOOD + "a2,74,,1,5\n", ["line 3: has 5 cells; the header has 10"]),
    ("several problems", GOOD + "a2,99,,1,6,4,3,,,\na3,74,,1,5,,,,,\n",
     ["line 3, column province_code: unknown province '99'",
      "line 3, column Q01: 6 is not one of the options (1, 2, 3, 4, 5, 9)",
      "line 4, column Q02: an answer is required"]),
]


@pytest.mark.parametrize(("body", "problems"), [c[1:] for c in BAD_FILES],
                         ids=[c[0] for c in BAD_FILES])
def test_bad_submissions_file_is_rejected_whole(mini_questionnaire, tmp_path, capsys, body,
                                                problems):
    with pytest.raises(CommandError) as exc:
        run_import(tmp_path, body)
    path = tmp_path / "subs.csv"
    n = len(problems)
    assert str(exc.value) == (f"{path} rejected: {n} problem{'s' if n != 1 else ''}; "
                              "nothing was written")
    assert capsys.readouterr().err.splitlines() == [f"{path}: {p}" for p in problems]
    assert (Submission.objects.count(), Answer.objects.count()) == (0, 0)


@pytest.mark.parametrize(("header", "problems"), [
    ("submission_id,province_code,submitted_at,Q01,Q77\n",
     ["line 1, column Q77: unknown column"]),
    ("submission_id,submitted_at,Q01\n", ["line 1: the column province_code is missing"]),
    ("submission_id,province_code,submitted_at,Q01,Q01\n", ["line 1, column Q01: appears twice"]),
], ids=["unknown question", "missing column", "duplicate column"])
def test_wrong_header_is_rejected(mini_questionnaire, tmp_path, capsys, header, problems):
    with pytest.raises(CommandError):
        run_import(tmp_path, "", header=header)
    path = tmp_path / "subs.csv"
    assert capsys.readouterr().err.splitlines() == [f"{path}: {p}" for p in problems]
    assert Submission.objects.count() == 0


def test_file_that_is_not_utf8_is_rejected(mini_questionnaire, tmp_path, capsys):
    row = "a1,74,,1,5,4,3,,,Hu"
    with pytest.raises(CommandError):
        run_import(tmp_path, (HEADER + row + "\xe9\n").encode("latin-1"))
    offset = len(HEADER) + len(row)
    assert capsys.readouterr().err.strip().endswith(f"line 2: not UTF-8 text (byte {offset})")
    assert Submission.objects.count() == 0


def test_reimport_is_a_no_op_and_other_answers_under_the_same_id_are_refused(
        mini_questionnaire, tmp_path, capsys):
    run_import(tmp_path, GOOD)
    assert capsys.readouterr().out.endswith("1 rows, 1 new submissions, 0 already present\n")
    run_import(tmp_path, GOOD)
    assert capsys.readouterr().out.endswith("1 rows, 0 new submissions, 1 already present\n")
    with pytest.raises(CommandError):
        run_import(tmp_path, GOOD.replace(",5,4,", ",4,4,"))
    assert capsys.readouterr().err.splitlines()[-1].endswith(
        "line 2, column submission_id: 'a1' was already recorded with other answers")
    assert Submission.objects.count() == 1
    stored = {(a.question.code, a.option_value, a.number_value, a.text_value)
              for a in Answer.objects.select_related("question")}
    assert stored == {("U01", 1, None, ""), ("Q01", 5, None, ""), ("Q02", 4, None, ""),
                      ("Q03", 3, None, ""), ("Z01", 1, None, ""), ("Z01", 2, None, ""),
                      ("N01", None, 3, ""), ("T01", None, None, "Tốt")}

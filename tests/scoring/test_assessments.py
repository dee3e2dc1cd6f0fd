"""import_assessments (spec §8): all or nothing, with the history of every change."""

import pytest
from django.core.management import CommandError, call_command

from scoring.models import Assessment, AssessmentChange
from scoring.services.definitions import load_index
from tests.helpers import fixture_text

HEADER = "province_code,component_code,self_score,appraised_score\n"


@pytest.fixture
def mini_par(mini_questionnaire):
    load_index(text=fixture_text("mini-par.yaml"))


def run_import(tmp_path, body, header=HEADER):
    path = tmp_path / "scores.csv"
    path.write_text(header + body, encoding="utf-8")
    call_command("import_assessments", str(path), "--index", "mini-par")
    return path


@pytest.mark.parametrize(("body", "problems"), [
    ("74,1.1.1,2.5,\n",
     ["line 2, column self_score: 2.5 is outside 0..2.00 (the component's max points)"]),
    ("74,1.1.1,1,-1\n",
     ["line 2, column appraised_score: -1 is outside 0..2.00 (the component's max points)"]),
    ("74,1.1.1,1.005,\n", ["line 2, column self_score: 1.005 has more than 2 decimals"]),
    ("74,1.1.1,abc,\n", ["line 2, column self_score: 'abc' is not a number"]),
    ("99,1.1.1,1,\n", ["line 2, column province_code: unknown province '99'"]),
    ("74,9.9.9,1,\n", ["line 2, column component_code: mini-par has no component '9.9.9'"]),
    ("74,1.1.2,1,\n",
     ["line 2, column component_code: 1.1.2 is scored from surveys, not appraised"]),
    ("74,1.1.1,1,\n74,1.1.1,2,\n", ["line 3: 74 / 1.1.1 is also on line 2"]),
], ids=["self above max", "negative appraised", "three decimals", "not a number",
        "unknown province", "unknown component", "survey component", "duplicate row"])
def test_bad_assessments_file_is_rejected_whole(mini_par, tmp_path, capsys, body, problems):
    with pytest.raises(CommandError):
        run_import(tmp_path, "01,1.2.1,1,1\n" + body.replace("line 2", "line 3"))
    path = tmp_path / "scores.csv"
    shifted = [p.replace("line 3", "line 4").replace("line 2", "line 3") for p in problems]
    assert capsys.readouterr().err.splitlines() == [f"{path}: {p}" for p in shifted]
    assert (Assessment.objects.count(), AssessmentChange.objects.count()) == (0, 0)


def test_wrong_header_is_rejected(mini_par, tmp_path, capsys):
    with pytest.raises(CommandError):
        run_import(tmp_path, "74,1.1.1,1\n", header="province,component_code,self_score\n")
    path = tmp_path / "scores.csv"
    assert capsys.readouterr().err.splitlines() == [
        f"{path}: line 1: the column province_code is missing",
        f"{path}: line 1: the column appraised_score is missing",
        f"{path}: line 1, column province: unknown column",
    ]


def test_a_later_import_updates_scores_and_keeps_history(mini_par, tmp_path, capsys):
    run_import(tmp_path, "74,1.1.1,2,\n")
    run_import(tmp_path, "74,1.1.1,,1.5\n")  # an empty cell leaves the self score alone
    run_import(tmp_path, "74,1.1.1,1.75,1.25\n")
    assert capsys.readouterr().out.splitlines()[-1].endswith("1 rows, 2 scores changed")
    assessment = Assessment.objects.get()
    assert (assessment.self_score, assessment.appraised_score) == (1.75, 1.25)
    history = [(c.field, c.old_value, c.new_value, c.via)
               for c in AssessmentChange.objects.order_by("pk")]
    assert history == [("self_score", None, 2, "import"), ("appraised_score", None, 1.5, "import"),
                       ("self_score", 2, 1.75, "import"), ("appraised_score", 1.5, 1.25, "import")]

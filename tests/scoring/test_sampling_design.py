"""Sampling design as data: PSU and stratum on submissions, population counts, and intervals
that say which design they come from."""

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from scoring.models import Index, Interval, PopulationCount, UncertaintyRun
from scoring.selectors import export_rows
from scoring.selectors.precision import latest_run, with_intervals
from surveys.intake import issue_invitations
from surveys.models import Invitation, Province, Questionnaire, Submission

URL = "/api/v1/submissions"
ANSWERS = {"U01": 1, "Q01": 5, "Q02": 4, "Q03": 9, "Z01": [1, 3], "N01": 2, "T01": "Tốt"}


def post(client, **changes):
    body = {"submission_id": "k-1", "questionnaire": "mini-citizens", "province": "74",
            "answers": dict(ANSWERS), **changes}
    return client.post(URL, data=json.dumps(body), content_type="application/json")


def sampling(mode):
    Questionnaire.objects.filter(code="mini-citizens").update(sampling_units=mode)


def test_the_api_takes_psu_and_stratum_as_the_questionnaire_says(client, mini_questionnaire):
    refused = post(client, psu="26734")  # the definition records no sampling unit
    assert refused.status_code == 400
    assert refused.json() == {"errors": [{"field": "psu", "code": "invalid_answers",
                                          "message": "this questionnaire records no sampling "
                                                     "unit",
                                          "reason": "sampling_invalid"}]}
    sampling("required")
    missing = post(client)
    assert missing.json()["errors"] == [{"field": "psu", "code": "invalid_answers",
                                         "message": "is required for this questionnaire",
                                         "reason": "sampling_invalid"}]
    bad = post(client, psu="xã 1", stratum="rural")
    assert bad.json()["errors"] == [{
        "field": "psu", "code": "invalid_answers",
        "message": "must be 1 to 32 letters, digits, '.', '_' or '-'",
        "reason": "sampling_invalid"}]
    assert Submission.objects.count() == 0
    assert post(client, psu="26734", stratum="rural").status_code == 201
    assert Submission.objects.values_list("psu", "stratum").get() == ("26734", "rural")


def test_a_link_issued_for_a_psu_gives_it_to_its_submission(client, mini_questionnaire):
    sampling("optional")
    questionnaire = Questionnaire.objects.get(code="mini-citizens")
    province = Province.objects.get(code="74", province_set=questionnaire.province_set)
    Questionnaire.objects.filter(pk=questionnaire.pk).update(audience="official")
    [token] = issue_invitations(questionnaire=questionnaire, province=province, count=1,
                                psu="26734", stratum="urban")
    assert Invitation.objects.values_list("psu", "stratum").get() == ("26734", "urban")
    assert post(client, token=token).status_code == 201
    assert Submission.objects.values_list("psu", "stratum").get() == ("26734", "urban")
    with pytest.raises(ValueError, match="must be 1 to 32"):
        issue_invitations(questionnaire=questionnaire, province=province, count=1, psu="a b")


def test_the_csv_import_takes_psu_and_stratum_columns(mini_questionnaire, tmp_path):
    sampling("optional")
    (tmp_path / "s.csv").write_text(
        "submission_id,province_code,submitted_at,psu,stratum,U01,Q01\n"
        "a,74,,26734,rural,2,4\nb,74,,,,2,5\nc,74,,x y,,2,3\n", encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("import_submissions", str(tmp_path / "s.csv"), "--questionnaire",
                     "mini-citizens", stdout=io.StringIO(), stderr=io.StringIO())
    assert Submission.objects.count() == 0  # line 4's unit is refused: nothing stored
    (tmp_path / "s.csv").write_text(
        "submission_id,province_code,submitted_at,psu,stratum,U01,Q01\n"
        "a,74,,26734,rural,2,4\nb,74,,,,2,5\n", encoding="utf-8")
    call_command("import_submissions", str(tmp_path / "s.csv"), "--questionnaire",
                 "mini-citizens", stdout=io.StringIO())
    assert sorted(Submission.objects.values_list("key", "psu", "stratum")) == [
        ("a", "26734", "rural"), ("b", "", "")]


def test_population_counts_load_whole_or_not_at_all(review, tmp_path):
    path = tmp_path / "n.csv"
    path.write_text("province_code,count\n74,4\n01,0\n99,5\n74,6\n", encoding="utf-8")
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("load_population", str(path), "--questionnaire", "mini-citizens",
                     stdout=io.StringIO(), stderr=err)
    text = err.getvalue()
    assert "line 3: count '0' is not a whole number of at least 1" in text
    assert "line 4: unknown province_code '99'" in text
    assert "line 5: province 74 appears twice (first on line 2)" in text
    assert not PopulationCount.objects.exists()
    path.write_text("province_code,count\n74,4\n01,40\n", encoding="utf-8")
    out = io.StringIO()
    call_command("load_population", str(path), "--questionnaire", "mini-citizens", stdout=out)
    assert out.getvalue().strip().endswith("2 population counts stored for mini-citizens")


def test_a_census_province_has_a_zero_width_interval_and_runs_name_their_design(review,
                                                                              tmp_path):
    index = Index.objects.get(code="mini-sipas")
    path = tmp_path / "n.csv"
    path.write_text("province_code,count\n74,4\n01,40\n", encoding="utf-8")  # 74: all 4 answered
    call_command("load_population", str(path), "--questionnaire", "mini-citizens",
                 stdout=io.StringIO())
    call_command("compute_intervals", "--index", "mini-sipas", "--replicates", "40",
                 stdout=io.StringIO())
    run = latest_run(index)
    assert run.design == "respondents"
    census = Interval.objects.filter(run=run, province__code="74")
    assert census.count() > 0
    assert set(census.values_list("method", flat=True)) <= {"census", "none"}
    assert all(i.low == i.high for i in census.exclude(method="none"))
    other = Interval.objects.get(run=run, province__code="01", node__level=0)
    assert other.method == "wilson" and other.low < other.high  # 2 of 40 answered
    header, rows = export_rows(index, "total")
    header, rows = with_intervals(index, "total", header, rows)
    cells = {r[0]: dict(zip(header, r, strict=True)) for r in rows}
    assert (cells["74"]["ci_method"], cells["74"]["ci_estimate"], cells["74"]["ci_design"]) == \
        ("census", "published", "")
    assert cells["74"]["ci_low"] == cells["74"]["ci_high"] == cells["74"]["percent"]
    assert cells["01"]["ci_method"] == "wilson"
    # the respondents of 74 get a commune: the next run resamples communes where recorded
    Submission.objects.filter(province__code="74").update(psu="26734", stratum="urban")
    call_command("compute_intervals", "--index", "mini-sipas", "--replicates", "40",
                 stdout=io.StringIO())
    run = latest_run(index)
    assert run.design == "mixed"
    assert UncertaintyRun.objects.filter(design="respondents").count() == 1
    # with communes recorded, the first stage's sampling fraction is unknown: no FPC
    assert Interval.objects.get(run=run, province__code="74", node__level=0).method == "wilson"


def test_the_questionnaire_file_says_whether_sampling_units_are_taken(db):
    from surveys.definitions import DefinitionInvalid
    from surveys.services import load_questionnaire
    from tests.helpers import fixture_text

    text = fixture_text("mini-citizens.yaml")
    with pytest.raises(DefinitionInvalid) as refused:
        load_questionnaire(text=text.replace("audience: citizen",
                                             "audience: citizen\nsampling_units: always"))
    assert [p.message for p in refused.value.problems] == \
        ["must be one of none, optional, required"]
    load_questionnaire(text=text.replace("audience: citizen",
                                         "audience: citizen\nsampling_units: required"))
    assert Questionnaire.objects.get(code="mini-citizens").sampling_units == "required"


def test_codes_are_issued_per_psu_by_command_and_a_bad_unit_issues_nothing(mini_questionnaire,
                                                                           tmp_path):
    from surveys.models import AccessCode

    with pytest.raises(CommandError, match="this questionnaire records no sampling unit"):
        call_command("generate_codes", "--questionnaire", "mini-citizens", "--province", "74",
                     "--count", "2", "--psu", "26734", "-o", str(tmp_path / "c.csv"),
                     stdout=io.StringIO())
    assert not AccessCode.objects.exists()
    sampling("optional")
    call_command("generate_codes", "--questionnaire", "mini-citizens", "--province", "74",
                 "--count", "2", "--psu", "26734", "--stratum", "rural",
                 "-o", str(tmp_path / "c.csv"), stdout=io.StringIO())
    assert list(AccessCode.objects.values_list("psu", "stratum")) == [("26734", "rural")] * 2

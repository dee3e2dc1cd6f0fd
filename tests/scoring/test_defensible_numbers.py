"""Data-quality flags, exclusions, bootstrap runs and survey weights on a database."""

import io
import re
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import F
from django.urls import reverse

from scoring.models import (
    AnswerTally,
    AuditEvent,
    Index,
    Interval,
    NodeResult,
    QualityFlag,
    RankInterval,
    Replicate,
    Role,
    SurveyWeight,
    WeightBounds,
    WeightedResult,
)
from scoring.rules import uncertainty, weighting
from scoring.selectors.precision import latest_run
from scoring.services import uncertainty as runs
from scoring.services.definitions import load_index
from scoring.services.quality import set_excluded
from scoring.services.tallies import rebuild_tallies
from scoring.services.weights import compute_weights
from surveys.models import Answer, Questionnaire, Submission
from surveys.services import load_questionnaire
from tests.helpers import dump, fixture_data, fixture_text, kept_for_the_module, make_user


def quiet(*args):
    call_command(*args, stdout=io.StringIO())


def tally_rows():
    return sorted(AnswerTally.objects.filter(count__gt=0).values_list(
        "province_id", "question_id", "value", "count"))


def total(index_code, province="74"):
    return NodeResult.objects.get(index__code=index_code, province__code=province,
                                  node__level=0).percent


def test_excluding_takes_a_submission_out_of_every_count_and_restoring_puts_it_back(
        review, client):
    before_tallies, before = tally_rows(), total("mini-sipas")
    s1 = Submission.objects.get(key="s1")  # 74: Q01 = 5, Q02 = 4 (top box), Q03 "don't know"
    client.force_login(review["reviewer"])
    profile = reverse("scoring:province", args=["mini-sipas", "74"])
    assert 'id="province-total">62,50<' in client.get(profile).content.decode()
    response = client.post(reverse("scoring:exclusion", args=[s1.pk]),
                           {"action": "exclude", "note": "kiosk test entry",
                            "next": "https://elsewhere.example/"})
    assert response.status_code == 302 and response.url == "/review/"  # no open redirect
    s1.refresh_from_db()
    assert s1.excluded
    # SIPAS 74 without s1: SP01 1/2 top (3, 4) = 50; SS01 1/2 (2, 5) = 50; SS02 1/2 = 50
    assert before == Decimal("62.500000000000")
    assert total("mini-sipas") == Decimal("50.000000000000")
    # the profile page, cached per state of the results, shows the new numbers at once
    page = client.get(profile).content.decode()
    assert 'id="province-total">50,00<' in page and 'id="node-SS01"' in page
    excluded_tallies = tally_rows()
    rebuild_tallies(questionnaire_ids=[s1.questionnaire_id])
    assert tally_rows() == excluded_tallies  # the same as counting from scratch
    event = AuditEvent.objects.filter(action="excluded").get()
    assert event.detail == {"submission": "s1", "questionnaire": "mini-citizens",
                            "province": "74", "reasons": [], "note": "kiosk test entry"}
    assert event.user == review["reviewer"]
    client.post(reverse("scoring:exclusion", args=[s1.pk]), {"action": "restore"})
    assert tally_rows() == before_tallies
    assert total("mini-sipas") == before
    assert AuditEvent.objects.filter(action="restored").count() == 1
    assert not set_excluded(submission=s1, excluded=False, user=None)  # nothing to change


def test_an_excluded_submission_is_not_counted_by_a_full_recompute_either(review):
    set_excluded(submission=Submission.objects.get(key="s1"), excluded=True, user=None)
    quiet("compute_scores", "--index", "mini-sipas")
    assert total("mini-sipas") == Decimal("50.000000000000")


def test_quality_pages_show_counts_and_the_flagged_submissions(review, client):
    s2 = Submission.objects.get(key="s2")
    QualityFlag.objects.create(submission=s2, reason="speeder", detail="40 s; median 600 s")
    client.force_login(review["reviewer"])
    page = client.get(reverse("scoring:quality", args=["mini-sipas"])).content.decode()
    assert 'id="total-flagged">1<' in page
    detail = client.get(reverse("scoring:quality-province", args=["mini-sipas", "74"]))
    assert "40 s; median 600 s" in detail.content.decode()
    csv_text = client.get(reverse("scoring:quality-download", args=["mini-sipas"]))
    assert csv_text.content.decode("utf-8-sig") == (
        "submission_id,questionnaire,province_code,reason,detail,excluded\n"
        "s2,mini-citizens,74,speeder,40 s; median 600 s,no\n")


# --- survey weights -------------------------------------------------------------------------

MARGINS_HALF = "province_code,question_code,value,share\n74,U01,1,0.5\n74,U01,2,0.5\n"


def load_margins(tmp_path, text):
    path = tmp_path / "margins.csv"
    path.write_text(text, encoding="utf-8")
    quiet("load_margins", str(path), "--questionnaire", "mini-citizens")


def test_a_hand_worked_weighted_sipas(review, tmp_path):
    # 74: s1, s2, s4 used a service (U01 = 1), s3 did not; the population is half and half,
    # so s1, s2, s4 weigh 2/3 and s3 weighs 2.
    # SP01 (Q01 ≥ 4): s1 5 (2/3), s2 3 (2/3), s3 4 (2); s4 "don't know" → (2/3 + 2) / (10/3)
    #   = 80 %. SS01 (Q02): s1 4, s2 2, s4 5, all 2/3 → 66.67 %. SS02 (Q03): s2 4, s4 2 → 50 %.
    # SIPAS = (80 + (66.67 + 50) / 2) / 2 = 69.17 (unweighted 62.50).
    load_margins(tmp_path, MARGINS_HALF)
    quiet("compute_weights", "--index", "mini-sipas")
    result = WeightedResult.objects.get(index__code="mini-sipas", province__code="74")
    assert (round(result.weighted, 2), round(result.unweighted, 2)) == \
        (Decimal("69.17"), Decimal("62.50"))
    assert result.respondents == 4
    assert result.effective_size == Decimal("3.00")  # (Σw)² / Σw² = 16 / (16/3)
    weights = dict(Submission.objects.filter(province__code="74").values_list(
        "key", "survey_weight__weight"))
    assert weights == {"s1": Decimal("0.666666667"), "s2": Decimal("0.666666667"),
                       "s3": Decimal("2.000000000"), "s4": Decimal("0.666666667")}
    other = WeightedResult.objects.get(index__code="mini-sipas", province__code="01")
    assert other.weighted == other.unweighted  # no margins: weight 1
    # Each weighted total has its own interval (replicates raked again), holding it.
    for weighted in (result, other):
        assert weighted.ci_low is not None and weighted.ci_high is not None
        assert weighted.ci_low <= weighted.weighted <= weighted.ci_high
        assert weighted.ci_low < weighted.ci_high
    assert result.design_effect == Decimal("4") / Decimal("3.00")  # n / n_eff


def test_weighted_equals_unweighted_when_the_sample_matches_the_margins(review, tmp_path):
    load_margins(tmp_path, MARGINS_HALF.replace("0.5\n74,U01,2,0.5", "0.75\n74,U01,2,0.25"))
    quiet("compute_weights", "--index", "mini-sipas")
    result = WeightedResult.objects.get(index__code="mini-sipas", province__code="74")
    assert result.weighted == result.unweighted == Decimal("62.500000000000")
    assert result.effective_size == Decimal("4.00")


def test_bad_margins_are_refused_whole(review, tmp_path, capsys):
    bad = ("province_code,question_code,value,share\n74,U01,1,0.5\n74,U01,2,0.4\n"
           "74,Q01,1,1\n99,U01,1,1\n74,U01,3,0\n")
    path = tmp_path / "bad.csv"
    path.write_text(bad, encoding="utf-8")
    err = io.StringIO()
    with pytest.raises(CommandError, match="rejected: 4 problems; nothing was written"):
        call_command("load_margins", str(path), "--questionnaire", "mini-citizens",
                     stdout=io.StringIO(), stderr=err)
    assert err.getvalue().splitlines() == [
        f"{path}: line 4: Q01 is a scale question; margins need a single-choice question",
        f"{path}: line 5: unknown province_code '99'",
        f"{path}: line 6: 3 is not an option of U01",
        f"{path}: line 2: the shares of U01 in province 74 add up to 0.9, not 1",
    ]
    assert not Questionnaire.objects.get(code="mini-citizens").margins.exists()


def test_every_problem_of_a_margins_row_is_listed_in_the_order_of_its_columns(review):
    from scoring.services.weights import load_margins
    from surveys.imports import FileInvalid

    questionnaire = Questionnaire.objects.get(code="mini-citizens")
    bad = ("province_code,question_code,value,share\n74,U01,1,0.5\n74,U01,x,0.5\n"
           "74,U01,1,0.5\n98,Z99,1,2\n74,U01,2,nan\n")
    with pytest.raises(FileInvalid) as exc:
        load_margins(questionnaire=questionnaire, data=bad.encode())
    assert exc.value.problems == [
        "line 3: value 'x' is not a whole number",
        "line 4: 74, U01 = 1 appears twice",
        "line 5: unknown province_code '98'",
        "line 5: 'Z99' is not a question of mini-citizens",
        "line 5: share '2' is not a number from 0 to 1",
        "line 6: share 'nan' is not a number from 0 to 1",
        "line 2: the shares of U01 in province 74 add up to 1.5, not 1",
    ]
    with pytest.raises(FileInvalid) as exc:
        load_margins(questionnaire=questionnaire, data=b"province_code,question_code,value,share\n")
    assert exc.value.problems == ["the file has no rows"]
    assert not questionnaire.margins.exists()


def test_weights_are_for_sipas_only(review):
    with pytest.raises(CommandError, match="mini-par is a par index; survey weights apply to "
                                           "SIPAS"):
        quiet("compute_weights", "--index", "mini-par")


def test_a_category_nobody_in_the_sample_is_in_has_its_share_spread(review, tmp_path):
    # 01: s5 and s6 both said U01 = 2; nobody in category 1, so U01 = 2 takes its share.
    load_margins(tmp_path, MARGINS_HALF + "01,U01,1,0.3\n01,U01,2,0.7\n")
    out = io.StringIO()
    call_command("compute_weights", "--index", "mini-sipas", stdout=out)
    assert "  province 01: no respondent in U01 = 1; its share is spread over the other " \
        "categories" in out.getvalue().splitlines()
    weights = dict(Submission.objects.filter(province__code="01").values_list(
        "key", "survey_weight__weight"))
    assert weights == {"s5": Decimal("1.000000000"), "s6": Decimal("1.000000000")}


# Age band A02 beside U01. 74: band 3 has two respondents, both U01 = 1. 01: the same, but
# band 1 is all U01 = 1 and band 2 all U01 = 2, so merging band 3 into band 2 cannot help.
BANDED_CELLS = {"74": {(1, 1): 5, (1, 2): 5, (2, 2): 10, (3, 1): 2},
                "01": {(1, 1): 10, (2, 2): 10, (3, 1): 2}}


def sparse_margins(*provinces):
    """A02 a quarter, a quarter, a half; U01 = 1 a fifth."""
    return "province_code,question_code,value,share\n" + "".join(
        f"{p},A02,1,0.25\n{p},A02,2,0.25\n{p},A02,3,0.5\n{p},U01,1,0.2\n{p},U01,2,0.8\n"
        for p in provinces)


@pytest.fixture
def banded(db, tmp_path):
    """mini-citizens with an age band A02 (1–3), and mini-sipas scored on BANDED_CELLS."""
    data = fixture_data("mini-citizens.yaml")
    data["scales"]["band"] = {"options": [
        {"value": v, "label": {"vi": f"Nhóm {v}", "en": f"Band {v}"}} for v in (1, 2, 3)]}
    data["sections"][0]["questions"].insert(1, {
        "code": "A02", "text": {"vi": "Nhóm tuổi?", "en": "Age band?"},
        "type": "single_choice", "scale": "band", "required": True})
    load_questionnaire(text=dump(data))
    load_index(text=fixture_text("mini-sipas.yaml"))
    lines = ["submission_id,province_code,submitted_at,U01,A02,Q01,Q02"]
    for province, cells in BANDED_CELLS.items():
        for (band, used), count in cells.items():
            lines += [f"{province}-{band}{used}-{k},{province},,{used},{band},{1 + k % 5},"
                      f"{4 if used == 1 else ''}" for k in range(count)]
    (tmp_path / "banded.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    quiet("import_submissions", str(tmp_path / "banded.csv"), "--questionnaire", "mini-citizens")
    quiet("compute_scores", "--index", "mini-sipas")


def weighted_share(province, question, values):
    weights = Answer.objects.filter(
        submission__province__code=province, question__code=question).values_list(
        "option_value", "submission__survey_weight__weight")
    total = sum(w for _, w in weights)
    return sum(w for v, w in weights if v in values) / total


def test_margins_met_only_by_merging_a_sparse_band_store_and_report_the_merge(banded, tmp_path):
    load_margins(tmp_path, sparse_margins("74"))
    out = io.StringIO()
    call_command("compute_weights", "--index", "mini-sipas", stdout=out)
    assert "  province 74: A02 = 2, 3 raked as one category (12 respondents, share 0.7500): " \
        "the margins could not be met with categories of fewer than 5 respondents apart" \
        in out.getvalue().splitlines()
    result = WeightedResult.objects.get(index__code="mini-sipas", province__code="74")
    assert result.collapsed == [{"questionnaire": "mini-citizens", "question": "A02",
                                 "values": [2, 3], "respondents": 12, "share": 0.75}]
    assert WeightedResult.objects.get(index__code="mini-sipas", province__code="01").collapsed \
        == []
    # the merged margins are met (to the 9 decimals weights are stored with)
    for question, values, share in (("A02", {1}, "0.25"), ("A02", {2, 3}, "0.75"),
                                    ("U01", {1}, "0.2"), ("U01", {2}, "0.8")):
        assert abs(weighted_share("74", question, values) - Decimal(share)) < Decimal("1e-8")
    event = AuditEvent.objects.filter(action=AuditEvent.Action.WEIGHTS).latest("pk")
    assert event.detail == {"index": "mini-sipas", "weighted_submissions": 22, "notes": 1,
                            "collapsed": 1, "replicates_left_out": 0}


def test_margins_no_merge_can_meet_are_refused_and_nothing_is_stored(banded, tmp_path):
    load_margins(tmp_path, sparse_margins("74"))
    quiet("compute_weights", "--index", "mini-sipas")
    stored = (list(SurveyWeight.objects.order_by("submission_id").values_list(
                  "submission_id", "weight")),
              list(WeightedResult.objects.order_by("pk").values()))
    events = AuditEvent.objects.count()
    load_margins(tmp_path, sparse_margins("74", "01"))
    index = Index.objects.get(code="mini-sipas")
    message = ("province 01, mini-citizens: the margins cannot be met, even with categories of "
               "fewer than 5 respondents merged into an adjacent one: U01 = 1 reached a "
               "weighted share of 0.250000 against its margin of 0.200000; no weights were "
               "stored")
    with pytest.raises(weighting.RakingDidNotConverge) as caught:
        compute_weights(index=index)
    assert str(caught.value) == message
    with pytest.raises(CommandError) as caught:
        quiet("compute_weights", "--index", "mini-sipas")
    assert str(caught.value) == message
    assert (list(SurveyWeight.objects.order_by("submission_id").values_list(
                "submission_id", "weight")),
            list(WeightedResult.objects.order_by("pk").values())) == stored
    assert AuditEvent.objects.count() == events + 1  # the margins loaded; no weights event


def test_the_sensitivity_page_checks_its_form_and_moves_close_provinces(review, client):
    client.force_login(review["reviewer"])
    url = reverse("scoring:sensitivity", args=["mini-par"])
    page = client.get(url, {"variation": "95", "draws": "5", "seed": "1"}).content.decode()
    assert re.findall(r'invalid-feedback">([^<]*)', page) == [
        "Giá trị phải nhỏ hơn hoặc bằng 90.",  # Django's message, in the project's Vietnamese
        "Giá trị phải lớn hơn hoặc bằng 10."]
    page = client.get(url, {"variation": "20", "draws": "200", "seed": "3"}).content.decode()
    assert 'id="mean-shift"' in page and 'data-province="74"' in page


# --- weight bounds ------------------------------------------------------------------------------

# 74 on BANDED_CELLS: A02 = 3 has 2 of 22 respondents but 0.3 of the population, so raking
# alone weighs them 3.3 × the mean weight (and band 2's non-users 0.44 ×).
TILTED = ("province_code,question_code,value,share\n"
          "74,A02,1,0.3\n74,A02,2,0.4\n74,A02,3,0.3\n74,U01,1,0.4\n74,U01,2,0.6\n")


def load_bounded(tmp_path, text, *bounds):
    path = tmp_path / "margins.csv"
    path.write_text(text, encoding="utf-8")
    out = io.StringIO()
    call_command("load_margins", str(path), "--questionnaire", "mini-citizens", *bounds,
                 stdout=out)
    return out.getvalue().strip().removeprefix(f"{path}: ")


def stored_weight_range(province):
    weights = [w for (w,) in SurveyWeight.objects.filter(
        submission__province__code=province).values_list("weight")]
    mean = sum(weights) / len(weights)
    return min(weights) / mean, max(weights) / mean


def test_weights_are_raked_within_the_bounds_loaded_with_the_margins(banded, tmp_path,
                                                                     client):
    assert load_bounded(tmp_path, TILTED) == \
        "5 margins stored for mini-citizens, weights unbounded"
    quiet("compute_weights", "--index", "mini-sipas")
    unbounded = WeightedResult.objects.get(index__code="mini-sipas", province__code="74")
    assert (unbounded.bound_low, unbounded.bound_high, unbounded.weight_low,
            unbounded.weight_high) == (None, None, Decimal("0.4400"), Decimal("3.3000"))
    assert unbounded.collapsed == []

    assert load_bounded(tmp_path, TILTED, "--bounds", "0.4,3") == \
        "5 margins stored for mini-citizens, weights within 0.4–3 × the mean weight"
    stored = Questionnaire.objects.get(code="mini-citizens").weight_bounds
    assert (stored.lower, stored.upper) == (Decimal("0.4000"), Decimal("3.0000"))
    out = io.StringIO()
    call_command("compute_weights", "--index", "mini-sipas", stdout=out)
    # 3.3 is out of bounds, so band 3 (2 respondents) is merged into band 2, and then the
    # margins hold within them: band 2 + 3 weighs 0.7 × 22 / 12 on average.
    assert "  province 74: A02 = 2, 3 raked as one category (12 respondents, share 0.7000): " \
        "the margins could not be met with categories of fewer than 5 respondents apart" \
        in out.getvalue().splitlines()
    result = WeightedResult.objects.get(index__code="mini-sipas", province__code="74")
    assert (result.bound_low, result.bound_high, result.weight_low, result.weight_high) == \
        (Decimal("0.4000"), Decimal("3.0000"), Decimal("0.4400"), Decimal("2.2000"))
    low, high = stored_weight_range("74")
    assert Decimal("0.4") <= low and high <= Decimal("3")
    for question, values, share in (("A02", {1}, "0.3"), ("A02", {2, 3}, "0.7"),
                                    ("U01", {1}, "0.4"), ("U01", {2}, "0.6")):
        assert abs(weighted_share("74", question, values) - Decimal(share)) < Decimal("1e-8")
    # the weighted total's interval: its replicates, those left out, and its ends' MC error
    # (19 of the 200 draw band 3 so thinly that even merged no weights within [0.4, 3] hold)
    assert (result.replicates, result.replicates_left_out) == (181, 19)
    assert result.ci_low <= result.weighted <= result.ci_high
    assert result.mc_low > 0 and result.mc_high > 0
    assert f"weights 0.4400–2.2000 × the province's mean (bounds 0.4–3); weighted intervals " \
        f"from {result.replicates + 200:,} replicates, {result.replicates_left_out:,} left out " \
        "(margins not met)" in out.getvalue()
    # 01 has no margins: weights of 1
    other = WeightedResult.objects.get(index__code="mini-sipas", province__code="01")
    assert (other.bound_low, other.weight_low, other.weight_high, other.replicates_left_out) \
        == (None, Decimal("1.0000"), Decimal("1.0000"), 0)

    # the precision page shows the weights' range, their bounds and the replicates left out
    client.force_login(make_user("analyst", Role.REVIEWER))
    page = client.get(reverse("scoring:precision", args=["mini-sipas"])).content.decode()
    row = re.search(r'<tr data-province="74">.*?</tr>', page, re.S).group()
    assert re.search(r"<td[^>]*data-weights>0,44–2,20 <span[^>]*>\(giới hạn 0,40–3,00\)"
                     r"</span></td>", row)
    assert re.search(r"<td[^>]*data-replicates>181 \(19\)</td>", row)
    assert f"±{result.mc_low:.3f} / ±{result.mc_high:.3f}".replace(".", ",") in row

    # loading the margins again without bounds removes them
    load_bounded(tmp_path, TILTED)
    assert not WeightBounds.objects.exists()


def test_bounds_the_margins_cannot_be_met_within_are_refused_and_nothing_is_stored(
        banded, tmp_path):
    load_bounded(tmp_path, TILTED, "--bounds", "0.4,3")
    quiet("compute_weights", "--index", "mini-sipas")
    stored = (list(SurveyWeight.objects.order_by("submission_id").values_list(
                  "submission_id", "weight")),
              list(WeightedResult.objects.order_by("pk").values()))
    load_bounded(tmp_path, TILTED, "--bounds", "0.5,2")
    with pytest.raises(CommandError) as caught:
        quiet("compute_weights", "--index", "mini-sipas")
    # (merged: band 1 with 10 respondents, bands 2 + 3 with 12; U01 = 1 has 7 of 22 but 0.4)
    assert str(caught.value) == (
        "province 74, mini-citizens: the margins cannot be met with weights within 0.5–2 × the "
        "mean weight, even with categories of fewer than 5 respondents merged into an adjacent "
        "one: U01 = 1 reached a weighted share of 0.379952 against its margin of 0.400000; no "
        "weights were stored")
    assert (list(SurveyWeight.objects.order_by("submission_id").values_list(
                "submission_id", "weight")),
            list(WeightedResult.objects.order_by("pk").values())) == stored


@pytest.mark.parametrize(("bounds", "message"), [
    ("3", "weight bounds are two numbers, lower,upper (such as 0.2,6), not '3'"),
    ("2,6", "weight bounds must satisfy 0 ≤ lower < 1 < upper ≤ 1000, not 2–6"),
])
def test_bad_bounds_are_refused_before_anything_is_stored(banded, tmp_path, bounds, message):
    load_bounded(tmp_path, TILTED, "--bounds", "0.4,3")
    with pytest.raises(CommandError) as caught:
        load_bounded(tmp_path, MARGINS_HALF, "--bounds", bounds)
    assert str(caught.value) == message
    questionnaire = Questionnaire.objects.get(code="mini-citizens")
    assert questionnaire.margins.count() == 5
    assert (questionnaire.weight_bounds.lower, questionnaire.weight_bounds.upper) == \
        (Decimal("0.4000"), Decimal("3.0000"))


@pytest.mark.parametrize(("data", "message"), [
    ({}, "Hãy chọn loại bỏ hoặc khôi phục."),
    ({"action": "delete"}, "Hãy chọn loại bỏ hoặc khôi phục."),
    ({"action": "exclude", "note": "x" * 501},
     "Giá trị chỉ được có tối đa 500 ký tự (hiện có 501)."),
])
def test_an_exclusion_the_form_refuses_changes_nothing(review, client, data, message):
    s1 = Submission.objects.get(key="s1")
    client.force_login(review["reviewer"])
    events = AuditEvent.objects.count()
    response = client.post(reverse("scoring:exclusion", args=[s1.pk]), data)
    assert (response.status_code, response.content.decode()) == (400, message)
    s1.refresh_from_db()
    assert not s1.excluded and AuditEvent.objects.count() == events


# --- bootstrap runs, on data kept for the module: these tests come last ---------------------

def run_values(run):
    intervals = sorted(Interval.objects.filter(run=run).values_list(
        "province__code", "node__code", "low", "high"))
    ranks = sorted(RankInterval.objects.filter(run=run).values_list(
        "province__code", "median", "low", "high", "group"))
    return intervals, ranks


def seed_small_demo():
    quiet("seed_demo", "--scale", "0.01")
    quiet("compute_scores", "--index", "sipas-2024")


@pytest.fixture(scope="module")
def _small_demo(request, django_db_setup, django_db_blocker):
    yield from kept_for_the_module(request, django_db_blocker, seed_small_demo)


@pytest.fixture
def small_demo(_small_demo, db):
    """The demo at 1 % of the survey's size, SIPAS 2024 computed; made once for the module
    (about 5 s), what a test writes undone after it."""
    return Index.objects.get(code="sipas-2024")


def test_the_same_seed_gives_the_same_intervals_whatever_the_chunks(small_demo):
    quiet("compute_intervals", "--index", "sipas-2024", "--replicates", "24", "--seed", "5",
          "--chunk-replicates", "24", "--chunk-provinces", "63")
    first = latest_run(small_demo)
    quiet("compute_intervals", "--index", "sipas-2024", "--replicates", "24", "--seed", "5",
          "--chunk-replicates", "5", "--chunk-provinces", "7")
    second = latest_run(small_demo)
    assert first.pk != second.pk
    assert run_values(first) == run_values(second)
    intervals, ranks = run_values(second)
    assert len(intervals) == 63 * 43 and len(ranks) == 63  # every node of sipas-2024
    # replicates of older runs are dropped once a newer run is done
    assert set(Replicate.objects.values_list("run_id", flat=True)) == {second.pk}
    # a chunk run again (a retried task) writes the same replicates
    stored = dict(Replicate.objects.filter(run=second, number__lt=3).values_list("pk", "values"))
    pieces = runs.chunks(second, replicates_per_chunk=3, provinces_per_chunk=63)
    runs.compute_chunk(second, *pieces[0])
    again = dict(Replicate.objects.filter(run=second, number__lt=3).values_list("pk", "values"))
    assert {k: bytes(v) for k, v in again.items()} == {k: bytes(v) for k, v in stored.items()}
    quiet("compute_intervals", "--index", "sipas-2024", "--replicates", "24", "--seed", "6")
    assert run_values(latest_run(small_demo)) != run_values(second)


def test_each_interval_holds_its_point_estimate_and_ranks_hold_the_point_rank(small_demo):
    quiet("compute_intervals", "--index", "sipas-2024", "--replicates", "100")
    run = latest_run(small_demo)
    points = dict(NodeResult.objects.filter(index=small_demo, node__level=0)
                  .values_list("province__code", "percent"))
    inside = sum(i.low <= points[i.province.code] <= i.high
                 for i in Interval.objects.filter(run=run, node__level=0)
                 .select_related("province"))
    assert inside == 63
    for r in RankInterval.objects.filter(run=run):
        assert r.low <= r.median <= r.high
    # No interval is a degenerate point: a node whose replicates do not vary, or that rests on
    # fewer than 30 valid answers, has the Wilson interval instead.
    stored = Interval.objects.filter(run=run).exclude(method="none")
    assert not stored.filter(low=F("high")).exists()
    assert not stored.filter(method="bootstrap", answers__lt=30).exists()
    assert stored.filter(method="wilson").count() > 0
    assert not stored.filter(method="wilson", mc_low__isnull=False).exists()
    assert not stored.filter(method="bootstrap", mc_low__isnull=True).exists()


def test_each_group_member_is_not_distinguishable_from_the_groups_first(small_demo):
    quiet("compute_intervals", "--index", "sipas-2024", "--replicates", "200")
    run = latest_run(small_demo)
    provinces, values = runs.replicate_matrix(run)
    totals = values[:, :, run.node_codes.index("")]
    shares = uncertainty.above_shares(totals)
    column = {p: i for i, p in enumerate(provinces)}
    ranks = sorted(RankInterval.objects.filter(run=run).values_list("group", "province_id"))
    points = dict(NodeResult.objects.filter(index=small_demo, node__level=0)
                  .values_list("province_id", "percent"))
    firsts = {}
    for group, province in sorted(ranks, key=lambda r: (r[0], -round(points[r[1]], 2), r[1])):
        first = firsts.setdefault(group, province)
        assert shares[column[first], column[province]] < 0.95
    assert len(firsts) > 1
    ordered = [firsts[g] for g in sorted(firsts)]
    for above, below in zip(ordered, ordered[1:], strict=False):
        assert shares[column[above], column[below]] >= 0.95


def test_the_ranking_page_and_export_show_intervals_and_groups(small_demo, client):
    quiet("compute_intervals", "--index", "sipas-2024", "--replicates", "40")
    run = latest_run(small_demo)
    top = RankInterval.objects.filter(run=run).order_by("group", "median").first()
    client.force_login(make_user("r", "reviewer"))
    page = client.get(reverse("scoring:ranking", args=["sipas-2024"])).content.decode()
    assert "Không phân biệt được" in page and 'data-group="1"' in page
    assert f"{top.low}–{top.high}" in page
    out = io.StringIO()
    call_command("export_scores", "--index", "sipas-2024", "--level", "total",
                 "--with-intervals", stdout=out)
    header, first = out.getvalue().removeprefix("\ufeff").splitlines()[:2]
    assert header == ("province_code,province_name,percent,rank,delta_percent,delta_rank,"
                      "delta_basis,ci_low,ci_high,ci_estimate,ci_method,ci_design,ci_answers,"
                      "ci_mc_low,ci_mc_high,rank_median,rank_low,rank_high,rank_group,"
                      "flagged_submissions,excluded_submissions")
    cells = first.split(",")
    mine = RankInterval.objects.get(run=run, province__code=cells[0])
    assert cells[15:19] == [str(mine.median), str(mine.low), str(mine.high), str(mine.group)]
    total = Interval.objects.get(run=run, province__code=cells[0], node__level=0)
    assert cells[7:9] == [f"{total.low.quantize(Decimal('0.01'))}",
                          f"{total.high.quantize(Decimal('0.01'))}"]
    # every interval names its estimate, its method and (for the bootstrap) what was resampled
    mc = [f"{v:.3f}" if v is not None else "" for v in (total.mc_low, total.mc_high)]
    assert cells[9:15] == ["published", total.method,
                           "respondents" if total.method == "bootstrap" else "",
                           str(total.answers), *mc]
    assert (f"{total.low.quantize(Decimal('0.01'))}–{total.high.quantize(Decimal('0.01'))}"
            .replace(".", ",")) \
        in page  # the ranking shows the same interval as the export
    download = client.get(reverse("scoring:download", args=["sipas-2024", "total", "csv"]),
                          {"version": "current", "intervals": "1"})
    assert download["Content-Disposition"] == \
        'attachment; filename="sipas-2024-total-current-intervals.csv"'
    assert download.content.decode("utf-8-sig").splitlines()[:2] == [header, first]
    assert AuditEvent.objects.get(action="download").detail["intervals"] is True


def test_compute_intervals_refuses_bad_requests(small_demo):
    with pytest.raises(CommandError, match="replicates must be between 1 and 5000"):
        quiet("compute_intervals", "--index", "sipas-2024", "--replicates", "0")
    with pytest.raises(CommandError, match="unknown index 'nope'"):
        quiet("compute_intervals", "--index", "nope")

"""Unit tests of the pure scoring engine (scoring-spec §3–§6); no database is touched."""

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from scoring.rules.engine import (
    MISSING,
    PROVISIONAL,
    Band,
    NodeDef,
    NodeScore,
    Scores,
    SourceDef,
    appraisal_points,
    change,
    competition_ranks,
    group_for,
    option_fraction,
    par_leaf,
    rank_change,
    round2,
    scaled_mean,
    score_tree,
    stored_decimal,
    survey_fraction,
    top_box,
)

SAT5 = (1, 2, 3, 4, 5)  # substantive values of a 5-point scale; 9 is "don't know"
ZERO_TO_TEN = tuple(range(11))
FRACTIONS = {1: Fraction(0), 2: Fraction(1, 5), 3: Fraction(3, 5), 4: Fraction(1)}
NONE = frozenset()


def source(question, weight=1, scale=SAT5):
    return SourceDef(question=question, weight=Fraction(weight), substantive=scale)


def survey_node(code="c", parent="p", *sources, rule="scaled_mean", max_points=Fraction(1),
                threshold=None, fractions=None):
    return NodeDef(code=code, parent=parent, level=3, max_points=max_points, method="survey",
                   rule=rule, threshold=threshold, fractions=fractions or {},
                   sources=tuple(sources))


def appraisal_node(code, parent, max_points):
    return NodeDef(code=code, parent=parent, level=3, max_points=max_points, method="appraisal")


def branch(code, parent, level, max_points=None):
    return NodeDef(code=code, parent=parent, level=level, max_points=max_points)


# --- §4 survey rules --------------------------------------------------------------------------

def test_scaled_mean_maps_each_valid_answer_onto_zero_to_one():
    # lo=1, hi=5: 2 -> 1/4, 5 -> 1; (1/4 + 2*1) / 3 = (9/4) / 3 = 3/4
    assert scaled_mean({2: 1, 5: 2}, SAT5) == Fraction(3, 4)


def test_scaled_mean_uses_the_scale_ends_not_the_lowest_and_highest_answers():
    # only 3s and 4s given, but lo=1, hi=5: (2/4 + 3/4) / 2 = 5/8
    assert scaled_mean({3: 1, 4: 1}, SAT5) == Fraction(5, 8)
    # on a 0..10 scale a single 5 sits halfway
    assert scaled_mean({5: 1}, ZERO_TO_TEN) == Fraction(1, 2)


def test_non_substantive_answers_are_left_out_of_scaled_mean():
    # the five 9s count in neither numerator nor denominator: only the 4 -> 3/4
    assert scaled_mean({4: 1, 9: 5}, SAT5) == Fraction(3, 4)


def test_scaled_mean_is_none_without_a_valid_answer():
    assert scaled_mean({9: 3}, SAT5) is None
    assert scaled_mean({}, SAT5) is None
    assert scaled_mean({5: 0}, SAT5) is None  # a zero count is no answer


def test_top_box_is_the_share_of_valid_answers_at_or_above_the_threshold():
    # valid: 2, 3, 4, 4, 5 -> three of five are >= 4
    assert top_box({2: 1, 3: 1, 4: 2, 5: 1}, SAT5, 4) == Fraction(3, 5)
    # threshold at the top of the scale: one 5 among four answers
    assert top_box({4: 3, 5: 1}, SAT5, 5) == Fraction(1, 4)


def test_non_substantive_answers_are_left_out_of_top_box():
    # 9 >= 4 numerically but is not a valid answer: one 4 out of {4, 2} -> 1/2
    assert top_box({4: 1, 2: 1, 9: 10}, SAT5, 4) == Fraction(1, 2)


def test_top_box_is_none_without_a_valid_answer():
    assert top_box({9: 4}, SAT5, 4) is None
    assert top_box({}, SAT5, 4) is None


def test_option_fraction_is_the_mean_of_each_answers_listed_fraction():
    # (0 + 1/5 + 3/5 + 1) / 4 = (9/5) / 4 = 9/20
    assert option_fraction({1: 1, 2: 1, 3: 1, 4: 1}, (1, 2, 3, 4), FRACTIONS) == Fraction(9, 20)
    # answer counts weight the mean: (3 * 3/5 + 1 * 0) / 4 = 9/20
    assert option_fraction({3: 3, 1: 1}, (1, 2, 3, 4), FRACTIONS) == Fraction(9, 20)


def test_non_substantive_answers_are_left_out_of_option_fraction():
    # 9 has no fraction; it must be skipped, not looked up: only the 2 -> 1/5
    assert option_fraction({2: 1, 9: 7}, (1, 2, 3, 4), FRACTIONS) == Fraction(1, 5)


def test_option_fraction_is_none_without_a_valid_answer():
    assert option_fraction({9: 2}, (1, 2, 3, 4), FRACTIONS) is None
    assert option_fraction({}, (1, 2, 3, 4), FRACTIONS) is None


# --- §4 weighting over sources ----------------------------------------------------------------

def test_survey_fraction_weights_each_sources_fraction():
    node = survey_node("c", "p", source(11, weight=1), source(12, weight=3))
    tallies = {11: {5: 1, 1: 1}, 12: {5: 3, 4: 1}}
    # f11 = (1 + 0) / 2 = 1/2; f12 = (3*1 + 3/4) / 4 = 15/16
    # f = (1 * 1/2 + 3 * 15/16) / (1 + 3) = (8/16 + 45/16) / 4 = 53/64; 2 + 4 valid answers
    assert survey_fraction(node, tallies) == (Fraction(53, 64), 6)


def test_survey_fraction_skips_sources_without_a_valid_answer():
    node = survey_node("c", "p", source(11, weight=1), source(12, weight=3), source(13, weight=5))
    tallies = {11: {5: 1, 1: 1}, 12: {9: 6}}  # 12 only "don't know"; 13 not asked at all
    # only source 11 counts, its weight alone in the denominator: 1 * 1/2 / 1 = 1/2
    # (had 12 and 13 kept their weights it would be (1/2) / 9 = 1/18)
    assert survey_fraction(node, tallies) == (Fraction(1, 2), 2)


def test_survey_fraction_reads_each_source_on_its_own_scale():
    node = survey_node("c", "p", source(11, scale=SAT5), source(12, scale=ZERO_TO_TEN))
    tallies = {11: {3: 1}, 12: {3: 1}}
    # 3 on 1..5 -> 2/4 = 1/2; 3 on 0..10 -> 3/10; equal weights: (1/2 + 3/10) / 2 = 2/5
    assert survey_fraction(node, tallies) == (Fraction(2, 5), 2)


def test_survey_fraction_is_none_with_no_valid_answer_in_any_source():
    node = survey_node("c", "p", source(11), source(12))
    assert survey_fraction(node, {11: {9: 3}}) == (None, 0)


def test_survey_fraction_applies_the_nodes_rule_to_every_source():
    node = survey_node("c", "p", source(11), source(12, weight=2), rule="top_box", threshold=4)
    # f11 = 1/2 (one of {4, 2}); f12 = 1 (one 5); (1 * 1/2 + 2 * 1) / 3 = (5/2) / 3 = 5/6
    assert survey_fraction(node, {11: {4: 1, 2: 1}, 12: {5: 1}}) == (Fraction(5, 6), 3)


def test_survey_fraction_rejects_an_unknown_rule():
    node = survey_node("c", "p", source(11), rule="median")
    with pytest.raises(ValueError, match="unknown rule"):
        survey_fraction(node, {11: {3: 1}})


# --- §4 appraisal -----------------------------------------------------------------------------

def test_appraised_score_beats_the_self_assessed_score():
    scores = Scores(self_score=Fraction(2), appraised_score=Fraction(3, 2))
    assert appraisal_points(Fraction(2), scores) == (Fraction(3, 2), NONE)


def test_an_appraised_zero_is_still_an_appraised_score():
    scores = Scores(self_score=Fraction(2), appraised_score=Fraction(0))
    assert appraisal_points(Fraction(2), scores) == (Fraction(0), NONE)


def test_self_assessed_score_alone_counts_but_is_provisional():
    scores = Scores(self_score=Fraction(9, 5), appraised_score=None)
    assert appraisal_points(Fraction(2), scores) == (Fraction(9, 5), frozenset({PROVISIONAL}))


def test_no_score_at_all_gives_zero_points_flagged_missing():
    missing = (Fraction(0), frozenset({MISSING}))
    assert appraisal_points(Fraction(2), Scores(None, None)) == missing
    assert appraisal_points(Fraction(2), None) == missing


# --- §4 PAR leaves ----------------------------------------------------------------------------

def test_survey_component_without_valid_answers_scores_zero_flagged_missing():
    node = survey_node("c", "p", source(11), max_points=Fraction(5, 2))
    assert par_leaf(node, {11: {9: 4}}, None) == NodeScore(
        points=Fraction(0), max_points=Fraction(5, 2), percent=Fraction(0),
        flags=frozenset({MISSING}), valid_answers=0)


def test_survey_component_scores_max_points_times_the_fraction():
    node = survey_node("c", "p", source(11), max_points=Fraction(5, 2), rule="top_box",
                       threshold=4)
    # top box 3/4 -> 5/2 * 3/4 = 15/8 points; percent 100 * (15/8) / (5/2) = 75
    assert par_leaf(node, {11: {4: 1, 5: 2, 2: 1}}, None) == NodeScore(
        points=Fraction(15, 8), max_points=Fraction(5, 2), percent=Fraction(75), flags=NONE,
        valid_answers=4)


def test_appraisal_component_reports_percent_of_its_max_points():
    node = appraisal_node("c", "p", Fraction(2))
    # self-assessed 3/2 of 2 -> 75 %, provisional; appraisal counts no answers
    assert par_leaf(node, {}, Scores(Fraction(3, 2), None)) == NodeScore(
        points=Fraction(3, 2), max_points=Fraction(2), percent=Fraction(75),
        flags=frozenset({PROVISIONAL}), valid_answers=0)


# --- §4 PAR tree ------------------------------------------------------------------------------

PAR_TREE = [  # parents before children
    branch("total", None, 0, Fraction(10)),
    branch("1", "total", 1, Fraction(6)),
    branch("1.1", "1", 2, Fraction(6)),
    appraisal_node("1.1.1", "1.1", Fraction(2)),
    survey_node("1.1.2", "1.1", source(11), max_points=Fraction(4)),
    branch("2", "total", 1, Fraction(4)),
    branch("2.1", "2", 2, Fraction(4)),
    survey_node("2.1.1", "2.1", source(12), max_points=Fraction(5, 2), rule="top_box",
                threshold=4),
    appraisal_node("2.1.2", "2.1", Fraction(3, 2)),
]
PAR_TALLIES = {11: {5: 2, 3: 1, 9: 4}, 12: {4: 1, 5: 2, 2: 1}}
PAR_ASSESSMENTS = {"1.1.1": Scores(self_score=Fraction(2), appraised_score=None)}  # 2.1.2: none


@pytest.fixture
def par_scores():
    return score_tree("par", PAR_TREE, PAR_TALLIES, PAR_ASSESSMENTS)


def test_par_leaves_of_the_small_tree(par_scores):
    # 1.1.1: self-assessed 2, provisional
    assert par_scores["1.1.1"].points == 2
    assert par_scores["1.1.1"].flags == {PROVISIONAL}
    # 1.1.2: scaled mean of 5, 5, 3 (9s left out) = (1 + 1 + 1/2) / 3 = 5/6 -> 4 * 5/6 = 10/3
    assert par_scores["1.1.2"].points == Fraction(10, 3)
    assert par_scores["1.1.2"].valid_answers == 3
    # 2.1.1: top box 3 of 4 -> 5/2 * 3/4 = 15/8
    assert par_scores["2.1.1"].points == Fraction(15, 8)
    # 2.1.2: no assessment -> 0, missing
    assert par_scores["2.1.2"].points == 0
    assert par_scores["2.1.2"].flags == {MISSING}


def test_par_points_add_up_and_percent_is_points_over_max(par_scores):
    # 1.1 = 2 + 10/3 = 16/3 of 6 -> 100 * (16/3) / 6 = 800/9
    assert par_scores["1.1"].points == Fraction(16, 3)
    assert par_scores["1.1"].percent == Fraction(800, 9)
    assert par_scores["1"].points == Fraction(16, 3)
    # 2.1 = 15/8 + 0 of 4 -> 100 * (15/8) / 4 = 375/8
    assert par_scores["2.1"].points == Fraction(15, 8)
    assert par_scores["2.1"].percent == Fraction(375, 8)
    # total = 16/3 + 15/8 = 128/24 + 45/24 = 173/24 of 10 -> 100 * (173/24) / 10 = 865/12
    total = par_scores["total"]
    assert (total.points, total.max_points, total.percent) == (
        Fraction(173, 24), Fraction(10), Fraction(865, 12))
    assert round2(total.percent) == Decimal("72.08")  # 72.0833...


def test_par_flags_are_the_union_of_the_childrens_flags(par_scores):
    assert par_scores["1.1"].flags == {PROVISIONAL}
    assert par_scores["2"].flags == {MISSING}
    assert par_scores["total"].flags == {PROVISIONAL, MISSING}
    assert par_scores["total"].flag_text == "provisional|missing"


def test_par_valid_answers_sum_up_the_tree(par_scores):
    # 1.1.2 has 3, 2.1.1 has 4, appraisals none
    assert par_scores["1"].valid_answers == 3
    assert par_scores["2"].valid_answers == 4
    assert par_scores["total"].valid_answers == 7


# --- §5 SIPAS tree ----------------------------------------------------------------------------

def item(code, parent, question):
    return survey_node(code, parent, source(question), rule="top_box", threshold=4,
                       max_points=None)


SIPAS_TREE = [
    branch("sipas", None, 0),
    branch("P1", "sipas", 1),
    branch("E1", "P1", 2),
    item("S1", "E1", 21),
    item("S2", "E1", 22),
    item("S5", "E1", 25),
    branch("E2", "P1", 2),
    item("S3", "E2", 23),
    branch("P2", "sipas", 1),
    branch("E3", "P2", 2),
    item("S4", "E3", 24),
]
SIPAS_TALLIES = {
    21: {4: 1, 5: 1, 2: 2},  # 2 of 4 -> 50 %
    22: {5: 3, 1: 1},  # 3 of 4 -> 75 %
    # 25: never answered
    23: {9: 6},  # only "don't know"
    24: {4: 1, 3: 2},  # 1 of 3 -> 100/3 %
}


@pytest.fixture
def sipas_scores():
    return score_tree("sipas", SIPAS_TREE, SIPAS_TALLIES)


def test_sipas_item_percent_is_the_top_box_share(sipas_scores):
    assert sipas_scores["S1"].percent == 50
    assert sipas_scores["S2"].percent == 75
    assert sipas_scores["S4"].percent == Fraction(100, 3)
    assert sipas_scores["S1"].points is None
    assert sipas_scores["S1"].max_points is None


def test_sipas_item_without_valid_answers_has_no_value_and_is_flagged_missing(sipas_scores):
    assert sipas_scores["S3"] == NodeScore(None, None, None, frozenset({MISSING}), 0)
    assert sipas_scores["S5"] == NodeScore(None, None, None, frozenset({MISSING}), 0)


def test_sipas_means_leave_out_children_without_a_value(sipas_scores):
    # E1 = mean(50, 75) = 125/2; S5 left out (else (50 + 75 + 0) / 3 = 125/3)
    assert sipas_scores["E1"].percent == Fraction(125, 2)
    # E2 has no valued item at all -> no value, missing
    assert sipas_scores["E2"].percent is None
    assert sipas_scores["E2"].flags == {MISSING}
    # P1 = mean over E1 only = 125/2 (else (125/2) / 2 = 125/4)
    assert sipas_scores["P1"].percent == Fraction(125, 2)
    assert sipas_scores["P1"].flags == NONE


def test_sipas_total_is_the_equal_weighted_mean_of_its_parts(sipas_scores):
    # P2 = E3 = S4 = 100/3; total = (125/2 + 100/3) / 2 = (375/6 + 200/6) / 2 = 575/12
    # (weighting by answers instead, 8 vs 3, would give a different number)
    assert sipas_scores["P2"].percent == Fraction(100, 3)
    assert sipas_scores["sipas"].percent == Fraction(575, 12)
    assert round2(sipas_scores["sipas"].percent) == Decimal("47.92")  # 47.9166...


def test_sipas_valid_answers_sum_up_the_tree(sipas_scores):
    # S1 4 + S2 4 + S5 0 = 8; S3 0; S4 3 -> total 11
    assert sipas_scores["E1"].valid_answers == 8
    assert sipas_scores["P1"].valid_answers == 8
    assert sipas_scores["sipas"].valid_answers == 11


def test_sipas_tree_without_any_value_leaves_the_province_unvalued_and_missing():
    scores = score_tree("sipas", SIPAS_TREE, {23: {9: 2}})
    assert scores["sipas"] == NodeScore(None, None, None, frozenset({MISSING}), 0)
    assert scores["P1"].percent is None
    assert scores["P2"].percent is None


# --- flags ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("flags", "text"), [
    (frozenset({MISSING, PROVISIONAL}), "provisional|missing"),
    (frozenset({MISSING}), "missing"),
    (frozenset({PROVISIONAL}), "provisional"),
    (frozenset(), ""),
])
def test_flag_text_joins_flags_in_fixed_order(flags, text):
    assert NodeScore(Fraction(0), Fraction(1), Fraction(0), flags, 0).flag_text == text


# --- §6 rounding ------------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "shown"), [
    (Fraction(76625, 1000), "76.63"),  # 76.625: a tie rounds up
    (Fraction(76625, 1000) - Fraction(1, 10**15), "76.62"),  # just below the tie
    (Decimal("0.125"), "0.13"),  # tie rounds up (not to even, which would give 0.12)
    (Fraction(1, 8), "0.13"),  # the same tie as a Fraction
    (Decimal("-1.005"), "-1.01"),  # negative tie: away from zero
    (Fraction(-1005, 1000), "-1.01"),
    (Fraction(78125, 100000), "0.78"),  # 0.78125 is below 0.785
    (Fraction(2, 3), "0.67"),
    (Fraction(865, 12), "72.08"),  # 72.0833...
    (Fraction(90), "90.00"),  # always exactly two decimals
    (Decimal("88.374"), "88.37"),
    (Decimal("88.366"), "88.37"),
])
def test_round2_rounds_half_up_to_exactly_two_decimals(value, shown):
    assert str(round2(value)) == shown


def test_round2_passes_none_through():
    assert round2(None) is None


def test_round2_shows_a_small_negative_decimal_as_plain_zero():
    # -0.001 rounds to 0 (a spreadsheet's ROUND gives 0); the Fraction path already shows 0.00
    assert str(round2(Fraction(-1, 1000))) == "0.00"
    assert str(round2(Decimal("-0.001"))) == "0.00"


def test_stored_decimal_truncates_to_twelve_decimals():
    # 2/3 = 0.666666666666|666... -> truncated, not rounded up to ...667
    assert stored_decimal(Fraction(2, 3)) == Decimal("0.666666666666")
    # 865/12 = 72.083333333333|33...
    assert stored_decimal(Fraction(865, 12)) == Decimal("72.083333333333")
    assert stored_decimal(Fraction(1, 8)) == Decimal("0.125")
    assert stored_decimal(Fraction(1, 10**13)) == 0  # below the last stored digit
    assert stored_decimal(Fraction(1, 3)).as_tuple().exponent == -12


def test_stored_decimal_passes_none_through_and_refuses_negatives():
    assert stored_decimal(None) is None
    with pytest.raises(ValueError, match="never negative"):
        stored_decimal(Fraction(-1, 3))


def _near_ties():
    """Values within 1e-11 of a rounding tie x.xx5, where truncation could matter."""
    return st.builds(
        lambda tie, offset: Fraction(10 * tie + 5, 1000) + Fraction(offset, 10**15),
        st.integers(0, 10**5), st.integers(-10**4, 10**4))


@given(st.one_of(
    st.builds(Fraction, st.integers(0, 10**9), st.integers(1, 10**9)),
    _near_ties(),
))
@example(Fraction(76625, 1000))
@example(Fraction(78125, 100000))
@example(Fraction(2, 3))
@example(Fraction(0))
def test_rounding_the_stored_value_equals_rounding_the_exact_value(f):
    assert round2(stored_decimal(f)) == round2(f)


# --- §6 ranks ---------------------------------------------------------------------------------

def test_competition_ranks_tie_on_values_equal_after_rounding():
    values = {"01": Decimal("91.2"), "74": Decimal("88.374"), "31": Decimal("88.366"),
              "48": Decimal("80")}
    # 88.374 and 88.366 both show as 88.37 -> share rank 2; the next rank skips to 4
    assert competition_ranks(values) == {"01": 1, "74": 2, "31": 2, "48": 4}


def test_competition_ranks_leave_provinces_without_a_value_unranked():
    ranks = competition_ranks({"01": None, "74": Decimal("50"), "31": Decimal("60")})
    assert ranks == {"31": 1, "74": 2}
    assert competition_ranks({"01": None}) == {}


def test_competition_rank_numbers_do_not_depend_on_the_order_of_ties():
    forward = {"74": Decimal("88.374"), "31": Decimal("88.366"), "01": Decimal("88.37")}
    backward = dict(reversed(list(forward.items())))
    # all three show 88.37 -> rank 1 each, whichever order they arrive in
    assert competition_ranks(forward) == competition_ranks(backward) == {"01": 1, "31": 1, "74": 1}


def test_competition_ranks_accept_exact_fractions():
    # 865/12 = 72.083... -> 72.08; 7208/100 -> 72.08: a tie
    assert competition_ranks({"a": Fraction(865, 12), "b": Decimal("72.08")}) == {"a": 1, "b": 1}


@given(st.dictionaries(
    st.text("0123456789", min_size=2, max_size=2),
    st.one_of(st.none(), st.integers(0, 3000).map(lambda i: Decimal(i) / 1000)),
    max_size=20,
))
def test_a_provinces_rank_is_one_more_than_the_number_rounded_strictly_higher(values):
    ranks = competition_ranks(values)
    rounded = {k: round2(v) for k, v in values.items() if v is not None}
    assert ranks.keys() == rounded.keys()
    for key, value in rounded.items():
        assert ranks[key] == 1 + sum(other > value for other in rounded.values())


# --- §6 groups and change ---------------------------------------------------------------------

BANDS = [Band("A", Decimal(90)), Band("B", Decimal(80)), Band("C", Decimal(0))]


@pytest.mark.parametrize(("percent", "group"), [
    (Decimal("89.995"), "A"),  # rounds to 90.00, which reaches A
    (Fraction(89995, 1000), "A"),
    (Decimal("89.994"), "B"),  # rounds to 89.99
    (Decimal("80"), "B"),  # the minimum itself is in the band
    (Decimal("79.99"), "C"),
    (Decimal("0"), "C"),
    (Decimal("100"), "A"),
])
def test_group_is_the_first_band_the_rounded_percent_reaches(percent, group):
    assert group_for(percent, BANDS) == group


def test_group_is_empty_without_a_percent_or_below_every_band():
    assert group_for(None, BANDS) == ""
    assert group_for(Decimal("50"), BANDS[:2]) == ""
    assert group_for(Decimal("95"), []) == ""


def test_change_is_this_year_minus_last_year():
    assert change(Decimal("75.5"), Decimal("70.25")) == Decimal("5.25")
    assert change(Decimal("70.25"), Decimal("75.5")) == Decimal("-5.25")


def test_change_is_none_when_either_year_is_missing():
    assert change(None, Decimal("70")) is None
    assert change(Decimal("70"), None) is None


def test_rank_change_is_positive_when_the_province_moved_up():
    assert rank_change(3, 5) == 2  # from 5th to 3rd
    assert rank_change(5, 3) == -2  # from 3rd to 5th
    assert rank_change(4, 4) == 0


def test_rank_change_is_none_when_either_rank_is_missing():
    assert rank_change(None, 3) is None
    assert rank_change(3, None) is None


# --- §3 property: non-substantive answers never matter ----------------------------------------

SUBSTANTIVE_COUNTS = st.dictionaries(st.sampled_from(SAT5), st.integers(0, 50), max_size=5)
OTHER_COUNTS = st.dictionaries(st.sampled_from((0, 6, 9, 99, -1)), st.integers(1, 50),
                               min_size=1, max_size=5)
SAT5_FRACTIONS = {1: Fraction(0), 2: Fraction(1, 4), 3: Fraction(1, 2), 4: Fraction(3, 4),
                  5: Fraction(1)}


@given(SUBSTANTIVE_COUNTS, OTHER_COUNTS, st.sampled_from(SAT5))
def test_adding_non_substantive_answers_changes_no_survey_rule(counts, others, threshold):
    padded = {**counts, **others}
    assert scaled_mean(padded, SAT5) == scaled_mean(counts, SAT5)
    assert top_box(padded, SAT5, threshold) == top_box(counts, SAT5, threshold)
    assert (option_fraction(padded, SAT5, SAT5_FRACTIONS)
            == option_fraction(counts, SAT5, SAT5_FRACTIONS))

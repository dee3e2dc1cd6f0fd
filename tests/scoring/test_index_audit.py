"""The index audit's arithmetic (scoring.rules.index_audit): pure, no database."""

import math
import random
from fractions import Fraction as F

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.rules import engine, index_audit
from scoring.rules.index_audit import CriterionValue

# --- Cronbach's alpha, worked by hand ---------------------------------------------------------
#
# Three criteria over four provinces:
#   item 1: 2, 4, 6, 8   mean 5, deviations −3 −1 1 3, sum of squares 20, variance 20/3
#   item 2: 1, 3, 5, 3   mean 3, deviations −2 0 2 0,  sum of squares 8,  variance 8/3
#   item 3: 3, 3, 6, 4   mean 4, deviations −1 −1 2 0, sum of squares 6,  variance 6/3
#   sum:    6, 10, 17, 15 mean 12, deviations −6 −2 5 3, sum of squares 74, variance 74/3
# Σ item variances = 34/3; α = 3/2 × (1 − (34/3) / (74/3)) = 3/2 × 40/74 = 30/37 = 0.810810…
ITEMS = [[2, 4, 6, 8], [1, 3, 5, 3], [3, 3, 6, 4]]


def test_cronbach_alpha_of_a_matrix_worked_by_hand():
    assert index_audit.cronbach_alpha(ITEMS) == pytest.approx(30 / 37, abs=1e-12)
    assert f"{index_audit.cronbach_alpha(ITEMS):.4f}" == "0.8108"


def test_cronbach_alpha_is_none_where_it_means_nothing():
    assert index_audit.cronbach_alpha([[1, 2, 3]]) is None  # one criterion
    assert index_audit.cronbach_alpha([[1, 2], [2, 1]]) is None  # two provinces
    assert index_audit.cronbach_alpha([[1, 2, 3], [3, 2, 1]]) is None  # the sum is constant


def test_cronbach_alpha_of_identical_items_is_one():
    assert index_audit.cronbach_alpha([[1, 5, 2, 7]] * 4) == pytest.approx(1.0)


# --- correlations against numpy and pandas -----------------------------------------------------

def test_pearson_matches_numpy_on_random_series():
    rng = random.Random(7)
    for _ in range(50):
        n = rng.randint(3, 63)
        xs = [rng.uniform(0, 100) for _ in range(n)]
        ys = [x * rng.uniform(-1, 1) + rng.gauss(0, 20) for x in xs]
        assert index_audit.pearson(xs, ys) == pytest.approx(np.corrcoef(xs, ys)[0, 1],
                                                            abs=1e-12)


def test_spearman_averages_tied_ranks_as_pandas_ranks_them():
    rng = random.Random(11)
    for _ in range(50):
        n = rng.randint(3, 63)
        xs = [float(rng.randint(0, 5)) for _ in range(n)]  # many ties
        ys = [float(rng.randint(0, 8)) for _ in range(n)]
        if len(set(xs)) < 2 or len(set(ys)) < 2:
            continue
        expected = np.corrcoef(pd.Series(xs).rank(method="average"),
                               pd.Series(ys).rank(method="average"))[0, 1]
        assert index_audit.spearman(xs, ys) == pytest.approx(expected, abs=1e-12)


def test_average_ranks_share_the_mean_of_their_places():
    assert index_audit.average_ranks([10, 20, 20, 5, 20]) == [2.0, 4.0, 4.0, 1.0, 4.0]


def test_correlation_is_none_when_a_series_does_not_vary():
    assert index_audit.pearson([1, 1, 1], [1, 2, 3]) is None
    assert index_audit.spearman([1, 2, 3], [4, 4, 4]) is None
    assert index_audit.pearson([1, 2], [2, 1]) is None


def test_matrix_flags_redundant_and_negative_pairs():
    series = {"1.1": [1, 2, 3, 4, 5], "1.2": [2, 4, 6, 8, 10.5], "2.1": [5, 3, 4, 1, 2],
              "2.2": [3, 3, 3, 3, 3]}
    codes, matrix = index_audit.correlation_matrix(series)
    assert codes == ["1.1", "1.2", "2.1", "2.2"]
    assert matrix[0][0] == pytest.approx(1.0) and matrix[3][3] is None
    assert matrix[0][2] == pytest.approx(np.corrcoef(series["1.1"], series["2.1"])[0, 1])
    assert [(a, b) for a, b, _ in index_audit.redundant_pairs(codes, matrix)] == [("1.1", "1.2")]
    assert [(a, b) for a, b, _ in index_audit.negative_pairs(codes, matrix)] == [
        ("1.1", "2.1"), ("1.2", "2.1")]


@settings(max_examples=200)
@given(st.integers(0, 8).flatmap(lambda n: st.lists(
    st.lists(st.floats(0, 100, allow_nan=False) | st.sampled_from([0.0, 50.0, 100.0]),
             min_size=n, max_size=n), min_size=1, max_size=6)))
def test_the_matrix_is_pearson_pair_by_pair_to_the_last_bit(columns):
    series = {f"{i}.1": xs for i, xs in enumerate(columns)}
    codes, matrix = index_audit.correlation_matrix(series)
    assert matrix == [[index_audit.pearson(series[a], series[b]) for b in codes] for a in codes]


def test_the_matrix_needs_one_value_per_province_in_every_series():
    with pytest.raises(ValueError, match="every series needs one value per province"):
        index_audit.correlation_matrix({"1.1": [1.0, 2, 3], "1.2": [1.0, 2, 3, 4]})


def test_criterion_correlations_with_area_and_total():
    criteria = {"1.1": [1.0, 2, 3, 4], "1.2": [4.0, 3, 2, 1.5]}
    areas = {"1": [5.0, 5, 5, 5.5]}
    total = [7.0, 5, 6, 9]
    rows = index_audit.criterion_correlations(criteria, {"1.1": "1", "1.2": "1"}, areas, total)
    assert rows[0].pearson_total == pytest.approx(np.corrcoef(criteria["1.1"], total)[0, 1])
    assert rows[1].spearman_area == pytest.approx(np.corrcoef(
        pd.Series(criteria["1.2"]).rank(), pd.Series(areas["1"]).rank())[0, 1])
    assert [r.negative for r in rows] == [False, True]


# --- effective weights ------------------------------------------------------------------------

def test_effective_weights_sum_to_one_and_match_numpy():
    rng = np.random.default_rng(3)
    parts = {str(a): list(rng.uniform(0, m, 63)) for a, m in enumerate([9.5, 16, 13, 14])}
    maxima = {"0": 9.5, "1": 16, "2": 13, "3": 14}
    weights = index_audit.effective_weights(parts, maxima)
    assert math.fsum(w.effective for w in weights) == pytest.approx(1.0, abs=1e-12)
    assert math.fsum(w.nominal for w in weights) == pytest.approx(1.0, abs=1e-12)
    total = np.sum([parts[c] for c in parts], axis=0)
    for w in weights:
        cov = np.cov(parts[w.code], total)
        assert w.effective == pytest.approx(cov[0, 1] / cov[1, 1], abs=1e-12)
        assert w.r_squared == pytest.approx(np.corrcoef(parts[w.code], total)[0, 1] ** 2)
    assert [w.nominal for w in weights] == [9.5 / 52.5, 16 / 52.5, 13 / 52.5, 14 / 52.5]


def test_independent_areas_of_equal_variance_and_weight_weigh_what_they_say():
    # uncorrelated (the deviations are orthogonal), same variance, same maximum
    parts = {"1": [6.0, 4, 6, 4], "2": [6.0, 6, 4, 4], "3": [6.0, 4, 4, 6]}
    weights = index_audit.effective_weights(parts, {"1": 10, "2": 10, "3": 10})
    for w in weights:
        assert w.nominal == pytest.approx(1 / 3)
        assert w.effective == pytest.approx(1 / 3, abs=1e-12)
        assert w.r_squared == pytest.approx(1 / 3, abs=1e-12)


def test_a_heavier_area_of_equal_spread_in_percent_drives_more_than_its_weight():
    # Percent scores uncorrelated with equal spread; area 1 is worth 2 points for each of
    # area 2's 1: its points vary twice as much and it drives 4/5 of the variance, not 2/3
    # (effective weights go with the square of the nominal ones, Paruolo et al. 2013).
    percents = {"1": [60.0, 40, 60, 40], "2": [60.0, 60, 40, 40]}
    parts = {"1": [p * 20 / 100 for p in percents["1"]], "2": [p * 10 / 100 for p in
                                                             percents["2"]]}
    weights = index_audit.effective_weights(parts, {"1": 20, "2": 10})
    assert [round(w.nominal, 6) for w in weights] == [round(2 / 3, 6), round(1 / 3, 6)]
    assert [round(w.effective, 12) for w in weights] == [0.8, 0.2]


def test_effective_weights_are_none_when_the_total_does_not_vary():
    weights = index_audit.effective_weights({"1": [1.0, 2, 3], "2": [3.0, 2, 1]},
                                            {"1": 5, "2": 5})
    assert [(w.nominal, w.effective, w.r_squared) for w in weights] == [(0.5, None, None),
                                                                       (0.5, None, None)]


# --- what-if ----------------------------------------------------------------------------------

def par_province(c11, c12, c21):
    """Area 1 (6 points: 1.1 of 4, 1.2 of 2) and area 2 (4 points: 2.1 of 4)."""
    return {"1.1": CriterionValue("1", F(c11), F(4)), "1.2": CriterionValue("1", F(c12), F(2)),
            "2.1": CriterionValue("2", F(c21), F(4))}


HAND = {"01": par_province(4, 2, 0), "02": par_province(2, 0, 4), "03": par_province(3, 1, 1)}
# published: 01 = 6/10 = 60 %, 02 = 60 %, 03 = 50 %: ranks 1, 1, 3
PUBLISHED = {"01": 1, "02": 1, "03": 3}
NOMINAL = {"1": F(6), "2": F(4)}


def test_what_if_with_unchanged_weights_gives_the_published_ranks():
    result = index_audit.what_if(HAND, NOMINAL, PUBLISHED, percent_scale=False)
    assert [(r.province, r.percent, r.rank, r.shift) for r in result.rows] == [
        ("01", F(60), 1, 0), ("02", F(60), 1, 0), ("03", F(50), 3, 0)]
    assert (result.mean_shift, result.moved) == (0.0, 0)


def test_what_if_reweighted_by_hand():
    # area 1 worth 4, area 2 worth 6:
    # 01: f1 = 6/6, f2 = 0   → 100 × (4 × 1 + 6 × 0) / 10 = 40
    # 02: f1 = 2/6, f2 = 4/4 → 100 × (4/3 + 6) / 10 = 73.33…
    # 03: f1 = 4/6, f2 = 1/4 → 100 × (8/3 + 3/2) / 10 = 41.67
    result = index_audit.what_if(HAND, {"1": F(4), "2": F(6)}, PUBLISHED, percent_scale=False)
    assert [(r.province, r.percent, r.rank, r.published_rank, r.shift) for r in result.rows] == [
        ("02", F(220, 3), 1, 1, 0), ("03", F(125, 3), 2, 3, 1), ("01", F(40), 3, 1, -2)]
    assert (result.mean_shift, result.moved) == (1.0, 2)


def test_what_if_without_a_criterion_scores_its_area_on_the_rest():
    # without 1.2, area 1 keeps its 6 points: 01: 100 × (6 × 4/4 + 4 × 0) / 10 = 60;
    # 02: 100 × (6 × 2/4 + 4 × 1) / 10 = 70; 03: 100 × (6 × 3/4 + 4 × 1/4) / 10 = 55
    result = index_audit.what_if(HAND, NOMINAL, PUBLISHED, percent_scale=False,
                                 dropped=frozenset({"1.2"}))
    assert [(r.province, r.percent, r.rank, r.shift) for r in result.rows] == [
        ("02", F(70), 1, 0), ("01", F(60), 2, -1), ("03", F(55), 3, 0)]
    assert result.mean_shift == pytest.approx(1 / 3)


def test_what_if_of_sipas_averages_percentages_and_skips_missing_ones():
    provinces = {
        "01": {"A1": CriterionValue("A", F(80), F(1)), "A2": CriterionValue("A", None, F(1)),
               "B1": CriterionValue("B", F(60), F(1))},
        "02": {"A1": CriterionValue("A", None, F(1)), "A2": CriterionValue("A", None, F(1)),
               "B1": CriterionValue("B", F(50), F(1))},
        "03": {"A1": CriterionValue("A", None, F(1)), "A2": CriterionValue("A", None, F(1)),
               "B1": CriterionValue("B", None, F(1))},
    }
    result = index_audit.what_if(provinces, {"A": F(1), "B": F(3)}, {"01": 1, "02": 2},
                                 percent_scale=True)
    # 01: (1 × 80 + 3 × 60) / 4 = 65; 02: part A has no value, so 50; 03: unranked
    assert [(r.province, r.percent, r.rank) for r in result.rows] == [
        ("01", F(65), 1), ("02", F(50), 2), ("03", None, None)]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 400), st.integers(0, 200), st.integers(0, 400)),
                min_size=2, max_size=63))
def test_unchanged_weights_reproduce_the_spec_ranking(scores):
    # Criteria in quarter points, so rounded ties (1, 2, 2, 4) happen often.
    provinces = {f"{i:02d}": par_province(F(a, 100), F(b, 100), F(c, 100))
                 for i, (a, b, c) in enumerate(scores)}
    published = engine.competition_ranks({
        code: 100 * sum((v.value for v in criteria.values()), F(0)) / 10
        for code, criteria in provinces.items()})
    result = index_audit.what_if(provinces, NOMINAL, published, percent_scale=False)
    assert {r.province: r.rank for r in result.rows} == published
    assert result.mean_shift == 0 and result.moved == 0


# --- coverage, strengths, years ----------------------------------------------------------------

def test_coverage_by_province_and_criterion_flags_below_65_percent():
    criterion_of = {"1.1.1": "1.1", "1.1.2": "1.1", "1.2.1": "1.2"}
    statuses = {"01": {"1.1.1": "ok", "1.1.2": "provisional", "1.2.1": "ok"},
                "02": {"1.1.1": "missing", "1.1.2": "ok"}}  # 1.2.1 absent: missing
    provinces, criteria = index_audit.coverage(statuses, criterion_of)
    assert [(c.key, c.valued, c.provisional, c.missing, c.total, c.flagged)
            for c in provinces] == [("01", 3, 1, 0, 3, False), ("02", 1, 0, 2, 3, True)]
    assert [(c.key, c.valued, c.total, c.flagged) for c in criteria] == [
        ("1.1", 3, 4, False), ("1.2", 1, 2, True)]
    assert provinces[1].share == pytest.approx(1 / 3)


def test_strengths_and_weaknesses_by_percentile():
    national = {"1.1": [10.0, 20, 30, 40], "1.2": [5.0, 5, 5, 5], "2.1": [1.0, 2, 3, 4],
                "2.2": [40.0, 30, 30, 10], "3.1": [9.0, 8, 7, 6]}
    mine = {"1.1": 40.0, "1.2": 5.0, "2.1": 1.0, "2.2": 30.0, "3.1": 7.0}
    best, worst = index_audit.strengths_and_weaknesses(mine, national)
    # 1.1: (3 + ½) / 4 = 87.5; 2.1: ½ / 4 = 12.5; 2.2: (1 + 1) / 4 = 50; 3.1: (1 + ½)/4 = 37.5
    assert [(s.code, s.percentile) for s in best] == [("1.1", 87.5), ("2.2", 50.0),
                                                      ("3.1", 37.5)]
    assert [(s.code, s.percentile) for s in worst] == [("2.1", 12.5), ("3.1", 37.5),
                                                       ("2.2", 50.0)]


def test_year_comparison_spearman_and_movers():
    previous = {"01": 1, "02": 2, "03": 3, "04": 4, "05": 5}
    current = {"01": 2, "02": 1, "03": 3, "04": 5, "05": 4, "06": 6}
    result = index_audit.year_comparison(current, previous, movers=3)
    # d = −1, 1, 0, −1, 1: Σd² = 4; ρ = 1 − 6 × 4 / (5 × 24) = 0.8
    assert result.spearman == pytest.approx(0.8)
    assert result.compared == 5
    assert result.movers == [("01", 1, 2), ("02", 2, 1), ("04", 4, 5)]

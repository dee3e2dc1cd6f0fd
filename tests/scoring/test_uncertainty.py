"""The bootstrap, rank intervals, weight sensitivity and raking: pure arithmetic, no database."""

import math
from fractions import Fraction as F

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.rules import engine, sensitivity, uncertainty, weighting
from scoring.rules.engine import NodeDef, SourceDef

SAT5 = (1, 2, 3, 4, 5)

PAR_TREE = [
    NodeDef("", None, 0, max_points=F(10)),
    NodeDef("1", "", 1, max_points=F(5)),
    NodeDef("1.1", "1", 2, max_points=F(5)),
    NodeDef("1.1.1", "1.1", 3, max_points=F(2), method="appraisal"),
    NodeDef("1.1.2", "1.1", 3, max_points=F(3), method="survey", rule="scaled_mean",
            sources=(SourceDef(1, F(1), SAT5), SourceDef(3, F(3), SAT5))),
    NodeDef("2", "", 1, max_points=F(5)),
    NodeDef("2.1", "2", 2, max_points=F(5)),
    NodeDef("2.1.1", "2.1", 3, max_points=F(5, 2), method="survey", rule="top_box",
            threshold=4, sources=(SourceDef(2, F(1), SAT5),)),
    NodeDef("2.1.2", "2.1", 3, max_points=F(5, 2), method="survey", rule="option_fraction",
            fractions={1: F(0), 2: F(0), 3: F(1, 4), 4: F(3, 4), 5: F(1)},
            sources=(SourceDef(1, F(1), SAT5),)),
]

SIPAS_TREE = [
    NodeDef("", None, 0),
    NodeDef("POL", "", 1),
    NodeDef("POL1", "POL", 2),
    NodeDef("SP01", "POL1", 3, rule="top_box", threshold=4, sources=(SourceDef(1, F(1), SAT5),)),
    NodeDef("SRV", "", 1),
    NodeDef("SRV1", "SRV", 2),
    NodeDef("SS01", "SRV1", 3, rule="top_box", threshold=4, sources=(SourceDef(2, F(1), SAT5),)),
    NodeDef("SRV2", "SRV", 2),
    NodeDef("SS02", "SRV2", 3, rule="top_box", threshold=4, sources=(SourceDef(3, F(1), SAT5),)),
]

counts = st.dictionaries(st.sampled_from(SAT5 + (9,)), st.integers(0, 40), max_size=6)
tallies = st.dictionaries(st.sampled_from([1, 2, 3]), counts, max_size=3)


def as_row(plan, tally) -> np.ndarray:
    row = np.zeros((1, len(plan.columns)))
    for question, values in tally.items():
        for value, n in values.items():
            if (question, value) in plan.columns:
                row[0, plan.columns[(question, value)]] += n
    return row


@settings(max_examples=150, deadline=None)
@given(tally=tallies, appraised=st.sampled_from([None, F(3, 2)]))
def test_compiled_plan_scores_like_the_exact_engine(tally, appraised):
    scores = {"1.1.1": engine.Scores(F(2), appraised)}
    for kind, tree in (("par", PAR_TREE), ("sipas", SIPAS_TREE)):
        exact = engine.score_tree(kind, tree, tally, scores)
        plan = uncertainty.compile_plan(kind, tree)
        fast = uncertainty.evaluate(plan, as_row(plan, tally),
                                    uncertainty.appraisal_values(tree, scores))
        for code, score in exact.items():
            value = score.points if kind == "par" else score.percent
            if value is None:
                assert math.isnan(fast[code][0]), code
            else:
                assert fast[code][0] == pytest.approx(float(value), abs=1e-9), code


def test_the_cross_check_scores_every_rule_of_the_rule_table():
    # so that a rule added to engine.RULES is held to the exact engine by the test above
    assert {n.rule for n in PAR_TREE if n.rule} == set(engine.RULES)


def test_compiled_plan_refuses_an_unknown_rule_as_the_exact_engine_does():
    tree = [NodeDef("", None, 0), NodeDef("X", "", 1), NodeDef("X1", "X", 2),
            NodeDef("X11", "X1", 3, method="survey", rule="median",
                    sources=(SourceDef(1, F(1), SAT5),))]
    with pytest.raises(ValueError, match="^unknown rule 'median'$"):
        uncertainty.compile_plan("sipas", tree)
    with pytest.raises(ValueError, match="^unknown rule 'median'$"):
        engine.score_tree("sipas", tree, {1: {3: 1}})


def test_survey_based_nodes_leave_out_appraisal_only_branches():
    plan = uncertainty.compile_plan("par", PAR_TREE)
    assert sorted(plan.survey_based) == ["", "1", "1.1", "1.1.2", "2", "2.1", "2.1.1", "2.1.2"]


def stratum_of(plan, answers_by_respondent, label="q"):
    rows, questions, values = [], [], []
    for i, answers in enumerate(answers_by_respondent):
        for question, value in answers.items():
            rows.append(i)
            questions.append(question)
            values.append(value)
    matrix = uncertainty.answer_matrix(plan, len(answers_by_respondent), np.array(rows, int),
                                       np.array(questions, int), np.array(values, int))
    return uncertainty.Stratum(label, matrix)


def test_bootstrap_interval_of_a_proportion_matches_the_normal_approximation():
    # 400 respondents, 120 satisfied (p = 0.3): the normal approximation gives
    # 30 ± 1.96 · √(0.3 · 0.7 / 400) · 100 = 30 ± 4.49 points.
    tree = SIPAS_TREE[:4]
    plan = uncertainty.compile_plan("sipas", tree)
    people = [{1: 5}] * 120 + [{1: 2}] * 280
    stratum = stratum_of(plan, people)
    replicates = uncertainty.replicate_tallies([stratum], province="74", seed=7,
                                               replicates=range(4000))
    values = uncertainty.evaluate(plan, replicates)["SP01"]
    low, high = uncertainty.percentile_interval(values)
    half = 1.959964 * math.sqrt(0.3 * 0.7 / 400) * 100
    assert low == pytest.approx(30 - half, abs=0.35)
    assert high == pytest.approx(30 + half, abs=0.35)
    assert np.mean(values) == pytest.approx(30, abs=0.2)


def test_a_replicate_is_the_same_whatever_the_chunks_or_their_order():
    plan = uncertainty.compile_plan("sipas", SIPAS_TREE)
    rng = np.random.default_rng(1)
    people = [{1: int(rng.integers(1, 6)), 3: int(rng.integers(1, 6))} for _ in range(57)]
    strata = [stratum_of(plan, people, "sipas-2024")]
    whole = uncertainty.replicate_tallies(strata, province="74", seed=11, replicates=range(30))
    pieces = [uncertainty.replicate_tallies(strata, province="74", seed=11,
                                            replicates=range(a, b))
              for a, b in ((20, 30), (0, 7), (7, 20))]
    assert np.array_equal(whole, np.vstack([pieces[1], pieces[2], pieces[0]]))
    other_seed = uncertainty.replicate_tallies(strata, province="74", seed=12,
                                               replicates=range(30))
    assert not np.array_equal(whole, other_seed)
    other_province = uncertainty.replicate_tallies(strata, province="01", seed=11,
                                                   replicates=range(30))
    assert not np.array_equal(whole, other_province)


def test_a_resample_draws_as_many_respondents_as_were_observed():
    draws = uncertainty.resample_counts(37, uncertainty.stream(5, 0, "74", "q"))
    assert draws.sum() == 37
    assert len(draws) == 37


def test_rank_intervals_collapse_to_the_point_rank_when_every_answer_is_identical():
    plan = uncertainty.compile_plan("sipas", SIPAS_TREE)
    # Within each province every respondent answers the same: every replicate equals the
    # sample, so each province's rank is its point rank in every replicate.
    answers = {"01": {1: 5, 2: 5, 3: 5}, "74": {1: 5, 2: 2, 3: 5}, "79": {1: 2, 2: 2, 3: 2},
               "31": {1: 5, 2: 2, 3: 5}}
    totals = []
    for code, given_answers in answers.items():
        stratum = stratum_of(plan, [given_answers] * 25)
        replicates = uncertainty.replicate_tallies([stratum], province=code, seed=3,
                                                   replicates=range(200))
        totals.append(uncertainty.evaluate(plan, replicates)[""])
    intervals = uncertainty.rank_intervals(np.column_stack(totals))
    assert intervals == [uncertainty.RankInterval(1, 1, 1), uncertainty.RankInterval(2, 2, 2),
                         uncertainty.RankInterval(4, 4, 4), uncertainty.RankInterval(2, 2, 2)]


def test_replicate_ranks_are_competition_ranks_of_values_rounded_to_two_decimals():
    values = np.array([[80.004, 79.996, 70.0, np.nan], [1.0, 2.0, 3.0, 4.0]])
    assert uncertainty.replicate_ranks(values).tolist() == [[1, 1, 3, 4], [4, 3, 2, 1]]


# --- weight sensitivity ---------------------------------------------------------------------

AREAS = np.array([[90.0, 50.0], [50.0, 90.0], [70.0, 69.0], [10.0, 20.0]])


def test_no_variation_leaves_every_rank_where_it_is():
    result = sensitivity.weight_sensitivity(AREAS, [60, 40], variation=0.0, draws=50, seed=1,
                                            scale=1.0)
    # nominal totals: 74, 66, 69.6, 14
    assert [(p.nominal_rank, p.median_rank, p.low_rank, p.high_rank) for p in result.provinces] \
        == [(1, 1, 1, 1), (3, 3, 3, 3), (2, 2, 2, 2), (4, 4, 4, 4)]
    assert result.mean_shift == 0.0


def test_weights_varying_move_close_provinces_and_not_distant_ones():
    result = sensitivity.weight_sensitivity(AREAS, [50, 50], variation=0.5, draws=2000,
                                            seed=4, scale=1.0)
    # equal weights: 70, 70, 69.5, 15 — the first two swap depending on the weights
    first, second, third, last = result.provinces
    assert (first.nominal_rank, second.nominal_rank, third.nominal_rank) == (1, 1, 3)
    assert (first.low_rank, first.high_rank) == (1, 3)
    assert (last.low_rank, last.high_rank, last.mean_shift) == (4, 4, 0.0)
    assert 0 < result.mean_shift < 1


def test_weighted_totals_with_nominal_weights_give_back_the_par_total():
    # PAR: area percentages weighted by their maximum points, scaled by Σ max / 100.
    percents = np.array([[80.0, 40.0]])
    totals = sensitivity.weighted_totals(percents, np.array([[68.0, 32.0]]), 1.0)
    assert totals[0, 0] == pytest.approx((68 * 0.8 + 32 * 0.4) / 1.0)


def test_sensitivity_rejects_impossible_settings():
    with pytest.raises(ValueError, match="variation must be at least 0 and below 1"):
        sensitivity.weight_sensitivity(AREAS, [1, 1], variation=1.0, draws=5, seed=1, scale=1)
    with pytest.raises(ValueError, match="draws must be between 1 and 10000"):
        sensitivity.weight_sensitivity(AREAS, [1, 1], variation=0.1, draws=0, seed=1, scale=1)


# --- raking -----------------------------------------------------------------------------------

def test_raking_gives_weight_one_when_the_sample_matches_the_margins():
    categories = np.array([[1, 1], [1, 2], [2, 1], [2, 2]] * 5)
    weights = weighting.rake(categories, [{1: 0.5, 2: 0.5}, {1: 0.5, 2: 0.5}])
    assert weights.tolist() == [1.0] * 20
    assert weighting.kish_effective_size(weights) == 20.0


def test_raking_matches_both_margins():
    categories = np.array([[1, 1], [1, 1], [1, 2], [2, 1], [2, 2], [2, 2], [2, 2], [1, 1]])
    weights = weighting.rake(categories, [{1: 0.4, 2: 0.6}, {1: 0.7, 2: 0.3}])
    total = weights.sum()
    assert total == pytest.approx(8)
    assert weights[categories[:, 0] == 1].sum() / total == pytest.approx(0.4, abs=1e-9)
    assert weights[categories[:, 1] == 1].sum() / total == pytest.approx(0.7, abs=1e-9)


def test_one_margin_weights_are_share_over_sample_share():
    # 3 men and 1 woman, population 50/50: men weigh (0.5 / 0.75) = 2/3, the woman 2.
    weights = weighting.rake(np.array([[1], [1], [1], [2]]), [{1: 0.5, 2: 0.5}])
    assert weights.tolist() == pytest.approx([2 / 3, 2 / 3, 2 / 3, 2.0])
    # Kish: (Σw)² / Σw² = 16 / (3 · 4/9 + 4) = 16 / (16/3) = 3
    assert weighting.kish_effective_size(weights) == pytest.approx(3.0)


def test_raking_refuses_margins_with_no_respondent():
    with pytest.raises(weighting.MarginsUnreachable,
                       match="no respondent in category 2 of variable 1"):
        weighting.rake(np.array([[1], [1]]), [{1: 0.5, 2: 0.5}])


def test_margin_of_error_and_the_sample_size_planner():
    # sd 30 points, n_eff 400: 1.96 · 30 / 20 = 2.94
    assert weighting.margin_of_error(30.0, 400.0) == pytest.approx(2.939946, abs=1e-6)
    # for ±3 points: (1.96 · 30 / 3)² = 384.15 → 385; with a design effect of 1.5 → 577
    assert weighting.required_sample(30.0, 3.0) == 385
    assert weighting.required_sample(30.0, 3.0, 1.5) == 577
    weights = np.array([1.0, 1.0, 3.0, 3.0])
    values = np.array([0.0, 100.0, 50.0, np.nan])
    # weighted mean over the three with a value: (0 + 100 + 150) / 5 = 50; variance
    # (1·2500 + 1·2500 + 0) / 5 = 1000
    assert weighting.weighted_sd(values, weights) == pytest.approx(math.sqrt(1000))

"""Published intervals: small samples, Monte Carlo error and true groups (pure, no database)."""

import math
from fractions import Fraction as F

import numpy as np
import pytest

from scoring.rules import uncertainty
from scoring.rules.engine import NodeDef, SourceDef

SAT5 = (1, 2, 3, 4, 5)
ITEM = [NodeDef("", None, 0), NodeDef("P", "", 1), NodeDef("E", "P", 2),
        NodeDef("S1", "E", 3, rule="top_box", threshold=4, sources=(SourceDef(1, F(1), SAT5),))]


def test_wilson_interval_with_continuity_correction_matches_newcombe():
    # Newcombe (1998), method 4: 81/263 -> 0.2535 to 0.3682 (without the correction,
    # method 3, 0.2553 to 0.3662)
    assert uncertainty.wilson_interval(81 / 263, 263) == pytest.approx((0.2535, 0.3682),
                                                                        abs=1e-4)
    # by hand: 7 of 10 -> (14 + z² + 1 + z·√(z² + 2 − 0.1 + 2.8 · 2)) / (2 · (10 + z²)) = 0.9191,
    # above 0.9, where plain Wilson stops at 0.8922
    assert uncertainty.wilson_interval(0.7, 10)[1] == pytest.approx(0.9191, abs=1e-4)
    # 10 of 10 satisfied: not [100, 100]
    low, high = uncertainty.wilson_interval(1.0, 10)
    assert (round(low, 4), high) == (0.6555, 1.0)


def old_percentile_interval(x: int, n: int, rng, replicates: int = 200) -> tuple:
    """The interval published before: percentile bootstrap of the respondents (binomial draws)."""
    draws = rng.binomial(n, x / n, size=replicates) / n * 100
    return uncertainty.percentile_interval(draws)


def published_for(x: int, n: int, rng, replicates: int = 200):
    plan = uncertainty.compile_plan("sipas", ITEM)
    answers = np.zeros((n, len(plan.columns)))
    answers[:x, plan.columns[(1, 5)]] = 1
    answers[x:, plan.columns[(1, 2)]] = 1
    draws = np.vstack([uncertainty.resample_counts(n, rng) for _ in range(replicates)])
    values = uncertainty.evaluate(plan, draws @ answers)["S1"]
    sample = uncertainty.node_samples(plan, answers.sum(axis=0))["S1"]
    return uncertainty.published_interval(values, sample)


def test_the_published_small_sample_interval_covers_at_least_93_percent_where_the_old_did_not():
    # p = 0.9, n = 10: 4,000 samples; each interval from the project's own resampling.
    rng = np.random.default_rng(20240)
    p, n, samples = 0.9, 10, 4000
    covered_new = covered_old = 0
    cache: dict[int, tuple] = {}
    for x in rng.binomial(n, p, size=samples):
        if x not in cache:  # the published interval for x of 10 (Wilson: no randomness)
            published = published_for(int(x), n, rng)
            assert published.method == "wilson" and published.small_sample
            cache[x] = (published.low, published.high)
        low, high = cache[x]
        covered_new += low <= p * 100 <= high
        low, high = old_percentile_interval(int(x), n, rng)
        covered_old += low <= p * 100 <= high
    assert covered_new / samples >= 0.93
    assert covered_old / samples < 0.80  # 10 of 10 gave [100, 100]; 7 of 10 stopped at 90
    # the exact coverage of the published interval: x = 7…10 of 10 are covered
    exact = sum(math.comb(n, k) * p ** k * (1 - p) ** (n - k) for k in range(7, 11))
    assert covered_new / samples == pytest.approx(exact, abs=0.006)


def test_a_large_sample_keeps_its_bootstrap_interval_with_monte_carlo_errors():
    rng = np.random.default_rng(3)
    published = published_for(120, 400, rng, replicates=1000)
    assert published.method == "bootstrap" and not published.small_sample
    assert published.answers == 400
    assert published.low == pytest.approx(30 - 4.49, abs=0.6)
    assert 0 < published.mc_low < 0.5 and 0 < published.mc_high < 0.5


def test_no_spread_or_few_answers_on_one_side_get_the_wilson_interval():
    rng = np.random.default_rng(4)
    everyone = published_for(200, 200, rng)  # 200 of 200: replicates without spread
    assert everyone.method == "wilson"
    assert everyone.high == 100.0
    assert everyone.low == pytest.approx(100 * uncertainty.wilson_interval(1.0, 200)[0])
    assert everyone.low < 100
    assert published_for(197, 200, rng).method == "wilson"  # 3 dissatisfied: n(1 - p) < 5
    assert published_for(190, 200, rng).method == "bootstrap"


def test_a_node_without_valid_answers_has_no_interval():
    sample = uncertainty.NodeSample(float("nan"), 0)
    assert uncertainty.published_interval(np.full(10, np.nan), sample) == \
        uncertainty.PublishedInterval(None, None, "none", 0)


PAR_TREE = [
    NodeDef("", None, 0, max_points=F(10)),
    NodeDef("1", "", 1, max_points=F(10)),
    NodeDef("1.1", "1", 2, max_points=F(10)),
    NodeDef("1.1.1", "1.1", 3, max_points=F(4), method="appraisal"),
    NodeDef("1.1.2", "1.1", 3, max_points=F(4), method="survey", rule="top_box", threshold=4,
            sources=(SourceDef(1, F(1), SAT5), SourceDef(2, F(1), SAT5))),
    NodeDef("1.1.3", "1.1", 3, max_points=F(2), method="survey", rule="top_box", threshold=4,
            sources=(SourceDef(3, F(1), SAT5),)),
]


def test_node_samples_separate_fixed_appraisal_points_from_sampled_survey_points():
    plan = uncertainty.compile_plan("par", PAR_TREE)
    row = np.zeros(len(plan.columns))
    row[plan.columns[(1, 5)]] = 6   # question 1: 6 of 8 satisfied
    row[plan.columns[(1, 1)]] = 2
    row[plan.columns[(2, 4)]] = 20  # question 2: 20 of 20
    samples = uncertainty.node_samples(plan, row, {"1.1.1": 3.0})
    leaf = samples["1.1.2"]
    # (0.75 + 1) / 2 of 4 points; the fewer answers of its two questions
    assert (leaf.value, leaf.answers, leaf.fixed, leaf.scale) == (3.5, 8, 0.0, 4.0)
    total = samples[""]
    # 1.1.3 has no answer: 0 points, not sampled; the appraisal's 3 points are fixed
    assert (total.value, total.answers, total.fixed, total.scale) == (6.5, 8, 3.0, 4.0)
    assert total.share == pytest.approx(3.5 / 4)
    published = uncertainty.published_interval(np.full(5, 6.5), total)
    low, high = uncertainty.wilson_interval(3.5 / 4, 8)
    assert (published.low, published.high) == pytest.approx((3 + 4 * low, 3 + 4 * high))
    assert samples["1.1.3"].answers == 0


def test_the_monte_carlo_error_of_an_endpoint_matches_its_spread_over_repeated_runs():
    # The 2.5th percentile of 1,000 standard normal values has standard error
    # √(q(1 − q)/R) / φ(z_q) = 0.0845; the order-statistic estimate finds it.
    rng = np.random.default_rng(5)
    runs = rng.standard_normal((400, 1000))
    endpoints = np.percentile(runs, 2.5, axis=1)
    estimates = [uncertainty.quantile_mc_error(r, 0.025) for r in runs]
    theory = math.sqrt(0.025 * 0.975 / 1000) / (math.exp(-1.959964 ** 2 / 2)
                                                 / math.sqrt(2 * math.pi))
    assert np.std(endpoints) == pytest.approx(theory, rel=0.15)
    assert np.median(estimates) == pytest.approx(theory, rel=0.2)
    # four times the replicates, half the error
    more = uncertainty.quantile_mc_error(rng.standard_normal(4000), 0.025)
    assert more == pytest.approx(theory / 2, rel=0.35)


# --- groups -----------------------------------------------------------------------------------

def clustered_totals(rng, replicates=1000):
    """Three clusters of provinces (means 80, 70, 60), each province's total ± 1.5 points."""
    means = [81, 80.5, 79.8, 71, 70.2, 69.5, 68.9, 60]
    return np.column_stack([rng.normal(m, 1.5, replicates) for m in means])


def test_group_members_are_not_distinguishable_from_their_first_and_groups_are_apart():
    rng = np.random.default_rng(6)
    totals = clustered_totals(rng)
    shares = uncertainty.above_shares(totals)
    groups = uncertainty.distinguishable_groups(range(8), shares)
    assert groups == {0: 1, 1: 1, 2: 1, 3: 2, 4: 2, 5: 2, 6: 2, 7: 3}
    first = {}
    for column, group in groups.items():
        first.setdefault(group, column)
        # the difference from the group's first is not significant at 95 %
        assert shares[first[group], column] < uncertainty.ABOVE_SHARE
    for a, ga in groups.items():
        for b, gb in groups.items():
            if ga < gb:  # every member of a higher group is above every one of a lower group
                assert shares[a, b] >= uncertainty.ABOVE_SHARE, (a, b)


def test_groups_on_a_gradual_table_hold_what_the_page_says():
    # 20 provinces 0.6 points apart, each ± 1 point: no clusters; the page's claims still hold.
    rng = np.random.default_rng(7)
    totals = np.column_stack([rng.normal(80 - 0.6 * i, 1.0, 1000) for i in range(20)])
    shares = uncertainty.above_shares(totals)
    groups = uncertainty.distinguishable_groups(range(20), shares)
    firsts = [min(c for c, g in groups.items() if g == k) for k in sorted(set(groups.values()))]
    assert len(firsts) > 2
    for column, group in groups.items():
        assert shares[firsts[group - 1], column] < uncertainty.ABOVE_SHARE
    for before, after in zip(firsts, firsts[1:], strict=False):
        assert shares[before, after] >= uncertainty.ABOVE_SHARE


def test_the_old_overlap_rule_put_distinguishable_provinces_together():
    # What the issue measured: overlapping 5–95 % rank intervals are not a test of difference.
    rng = np.random.default_rng(8)
    totals = np.column_stack([rng.normal(m, 1.0, 1000) for m in (80, 77.5, 75, 72.5)])
    shares = uncertainty.above_shares(totals)
    assert shares[0, 1] >= 0.95  # 80 ± 1 is above 77.5 ± 1 in 96 % of replicates
    groups = uncertainty.distinguishable_groups(range(4), shares)
    assert groups[1] != groups[0]


def test_above_shares_are_paired_and_ignore_replicates_without_a_value():
    values = np.array([[2.0, 1.0, np.nan], [1.0, 1.004, 3.0], [3.0, 2.0, 1.0], [1.0, 2.0, 0.0]])
    shares = uncertainty.above_shares(values)
    assert shares[0, 1] == 0.5  # rounded to 2 decimals, 1.0 and 1.004 are level
    assert shares[1, 0] == 0.25
    assert shares[2, 0] == 0.25  # the replicate without a value counts as not above
    assert shares[0, 2] == 0.5


def test_rank_intervals_are_95_percent_intervals():
    # a province whose rank is 1 in 960 replicates and 2 in 40: the 97.5th percentile is 2
    values = np.zeros((1000, 2))
    values[:, 0] = 2.0
    values[:, 1] = 1.0
    values[:40, 1] = 3.0
    assert uncertainty.rank_intervals(values)[0] == uncertainty.RankInterval(1, 1, 2)
    values[:20, 1] = 1.0
    values[20:40, 1] = 1.0  # now rank 2 in only 0 replicates
    assert uncertainty.rank_intervals(values)[0] == uncertainty.RankInterval(1, 1, 1)


def test_effective_answers_weigh_each_item_by_its_share_of_the_node():
    assert uncertainty.effective_answers([1.0], [37]) == 37
    # one of 43 equal items has a single answer, the others 20: 1 / (1/43 + 42/43/20) = 13.8
    assert uncertainty.effective_answers([1 / 43] * 43, [1] + [20] * 42) == 13
    assert uncertainty.effective_answers([0.5, 0.5], [10, 30]) == 15
    assert uncertainty.effective_answers([], []) == 0


SIPAS = [NodeDef("", None, 0), NodeDef("P", "", 1), NodeDef("E", "P", 2),
         NodeDef("S1", "E", 3, rule="top_box", threshold=4, sources=(SourceDef(1, F(1), SAT5),)),
         NodeDef("S2", "E", 3, rule="top_box", threshold=4, sources=(SourceDef(2, F(1), SAT5),)),
         NodeDef("Q", "", 1), NodeDef("Q1", "Q", 2),
         NodeDef("S3", "Q1", 3, rule="top_box", threshold=4, sources=(SourceDef(3, F(1), SAT5),))]


def test_a_total_resting_on_a_rarely_answered_item_gets_an_interval_holding_its_value():
    plan = uncertainty.compile_plan("sipas", SIPAS)
    row = np.zeros(len(plan.columns))
    row[plan.columns[(1, 5)]] = 40  # S1: 40 of 40
    row[plan.columns[(2, 5)]] = 1   # S2: 1 of 1
    row[plan.columns[(3, 5)]] = 38  # S3: 38 of 40
    row[plan.columns[(3, 1)]] = 2
    total = uncertainty.node_samples(plan, row)[""]
    # S1 and S2 weigh 1/4 each in the total, S3 1/2: 1 / (1/4/40 + 1/4/1 + 1/2/40) = 3.72
    assert total.answers == 3
    assert total.value == pytest.approx(97.5)
    published = uncertainty.published_interval(np.full(10, 97.5), total)
    assert published.method == "wilson" and published.small_sample
    assert published.low <= 97.5 <= published.high


# --- sampling design: Rao–Wu rescaled bootstrap --------------------------------------------

def clustered_sample(rng, clusters=80, size=10, icc=0.1):
    """Satisfied (1) or not, respondents in clusters sharing a beta-distributed chance (mean 0.5).

    For a beta-binomial, ICC = 1 / (a + b + 1): a = b = (1/icc − 1) / 2.
    """
    a = (1 / icc - 1) / 2
    chances = rng.beta(a, a, size=clusters)
    return (rng.random((clusters, size)) < chances[:, None]).astype(int)


def anova_icc(y: np.ndarray) -> float:
    k, m = y.shape
    means = y.mean(axis=1)
    between = m * np.sum((means - y.mean()) ** 2) / (k - 1)
    within = np.sum((y - means[:, None]) ** 2) / (k * (m - 1))
    return (between - within) / (between + (m - 1) * within)


def item_stratum(plan, satisfied: np.ndarray, **design) -> uncertainty.Stratum:
    answers = np.zeros((len(satisfied), len(plan.columns)))
    answers[satisfied == 1, plan.columns[(1, 5)]] = 1
    answers[satisfied == 0, plan.columns[(1, 2)]] = 1
    return uncertainty.Stratum("citizens", answers, **design)


def test_clustering_widens_the_interval_by_the_design_effect():
    rng = np.random.default_rng(15)
    y = clustered_sample(rng)
    clusters, size = y.shape
    plan = uncertainty.compile_plan("sipas", ITEM)
    psus = [f"commune-{c:03d}" for c in range(clusters) for _ in range(size)]
    flat = y.reshape(-1)
    by_respondent = item_stratum(plan, flat)
    by_commune = item_stratum(plan, flat, psus=psus, strata=["urban"] * len(psus))
    assert by_commune.clustered and not by_respondent.clustered
    variances = []
    for stratum in (by_respondent, by_commune):
        tallies = uncertainty.replicate_tallies([stratum], province="74", seed=1,
                                                replicates=range(2000))
        variances.append(np.var(uncertainty.evaluate(plan, tallies)["S1"]))
    deff = variances[1] / variances[0]
    expected = 1 + (size - 1) * anova_icc(y)  # Kish: 1 + (m − 1)ρ
    assert deff == pytest.approx(expected, rel=0.15)
    assert deff == pytest.approx(1 + 9 * 0.1, rel=0.3)  # the ICC the sample was drawn with
    # the respondent bootstrap is the unbiased variance of a simple random sample
    p = flat.mean()
    assert variances[0] == pytest.approx(p * (1 - p) / len(flat) * 1e4, rel=0.1)


def test_a_psu_is_drawn_whole_and_strata_are_drawn_apart():
    plan = uncertainty.compile_plan("sipas", ITEM)
    satisfied = np.array([1, 1, 0, 0, 1, 0])
    stratum = item_stratum(plan, satisfied, psus=["a", "a", "b", "b", "c", ""],
                           strata=["x", "x", "x", "x", "y", "y"])
    units, fractions = stratum.design()
    assert [[list(u) for u in s] for s in units] == [[[0, 1], [2, 3]], [[4], [5]]]
    assert fractions == [0.0, 0.0]
    tallies = uncertainty.replicate_tallies([stratum], province="74", seed=2,
                                            replicates=range(50))
    # Each stratum has 2 units and draws 1 of them with factor 2 (a = 0, b = 2): stratum x
    # gives 0 or 4 satisfied (unit a's pair, never one of it), y gives 0 or 2; always 6 people.
    satisfied_drawn = np.round(tallies[:, plan.columns[(1, 5)]], 9)
    assert set(np.round(tallies.sum(axis=1), 9)) == {6.0}
    assert set(satisfied_drawn) <= {0.0, 2.0, 4.0, 6.0} and len(set(satisfied_drawn)) > 2


def test_a_census_group_has_an_interval_of_zero_width():
    plan = uncertainty.compile_plan("sipas", ITEM)
    rng = np.random.default_rng(9)
    satisfied = (rng.random(40) < 0.7).astype(int)
    spreads = {}
    for population in (0, 80, 40):  # unknown, half sampled, every one sampled
        stratum = item_stratum(plan, satisfied, population=population)
        tallies = uncertainty.replicate_tallies([stratum], province="01", seed=3,
                                                replicates=range(2000))
        spreads[population] = np.var(uncertainty.evaluate(plan, tallies)["S1"])
    assert spreads[40] == 0.0
    assert spreads[80] / spreads[0] == pytest.approx(0.5, rel=0.01)  # (1 − f) with f = 1/2
    answers = item_stratum(plan, satisfied).answers.sum(axis=0)
    census = uncertainty.node_samples(plan, answers, fractions={1: 1.0})["S1"]
    published = uncertainty.published_interval(np.full(5, census.value), census)
    assert (published.method, published.low, published.high) == \
        ("census", census.value, census.value)
    half = uncertainty.node_samples(plan, answers, fractions={1: 0.5})["S1"]
    assert half.fraction == 0.5 and not half.census


# --- weights raked again in each replicate ------------------------------------------------------

def test_a_replicates_weights_are_raked_again_to_the_margins():
    from scoring.rules import weighting

    rng = np.random.default_rng(21)
    sex = rng.integers(1, 3, size=200)
    age = rng.integers(1, 4, size=200)
    categories = np.column_stack([sex, age])
    margins = [{1: 0.3, 2: 0.7}, {1: 0.2, 2: 0.5, 3: 0.3}]
    plan = uncertainty.compile_plan("sipas", ITEM)
    stratum = item_stratum(plan, (rng.random(200) < 0.6).astype(int))
    factors = uncertainty.replicate_factor_matrix(stratum, province="74", seed=4,
                                                  replicates=range(30))
    # the same draws as the unweighted replicates
    assert np.allclose(factors @ stratum.answers,
                       uncertainty.replicate_tallies([stratum], province="74", seed=4,
                                                     replicates=range(30)))
    raked = weighting.reraked_weights(categories, margins, factors)
    assert raked.shape == factors.shape
    for f, w in zip(factors, raked, strict=True):
        assert np.all(w[f == 0] == 0)  # a respondent not drawn stays out
        assert w.sum() == pytest.approx(f.sum())
        for j, margin in enumerate(margins):
            for value, share in margin.items():
                assert w[categories[:, j] == value].sum() / w.sum() == \
                    pytest.approx(share, abs=1e-6)

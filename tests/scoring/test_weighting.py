"""Raking to population margins: the margins are met, sparse cells are merged, or it refuses."""

import numpy as np
import pytest

from scoring.rules import weighting
from scoring.rules.weighting import Collapsed, MarginMiss


def rake_before(categories, margins, max_iterations=200, tolerance=1e-12):
    """`weighting.rake` as it was before the margins were checked: 200 rounds, then return."""
    n = categories.shape[0]
    weights = np.ones(n)
    for _ in range(max_iterations):
        largest = 0.0
        for j, margin in enumerate(margins):
            column = categories[:, j]
            total = weights[np.isin(column, list(margin))].sum()
            for value, share in margin.items():
                members = column == value
                current = weights[members].sum()
                if current == 0:
                    continue
                factor = share * total / current
                largest = max(largest, abs(factor - 1))
                weights[members] *= factor
        if largest < tolerance:
            break
    return weights * n / weights.sum()


def shares(categories, weights, j, values):
    """Weighted share of each group of values of variable j among those with a value."""
    column = categories[:, j]
    total = weights[column != 0].sum()
    return [float(weights[np.isin(column, group)].sum() / total) for group in values]


# Age band (1, 2, 3) × sex (1 man, 2 woman). The top band has two respondents, both men, but
# half the population, while men are a fifth: no weights give both margins.
SPARSE = np.array([[1, 1]] * 5 + [[1, 2]] * 5 + [[2, 2]] * 10 + [[3, 1]] * 2)
SPARSE_MARGINS = [{1: 0.25, 2: 0.25, 3: 0.5}, {1: 0.2, 2: 0.8}]


def test_the_sparse_case_the_old_raking_left_at_a_fifth_against_a_half_is_refused():
    before = rake_before(SPARSE, SPARSE_MARGINS)
    assert shares(SPARSE, before, 0, [[3]])[0] == pytest.approx(0.2, abs=1e-12)  # not 0.5
    with pytest.raises(weighting.RakingDidNotConverge) as caught:
        weighting.rake(SPARSE, SPARSE_MARGINS)
    assert str(caught.value) == (
        "raking did not meet the margins (largest gap allowed 1e-06): variable 1, category 3 "
        "reached a weighted share of 0.200000 against its margin of 0.500000")
    miss = caught.value.miss
    assert (miss.variable, miss.value, miss.target) == (0, 3, 0.5)
    assert miss.achieved == pytest.approx(0.2, abs=1e-12)
    assert isinstance(caught.value, ValueError)


def test_merging_the_sparse_band_into_its_neighbour_meets_the_merged_margins():
    raking = weighting.rake_collapsing_sparse(SPARSE, SPARSE_MARGINS)
    # Band 3 (2 respondents) has one neighbour, band 2: one cell of 12, share 0.25 + 0.5.
    assert raking.collapsed == (Collapsed(variable=0, values=(2, 3), respondents=12,
                                          share=0.75),)
    achieved = shares(SPARSE, raking.weights, 0, [[1], [2, 3]]) + \
        shares(SPARSE, raking.weights, 1, [[1], [2]])
    assert achieved == pytest.approx([0.25, 0.75, 0.2, 0.8], abs=weighting.MARGIN_TOLERANCE)
    assert raking.weights.sum() == pytest.approx(22, abs=1e-9)
    # Within the merged cell the bands are not held to their own shares.
    assert shares(SPARSE, raking.weights, 0, [[3]])[0] < 0.2


def test_margins_no_merge_can_reach_are_refused():
    # Every man is in band 1 and every woman in band 2, ten of each: nothing is sparse.
    tied = np.array([[1, 1]] * 10 + [[2, 2]] * 10)
    with pytest.raises(weighting.RakingDidNotConverge) as caught:
        weighting.rake_collapsing_sparse(tied, [{1: 0.5, 2: 0.5}, {1: 0.2, 2: 0.8}])
    assert str(caught.value) == (
        "raking did not meet the margins (largest gap allowed 1e-06): variable 1, category 1 "
        "reached a weighted share of 0.200000 against its margin of 0.500000")
    assert caught.value.collapsed == ()
    # Band 3's two men merged into band 2 still leave band 1 (all men, 0.25) above men (0.2).
    merged_too = np.array([[1, 1]] * 10 + [[2, 2]] * 10 + [[3, 1]] * 2)
    with pytest.raises(weighting.RakingDidNotConverge) as caught:
        weighting.rake_collapsing_sparse(merged_too, SPARSE_MARGINS)
    assert caught.value.collapsed == (Collapsed(0, (2, 3), 12, 0.75),)
    assert (caught.value.miss.variable, caught.value.miss.value) == (0, 1)
    assert caught.value.miss.target == 0.25
    assert caught.value.miss.achieved == pytest.approx(0.2, abs=1e-9)


def test_a_sample_whose_margins_can_be_met_is_weighted_as_before():
    # 120 respondents, three variables, some without an answer (0) and a band of 3 (sparse,
    # but the margins are met without merging it, so it stays apart).
    i = np.arange(120)
    categories = np.column_stack([1 + i % 2, 1 + (i // 2) % 4,
                                  np.where(i % 11 == 0, 0, 1 + (i // 8) % 3)])
    categories[:3, 1] = 5
    margins = [{1: 0.48, 2: 0.52}, {1: 0.3, 2: 0.3, 3: 0.2, 4: 0.15, 5: 0.05},
               {1: 0.6, 2: 0.25, 3: 0.15}]
    before = rake_before(categories, margins)
    assert np.abs(weighting.rake(categories, margins) - before).max() <= 1e-12
    raking = weighting.rake_collapsing_sparse(categories, margins)
    assert raking.collapsed == ()
    assert np.abs(raking.weights - before).max() <= 1e-12
    miss = weighting.largest_margin_miss(categories, margins, raking.weights)
    assert miss.gap <= 1e-12


def test_the_largest_miss_counts_shares_among_respondents_with_a_value():
    categories = np.array([[1], [2], [3], [0], [0]])
    miss = weighting.largest_margin_miss(categories, [{1: 0.2, 2: 0.5, 3: 0.3}], np.ones(5))
    # a third each among the three who answered; no answer (0) is left out
    assert miss == MarginMiss(variable=0, value=2, achieved=1 / 3, target=0.5)
    # two categories miss by the same gap: the lower value is named
    tie = weighting.largest_margin_miss(categories[[0, 1, 3]], [{1: 0.2, 2: 0.8}], np.ones(3))
    assert tie == MarginMiss(variable=0, value=1, achieved=0.5, target=0.2)


def test_a_sparse_category_merges_into_its_smaller_neighbour_until_none_is_sparse():
    # Variable 1: bands 1..5 with 10, 2, 8, 3, 20 respondents. Band 2 (2) goes first, into
    # band 3 (8 < 10): 10 | 10 | 3 | 20. Band 4 (3) then goes into 2–3 (10 < 20).
    # Variable 2: an end category can only merge inward; 1 and 42 make one cell.
    counts = {1: 10, 2: 2, 3: 8, 4: 3, 5: 20}
    first = np.repeat(list(counts), list(counts.values()))
    second = np.array([1] + [2] * 42)
    categories = np.column_stack([first, second])
    margins = [{1: 0.1, 2: 0.2, 3: 0.3, 4: 0.25, 5: 0.15}, {1: 0.5, 2: 0.5}]
    recoded, merged, collapsed = weighting.collapse_sparse_cells(categories, margins)
    assert collapsed == (Collapsed(0, (2, 3, 4), 13, pytest.approx(0.75)),
                         Collapsed(1, (1, 2), 43, 1.0))
    assert merged == [{1: 0.1, 2: pytest.approx(0.75), 5: 0.15}, {1: 1.0}]
    assert np.unique(recoded[:, 0], return_counts=True)[1].tolist() == [10, 13, 20]
    assert set(recoded[:, 1].tolist()) == {1}
    assert categories[1, 0] == 1 and categories[10, 0] == 2  # the input is left as it was


# --- bounded raking (trimming) ------------------------------------------------------------------

ONE_AGAINST_NINE = np.array([[1]] + [[2]] * 9)  # one respondent in A, nine in B; half and half


def test_one_respondent_carrying_half_the_population_weighs_nine_times_the_others():
    # Σw = 10 with w_A = 9 w_B: w_A = 5, w_B = 5/9, i.e. 5 and 0.556 × the mean weight of 1.
    weights = weighting.rake(ONE_AGAINST_NINE, [{1: 0.5, 2: 0.5}])
    assert weights[0] == pytest.approx(5, abs=1e-12)
    assert weights[1:] == pytest.approx([5 / 9] * 9, abs=1e-12)
    assert weighting.weight_range(weights) == pytest.approx((5 / 9, 5), abs=1e-12)
    # bounds the weights already meet change nothing
    bounded = weighting.rake(ONE_AGAINST_NINE, [{1: 0.5, 2: 0.5}],
                             bounds=weighting.Bounds(0.2, 6))
    assert np.abs(bounded - weights).max() <= 1e-12


def test_bounds_no_weights_can_meet_with_the_margins_are_refused_by_name():
    with pytest.raises(weighting.RakingDidNotConverge) as caught:
        weighting.rake(ONE_AGAINST_NINE, [{1: 0.5, 2: 0.5}], bounds=weighting.Bounds(0.2, 3))
    # A at 3 × the mean is all trimming allows: 3 / (3 + 9 × 5/9) = 0.375 of the weight.
    assert str(caught.value) == (
        "raking did not meet the margins with weights within 0.2–3 × the mean weight (largest "
        "gap allowed 1e-06): variable 1, category 1 reached a weighted share of 0.375000 "
        "against its margin of 0.500000")
    assert caught.value.bounds == weighting.Bounds(0.2, 3)


# Sex × age, both half and half: 2 men of the first age band, 6 in each other cell (n = 20).
# Raking alone gives w = a·b: 1.830 for the sparse cell, 1.057 beside it, 0.610 opposite.
CROSS = np.array([[1, 1]] * 2 + [[1, 2]] * 6 + [[2, 1]] * 6 + [[2, 2]] * 6)
HALVES = [{1: 0.5, 2: 0.5}, {1: 0.5, 2: 0.5}]


def test_bounded_raking_finds_the_weights_within_the_bounds_that_meet_the_margins():
    unbounded = weighting.rake(CROSS, HALVES)
    assert weighting.weight_range(unbounded) == pytest.approx((0.610042, 1.830127), abs=1e-6)
    # Within [0.5, 1.5]: with w11 = a, w12 = w21 = b, w22 = c, the margins say
    # 2a + 6b = 10 and 6b + 6c = 10, so a = 5 − 3b ≤ 1.5 needs b ≥ 7/6 and c = 5/3 − b ≥ 0.5
    # needs b ≤ 7/6: the only weights are a = 1.5, b = 7/6, c = 0.5.
    weights = weighting.rake(CROSS, HALVES, bounds=weighting.Bounds(0.5, 1.5))
    assert weights[:2] == pytest.approx([1.5] * 2, abs=1e-6)
    assert weights[2:14] == pytest.approx([7 / 6] * 12, abs=1e-6)
    assert weights[14:] == pytest.approx([0.5] * 6, abs=1e-6)
    assert shares(CROSS, weights, 0, [[1], [2]]) == pytest.approx([0.5, 0.5], abs=1e-6)
    assert shares(CROSS, weights, 1, [[1], [2]]) == pytest.approx([0.5, 0.5], abs=1e-6)
    # within [0.6, 1.4] the same algebra needs b ≥ 1.2 and b ≤ 16/15: none
    with pytest.raises(weighting.RakingDidNotConverge, match="within 0.6–1.4 × the mean weight"):
        weighting.rake(CROSS, HALVES, bounds=weighting.Bounds(0.6, 1.4))


def test_merging_sparse_cells_is_tried_within_the_bounds_too():
    with pytest.raises(weighting.RakingDidNotConverge) as caught:
        weighting.rake_collapsing_sparse(CROSS, HALVES, bounds=weighting.Bounds(0.6, 1.4))
    assert caught.value.bounds == weighting.Bounds(0.6, 1.4)
    assert caught.value.collapsed == ()  # every cell has 8 or 12: nothing to merge


@pytest.mark.parametrize("bounds", [None, weighting.Bounds(0.3, 2.5)])
def test_replicates_raked_side_by_side_equal_each_raked_alone(bounds):
    rng = np.random.default_rng(5)
    categories = np.column_stack([rng.integers(1, 3, 60), rng.integers(0, 4, 60)])
    margins = [{1: 0.45, 2: 0.55}, {1: 0.3, 2: 0.3, 3: 0.4}]
    factors = rng.multinomial(60, [1 / 60] * 60, size=40).astype(float)
    raked = weighting.reraked_weights(categories, margins, factors, bounds=bounds)
    assert raked.shape == (40, 60)
    for f, w in zip(factors, raked, strict=True):
        drawn = f > 0
        kept = [{v: s for v, s in m.items() if v in set(categories[drawn, j].tolist())}
                for j, m in enumerate(margins)]
        kept = [{v: s / sum(m.values()) for v, s in m.items()} for m in kept]
        alone = weighting.rake(categories, kept, start=f, bounds=bounds,
                               tolerance=weighting.REPLICATE_TOLERANCE)
        assert np.abs(w - alone * f.sum() / alone.sum()).max() <= 1e-6
        assert np.all(w[~drawn] == 0)
        if bounds is not None:
            ratio = w[drawn] / f[drawn] / (w.sum() / f.sum())
            assert bounds.lower - 1e-6 <= ratio.min() and ratio.max() <= bounds.upper + 1e-6


def test_a_replicate_meets_the_bounds_as_its_own_sample_or_merges_or_is_left_out():
    # Replicate 1 draws the sample as it is; replicate 2 draws the lone A respondent 4 times
    # and six of the nine B respondents once.
    factors = np.array([[1.0] * 10, [4.0] + [1.0] * 6 + [0.0] * 3])
    raked = weighting.reraked_weights(ONE_AGAINST_NINE, [{1: 0.5, 2: 0.5}], factors,
                                      bounds=weighting.Bounds(0.5, 2))
    # 1: A would need 5 × the mean weight; within [0.5, 2] only merging A (1 respondent)
    # into B meets "the margins": one category, so the weights stay the factors.
    assert raked[0] == pytest.approx([1.0] * 10, abs=1e-9)
    # 2: half and half needs 4·g_A = 6·g_B; with Σw = 10, g_B = 5/6 and g_A = 5/4, i.e.
    # 1.25 and 0.83 × the mean adjustment of 1: within the bounds. A weighs 5, each B 5/6.
    assert raked[1] == pytest.approx([5.0] + [5 / 6] * 6 + [0.0] * 3, abs=1e-9)
    # CROSS within [0.6, 1.4] has no weights and no cell under 5 to merge: left out.
    left_out = weighting.reraked_weights(CROSS, HALVES, np.ones((1, 20)),
                                         bounds=weighting.Bounds(0.6, 1.4))
    assert np.isnan(left_out).all()


@pytest.mark.parametrize(("text", "message"), [
    ("0.2", "weight bounds are two numbers, lower,upper (such as 0.2,6), not '0.2'"),
    ("a,6", "weight bounds are two numbers, lower,upper (such as 0.2,6), not 'a,6'"),
    ("0,inf", "weight bounds are two numbers, lower,upper (such as 0.2,6), not '0,inf'"),
    ("1.5,6", "weight bounds must satisfy 0 ≤ lower < 1 < upper ≤ 1000, not 1.5–6"),
    ("0.2,1", "weight bounds must satisfy 0 ≤ lower < 1 < upper ≤ 1000, not 0.2–1"),
    ("0.12345,6", "weight bounds have at most 4 decimals, not '0.12345,6'"),
])
def test_bounds_are_read_from_text_or_refused_with_the_reason(text, message):
    with pytest.raises(ValueError) as caught:
        weighting.Bounds.parse(text)
    assert str(caught.value) == message


def test_bounds_read_from_text():
    assert weighting.Bounds.parse(" 0.25 , 4 ") == weighting.Bounds(0.25, 4.0)
    assert str(weighting.Bounds.parse("0.2,6")) == "0.2–6"

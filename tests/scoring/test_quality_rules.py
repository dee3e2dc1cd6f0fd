"""The per-province outlier rule (pure arithmetic, no database)."""

from datetime import UTC, datetime, timedelta

import pytest

from scoring.rules import quality

SAT5 = (1, 2, 3, 4, 5)
Q = 7  # a question id


def test_modified_z_scores_follow_iglewicz_and_hoaglin():
    # median 0.51; absolute deviations 0.01, 0.01, 0.03, 0, 0.44 → MAD 0.01
    z = quality.modified_z_scores({1: 0.50, 2: 0.52, 3: 0.48, 4: 0.51, 5: 0.95})
    assert z[5] == pytest.approx(0.6745 * 0.44 / 0.01)
    assert z[3] == pytest.approx(-0.6745 * 0.03 / 0.01)
    assert quality.modified_z_scores({1: 0.5, 2: 0.5, 3: 0.5}) == {}  # all alike: none stands out
    assert quality.modified_z_scores({1: 0.1, 2: 0.9}) == {}  # too few provinces


def test_a_province_whose_answers_stand_out_is_flagged_and_small_samples_are_not():
    tallies = {
        1: {Q: {3: 100}},  # mean (3 − 1) / 4 = 0.50
        2: {Q: {3: 92, 4: 8}},  # 0.52
        3: {Q: {3: 92, 2: 8}},  # 0.48
        4: {Q: {3: 96, 4: 4, 9: 50}},  # 0.51 ("don't know" left out)
        5: {Q: {5: 80, 4: 20}},  # 0.95
        6: {Q: {1: 20}},  # 0.00, but only 20 valid answers: not judged
    }
    check = quality.distribution_outliers(tallies, {Q: SAT5})
    [outlier] = check.outliers
    assert (outlier.province, outlier.question, outlier.spread) == (5, Q, "mad")
    assert outlier.mean == pytest.approx(0.95)
    assert outlier.median == pytest.approx(0.51)
    assert outlier.z == pytest.approx(29.678)
    # province 6 is not judged, and says so: 20 valid answers, fewer than 30
    assert check.too_few == [quality.TooFew(6, Q, 20)]


def test_when_the_mad_is_zero_the_mean_absolute_deviation_sets_the_scale():
    # median 0.5; deviations 0, 0, 0, 0.1, 0.4 → MAD 0; mean absolute deviation 0.1
    values = {1: 0.5, 2: 0.5, 3: 0.5, 4: 0.6, 5: 0.9}
    scores, spread = quality.robust_z_scores(values)
    assert spread == "mean_deviation"
    assert scores[5] == pytest.approx(0.4 / (1.253314 * 0.1))  # 3.19
    assert scores[4] == pytest.approx(0.1 / (1.253314 * 0.1))
    assert scores[1] == 0
    assert quality.robust_z_scores({1: 0.5, 2: 0.5, 3: 0.5}) == ({}, None)  # all alike


def test_the_fallback_finds_a_province_alone_against_a_unanimous_rest():
    tallies = {p: {Q: {4: 40}} for p in range(1, 8)}  # seven provinces all at 0.75
    tallies[8] = {Q: {1: 40}}  # 0.00; deviations: seven 0, one 0.75 → MAD 0, mean AD 0.09375
    check = quality.distribution_outliers(tallies, {Q: SAT5})
    [outlier] = check.outliers
    assert (outlier.province, outlier.spread) == (8, "mean_deviation")
    assert outlier.z == pytest.approx(-0.75 / (1.253314 * 0.75 / 8))  # −6.38
    assert check.too_few == []


def answers(text: str) -> list[int | None]:
    """A submission's scale answers as digits, with 9 ("don't know") as non-substantive."""
    return [None if c == "9" else int(c) for c in text]


def test_a_dont_know_does_not_break_a_straight_line_run():
    # 19 answers: sixteen 4s around one "don't know", then a 3 and a 4 → run 16 of 18
    assert quality.straight_run(answers("4444444494444444434")) == (16, 18)
    assert quality.is_straight_liner(16, 18)  # 16 ≥ 10 and 16 ≥ 0.8 × 18 = 14.4
    # the "don't know" neither extends a run nor counts as an answer
    assert quality.straight_run(answers("44449")) == (4, 4)
    assert quality.straight_run(answers("999")) == (0, 0)
    assert not quality.is_straight_liner(0, 0)


def test_the_run_must_be_ten_long_and_cover_four_fifths_of_the_answers():
    assert quality.straight_run(answers("444444444")) == (9, 9)
    assert not quality.is_straight_liner(9, 9)  # too short
    assert quality.is_straight_liner(10, 12)  # 10 ≥ 9.6
    assert not quality.is_straight_liner(10, 13)  # 10 < 10.4
    # a run broken by another substantive answer starts again
    assert quality.straight_run(answers("44444344444")) == (5, 11)


T0 = datetime(2024, 8, 1, 9, 0, tzinfo=UTC)
TWELVE = tuple("434443444534")  # twelve answers


def response(pk, answers, minutes=0, group=1):
    return quality.Response(pk, group, T0 + timedelta(minutes=minutes), tuple(answers))


def test_near_duplicates_match_all_answers_or_all_but_one():
    one_off = TWELVE[:5] + ("1",) + TWELVE[6:]
    skipped = TWELVE[:11] + ("",)  # the last question left unanswered: also one answer off
    two_off = ("1", "1") + TWELVE[2:]
    found = quality.find_duplicates([
        response(1, TWELVE), response(2, TWELVE, 10), response(3, one_off, 20),
        response(4, skipped, 30), response(5, two_off, 40),
        response(6, TWELVE, 50, group=2),  # another province: compared only within its own
        response(7, TWELVE, 200),  # the same answers, but 170 minutes after the last like it
    ])
    assert found == {
        2: quality.Match(2, 1, quality.EXACT, None),
        3: quality.Match(3, 2, quality.ALL_BUT_ONE, 5),
        4: quality.Match(4, 2, quality.ALL_BUT_ONE, 11),
    }


def test_an_exact_match_wins_and_the_closest_earlier_one_is_named():
    one_off = TWELVE[:3] + ("1",) + TWELVE[4:]
    found = quality.find_duplicates([
        response(9, one_off, 0), response(3, TWELVE, 5), response(8, one_off, 30),
        response(1, one_off, 30),  # same moment as 8 but a smaller pk: 1 is the earlier one
    ])
    assert found == {3: quality.Match(3, 9, quality.ALL_BUT_ONE, 3),
                     1: quality.Match(1, 9, quality.EXACT, None),
                     8: quality.Match(8, 1, quality.EXACT, None)}


def test_all_but_one_needs_ten_answers_alike_and_the_window_holds():
    short = tuple("4344434445")  # ten answers: one off leaves nine alike
    found = quality.find_duplicates([
        response(1, short), response(2, short[:9] + ("1",), 1),
        response(3, TWELVE, 0), response(4, TWELVE[:11] + ("1",), 60),  # exactly 60 min: kept
        response(5, TWELVE[:11] + ("2",), 121),  # 61 min after 4
    ])
    assert found == {4: quality.Match(4, 3, quality.ALL_BUT_ONE, 11)}

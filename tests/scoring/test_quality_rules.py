"""The per-province outlier rule (pure arithmetic, no database)."""

import pytest

from scoring import quality

SAT5 = (1, 2, 3, 4, 5)
Q = 7  # a question id


def test_modified_z_scores_follow_iglewicz_and_hoaglin():
    # median 0.51; absolute deviations 0.01, 0.01, 0.03, 0, 0.44 → MAD 0.01
    z = quality.modified_z_scores({1: 0.50, 2: 0.52, 3: 0.48, 4: 0.51, 5: 0.95})
    assert z[5] == pytest.approx(0.6745 * 0.44 / 0.01)
    assert z[3] == pytest.approx(-0.6745 * 0.03 / 0.01)
    assert quality.modified_z_scores({1: 0.5, 2: 0.5, 3: 0.5}) == {}  # MAD 0: nothing stands out
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
    [outlier] = quality.distribution_outliers(tallies, {Q: SAT5})
    assert (outlier.province, outlier.question) == (5, Q)
    assert outlier.mean == pytest.approx(0.95)
    assert outlier.median == pytest.approx(0.51)
    assert outlier.z == pytest.approx(29.678)


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

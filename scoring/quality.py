"""Data-quality rules: the thresholds and the pure arithmetic behind them.

Per submission (found by SQL in scoring.services.quality):

- speeder: completed in less than SPEEDER_SHARE of the questionnaire's median
  completion time (submissions with a recorded time only);
- straight-liner: gave the same answer to a run of consecutive scale questions at
  least STRAIGHT_MIN_RUN long that covers at least STRAIGHT_MIN_SHARE of the scale
  questions it answered substantively. A non-substantive answer ("don't know",
  or whatever the scale marks as not counting) is skipped: it neither breaks a
  run nor counts as an answer (see straight_run);
- near-duplicate: the same answers to every question as an earlier submission of
  the same questionnaire and province, received within DUPLICATE_WINDOW (the
  earlier one is not flagged).

Per province: a question's mean answer is an outlier when its modified z-score
(Iglewicz and Hoaglin: 0.6745 · (x − median) / MAD, over the provinces) exceeds
OUTLIER_Z.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from statistics import median

SPEEDER = "speeder"
STRAIGHT_LINER = "straight_liner"
DUPLICATE = "duplicate"
REASONS = (SPEEDER, STRAIGHT_LINER, DUPLICATE)

SPEEDER_SHARE = 0.3
STRAIGHT_MIN_RUN = 10
STRAIGHT_MIN_SHARE = 0.8
DUPLICATE_WINDOW = timedelta(minutes=60)
OUTLIER_Z = 3.5
OUTLIER_MIN_ANSWERS = 30


def straight_run(values: Sequence[int | None]) -> tuple[int, int]:
    """(longest run of one value, substantive answers) over a submission's scale answers.

    `values` are the scale answers in questionnaire order, None for a non-substantive
    one, which is skipped: 4 4 9 4 is a run of three 4s out of three answers.
    """
    longest = run = answered = 0
    previous = None
    for value in values:
        if value is None:
            continue
        answered += 1
        run = run + 1 if value == previous else 1
        previous = value
        longest = max(longest, run)
    return longest, answered


def is_straight_liner(run: int, answered: int) -> bool:
    """The straight-line rule on straight_run's figures."""
    return run >= STRAIGHT_MIN_RUN and run >= STRAIGHT_MIN_SHARE * answered


def mean_answer(counts: Mapping[int, int], substantive: tuple[int, ...]) -> float | None:
    """Mean of the substantive answers, scaled to 0–1 over the scale."""
    valid = {v: c for v, c in counts.items() if v in substantive and c}
    n = sum(valid.values())
    if n < OUTLIER_MIN_ANSWERS or len(substantive) < 2:
        return None
    lo, hi = min(substantive), max(substantive)
    return sum((v - lo) * c for v, c in valid.items()) / (n * (hi - lo))


@dataclass(frozen=True)
class Outlier:
    province: int
    question: int
    mean: float
    median: float
    z: float


def modified_z_scores(values: Mapping[int, float]) -> dict[int, float]:
    """0.6745 · (x − median) / MAD for each key; empty when the MAD is 0."""
    if len(values) < 3:
        return {}
    middle = median(values.values())
    mad = median(abs(v - middle) for v in values.values())
    if mad == 0:
        return {}
    return {k: 0.6745 * (v - middle) / mad for k, v in values.items()}


def distribution_outliers(
    tallies: Mapping[int, Mapping[int, Mapping[int, int]]],
    scales: Mapping[int, tuple[int, ...]],
) -> list[Outlier]:
    """Province × question means that stand out from the other provinces.

    `tallies` is province -> question -> value -> count; `scales` gives each scale
    question's substantive values, low to high.
    """
    out = []
    for question, substantive in scales.items():
        means = {}
        for province, questions in tallies.items():
            m = mean_answer(questions.get(question, {}), substantive)
            if m is not None:
                means[province] = m
        middle = median(means.values()) if means else 0.0
        for province, z in modified_z_scores(means).items():
            if abs(z) > OUTLIER_Z:
                out.append(Outlier(province, question, means[province], middle, z))
    return sorted(out, key=lambda o: (o.province, o.question))

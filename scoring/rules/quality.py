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
  the same questionnaire and province, submitted within DUPLICATE_WINDOW (an
  exact match), or the same answers to all questions but one, with at least
  NEAR_MIN_SAME questions answered alike (an all-but-one match). The earlier
  one is not flagged; an exact match wins over an all-but-one match.

Per province: a question's mean answer is an outlier when its modified z-score
(Iglewicz and Hoaglin: 0.6745 · (x − median) / MAD, over the provinces) exceeds
OUTLIER_Z; when the MAD is 0, the mean absolute deviation (times MEAN_AD_SCALE)
stands in for it. A province with fewer than OUTLIER_MIN_ANSWERS valid answers
to a question is not judged on it, and is reported as having too few answers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median

SPEEDER = "speeder"
STRAIGHT_LINER = "straight_liner"
DUPLICATE = "duplicate"
REASONS = (SPEEDER, STRAIGHT_LINER, DUPLICATE)

SPEEDER_SHARE = 0.3
STRAIGHT_MIN_RUN = 10
STRAIGHT_MIN_SHARE = 0.8
DUPLICATE_WINDOW = timedelta(minutes=60)
NEAR_MIN_SAME = 10  # an all-but-one match needs at least this many answers alike
EXACT, ALL_BUT_ONE = "exact", "all_but_one"
OUTLIER_Z = 3.5
OUTLIER_MIN_ANSWERS = 30  # valid answers of a province to a question, to judge its mean
OUTLIER_MIN_PROVINCES = 3
MEAN_AD_SCALE = 1.253314  # √(π/2): σ of normal data over its mean absolute deviation


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


@dataclass(frozen=True)
class Response:
    """One submission's answers, for the near-duplicate rule.

    `answers` has one text per question of the questionnaire, in a fixed order,
    "" for a question left unanswered; `group` is the province.
    """

    pk: int
    group: int
    moment: datetime
    answers: tuple[str, ...]


@dataclass(frozen=True)
class Match:
    pk: int  # the later submission, the one flagged
    earlier: int
    kind: str  # EXACT or ALL_BUT_ONE
    position: int | None  # the index in `answers` of the one answer that differs


_MASK = (1 << 64) - 1


def find_duplicates(responses: Iterable[Response]) -> dict[int, Match]:
    """The near-duplicates among `responses`: pk -> its match with the closest earlier one.

    Earlier means submitted before, or at the same moment with a smaller pk, and
    at most DUPLICATE_WINDOW before. Linear in answers: each response is looked up
    by its whole signature and by each signature with one position masked (a sum
    of per-answer hashes minus the masked one), within its province only; a
    candidate is confirmed by comparing the answers themselves.
    """
    by_group: dict[int, list[Response]] = defaultdict(list)
    for r in responses:
        by_group[r.group].append(r)
    found: dict[int, Match] = {}
    for members in by_group.values():
        members.sort(key=lambda r: (r.moment, r.pk))
        exact: dict[tuple[str, ...], Response] = {}
        masked: dict[tuple[int, int], Response] = {}
        for r in members:
            hashes = [hash((i, a)) & _MASK for i, a in enumerate(r.answers)]
            whole = sum(hashes) & _MASK
            before = exact.get(r.answers)
            if before is not None and r.moment - before.moment <= DUPLICATE_WINDOW:
                found[r.pk] = Match(r.pk, before.pk, EXACT, None)
            else:
                match = _all_but_one(r, hashes, whole, masked)
                if match is not None:
                    found[r.pk] = match
            exact[r.answers] = r
            for i, h in enumerate(hashes):
                masked[(i, (whole - h) & _MASK)] = r
    return found


def _all_but_one(r: Response, hashes: list[int], whole: int,
                 masked: dict[tuple[int, int], Response]) -> Match | None:
    best: tuple[Response, int] | None = None
    for i, h in enumerate(hashes):
        before = masked.get((i, (whole - h) & _MASK))
        if before is None or r.moment - before.moment > DUPLICATE_WINDOW:
            continue
        differ = [j for j, (a, b) in enumerate(zip(r.answers, before.answers, strict=True))
                  if a != b]
        same = sum(1 for j, a in enumerate(r.answers) if a and j not in differ)
        if differ == [i] and same >= NEAR_MIN_SAME and (
                best is None or (before.moment, before.pk) > (best[0].moment, best[0].pk)):
            best = (before, i)  # the closest earlier one
    return None if best is None else Match(r.pk, best[0].pk, ALL_BUT_ONE, best[1])


def valid_answers(counts: Mapping[int, int], substantive: tuple[int, ...]) -> int:
    """How many substantive answers a province gave to a question."""
    return sum(c for v, c in counts.items() if v in substantive)


def mean_answer(counts: Mapping[int, int], substantive: tuple[int, ...]) -> float | None:
    """Mean of the substantive answers, scaled to 0–1 over the scale; None below
    OUTLIER_MIN_ANSWERS valid answers (too few to judge)."""
    valid = {v: c for v, c in counts.items() if v in substantive and c}
    n = sum(valid.values())
    if n < OUTLIER_MIN_ANSWERS or len(substantive) < 2:
        return None
    lo, hi = min(substantive), max(substantive)
    return sum((v - lo) * c for v, c in valid.items()) / (n * (hi - lo))


MAD = "mad"
MEAN_DEVIATION = "mean_deviation"


@dataclass(frozen=True)
class Outlier:
    province: int
    question: int
    mean: float
    median: float
    z: float
    spread: str = MAD  # MAD, or MEAN_DEVIATION when the MAD was 0


@dataclass(frozen=True)
class TooFew:
    """A province's question with answers, but fewer valid ones than OUTLIER_MIN_ANSWERS."""

    province: int
    question: int
    answers: int


@dataclass(frozen=True)
class OutlierCheck:
    outliers: list[Outlier]
    too_few: list[TooFew]


def robust_z_scores(values: Mapping[int, float]) -> tuple[dict[int, float], str | None]:
    """Modified z-scores over the values, and which spread they rest on.

    0.6745 · (x − median) / MAD (Iglewicz and Hoaglin); when the MAD is 0 (more
    than half the values equal the median), (x − median) / (MEAN_AD_SCALE ·
    mean absolute deviation from the median) instead. Both denominators estimate
    the standard deviation of normal data. Empty (None) with fewer than
    OUTLIER_MIN_PROVINCES values or when every value is the same.
    """
    if len(values) < OUTLIER_MIN_PROVINCES:
        return {}, None
    middle = median(values.values())
    deviations = [abs(v - middle) for v in values.values()]
    mad = median(deviations)
    if mad > 0:
        return {k: 0.6745 * (v - middle) / mad for k, v in values.items()}, MAD
    mean_ad = sum(deviations) / len(deviations)
    if mean_ad == 0:
        return {}, None
    return {k: (v - middle) / (MEAN_AD_SCALE * mean_ad) for k, v in values.items()}, \
        MEAN_DEVIATION


def modified_z_scores(values: Mapping[int, float]) -> dict[int, float]:
    """The scores of robust_z_scores, without saying which spread they rest on."""
    return robust_z_scores(values)[0]


def distribution_outliers(
    tallies: Mapping[int, Mapping[int, Mapping[int, int]]],
    scales: Mapping[int, tuple[int, ...]],
) -> OutlierCheck:
    """Province × question means that stand out from the other provinces, and the
    province × questions with answers too few to judge.

    `tallies` is province -> question -> value -> count; `scales` gives each scale
    question's substantive values, low to high.
    """
    out, too_few = [], []
    for question, substantive in scales.items():
        means = {}
        for province, questions in tallies.items():
            counts = questions.get(question, {})
            m = mean_answer(counts, substantive)
            if m is not None:
                means[province] = m
            elif n := valid_answers(counts, substantive):
                too_few.append(TooFew(province, question, n))
        middle = median(means.values()) if means else 0.0
        scores, spread = robust_z_scores(means)
        for province, z in scores.items():
            if abs(z) > OUTLIER_Z:
                out.append(Outlier(province, question, means[province], middle, z,
                                   spread or MAD))
    return OutlierCheck(sorted(out, key=lambda o: (o.province, o.question)),
                        sorted(too_few, key=lambda t: (t.province, t.question)))

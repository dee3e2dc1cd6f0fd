"""The demo dataset: province qualities, synthetic submissions and assessments."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection, transaction

from scoring.models import (
    AnswerTally,
    Assessment,
    AssessmentChange,
    Index,
    NodeResult,
    QualityFlag,
    SurveyWeight,
)
from scoring.rules.vocabulary import IndexKind, Level, Method
from surveys.demo import INJECTED, seed_questionnaire
from surveys.models import Answer, CrosswalkLink, Province, Questionnaire, Submission

# The 2024 survey: 36,525 citizen questionnaires and 49,159 electronic ones from officials;
# the 2025 demo has the same size, spread over the 34 units.
CITIZEN_SUBMISSIONS = 36_525
OFFICIAL_SUBMISSIONS = 49_159
# Years before this one are sampled more lightly, to keep seeding fast.
FULL_SIZE_FROM = 2024
EARLIER_YEAR_SHARE = 0.25


def _base_qualities(provinces: list[Province], seed: int) -> dict[str, float]:
    """Each province's lasting quality; a unit formed in a merger has its predecessors' mean."""
    links = list(CrosswalkLink.objects.filter(target__in=provinces)
                 .values_list("source__province_set_id", "source__code", "target__code"))
    if not links:
        rng = random.Random(f"{seed}-quality")  # noqa: S311 - seeded demo data
        return {p.code: min(0.95, max(0.62, rng.gauss(0.80, 0.045))) for p in provinces}
    earlier = list(Province.objects.filter(province_set_id=links[0][0]).order_by("code"))
    before = _base_qualities(earlier, seed)
    members: dict[str, list[float]] = {}
    for _, source, target in links:
        members.setdefault(target, []).append(before[source])
    return {p.code: sum(members[p.code]) / len(members[p.code]) for p in provinces}


def province_qualities(provinces: list[Province], seed: int, year: int) -> dict[str, float]:
    """A latent quality per province in [0.6, 0.97]; a later year is a little better."""
    base = _base_qualities(provinces, seed)
    drift = random.Random(f"{seed}-drift-{year}")  # noqa: S311 - seeded demo data
    lift = 0.012 * (year - 2023)
    return {
        code: min(0.97, max(0.6, q + lift + drift.gauss(0, 0.012))) for code, q in base.items()
    }


def clear_demo(*, progress: Callable[[str], None]) -> None:
    """Remove earlier demo submissions, tallies, results and assessments."""
    with transaction.atomic():
        demo = Submission.objects.filter(channel=Submission.Channel.DEMO)
        if demo.exists():
            progress("removing the earlier demo data…")
            for model in (QualityFlag, SurveyWeight):
                model.objects.filter(submission__channel=Submission.Channel.DEMO).delete()
            Answer.objects.filter(submission__channel=Submission.Channel.DEMO)._raw_delete(
                connection.alias)
            demo._raw_delete(connection.alias)
            AnswerTally.objects.all().delete()
            Submission.objects.update(counted_at=None)
        NodeResult.objects.all().delete()
        AssessmentChange.objects.filter(via="demo").delete()
        Assessment.objects.filter(changes__isnull=True).delete()


def seed_demo(*, scale: float, seed: int, progress: Callable[[str], None],
              issues: float = 0.0) -> dict[str, int]:
    """Create the demo dataset; returns submission counts by questionnaire.

    `issues` is the share of submissions made suspect on purpose (see
    surveys.demo.seed_questionnaire), to measure the data-quality checks.
    """
    clear_demo(progress=progress)
    counts: dict[str, int] = {}
    questionnaires = list(Questionnaire.objects.order_by("-year", "audience", "code"))
    for questionnaire in questionnaires:
        share = 1.0 if questionnaire.year >= FULL_SIZE_FROM else EARLIER_YEAR_SHARE
        same = [q for q in questionnaires
                if q.year == questionnaire.year and q.audience == questionnaire.audience]
        per_year = CITIZEN_SUBMISSIONS if questionnaire.audience == "citizen" else \
            OFFICIAL_SUBMISSIONS
        position = same.index(questionnaire)
        total_share = round(per_year * scale * share)
        total = total_share // len(same) + (1 if position < total_share % len(same) else 0)
        provinces = list(questionnaire.province_set.provinces.order_by("code"))
        quality = province_qualities(provinces, seed, questionnaire.year)
        rng = random.Random(f"{seed}-{questionnaire.code}")  # noqa: S311 - seeded demo data
        started = time.monotonic()
        n_sub, n_ans = seed_questionnaire(
            questionnaire=questionnaire, total=total, quality=quality, rng=rng,
            progress=progress, issues=issues,
        )
        counts[questionnaire.code] = n_sub
        progress(f"{questionnaire.code}: {n_sub:,} submissions, {n_ans:,} answers "
                 f"({time.monotonic() - started:.1f} s)")
    for index in Index.objects.filter(kind=IndexKind.PAR):
        n = seed_assessments(index=index, seed=seed)
        progress(f"{index.code}: {n:,} self-assessed and appraised scores")
    return counts


def seed_assessments(*, index: Index, seed: int) -> int:
    """Self-assessed and appraised scores for every appraisal component of every province."""
    provinces = list(index.province_set.provinces.order_by("code"))
    quality = province_qualities(provinces, seed, index.year)
    components = list(index.nodes.filter(level=Level.LEAF, method=Method.APPRAISAL)
                      .order_by("position"))
    rng = random.Random(f"{seed}-assessments-{index.code}")  # noqa: S311 - seeded demo data
    rows = []
    for province in provinces:
        level = min(0.99, quality[province.code] + 0.1)
        for node in components:
            share = min(1.0, max(0.0, rng.gauss(level, 0.08)))
            self_score = _points(node.max_points, min(1.0, share + abs(rng.gauss(0, 0.04))))
            appraised = _points(node.max_points, share)
            rows.append(Assessment(index=index, province=province, node=node,
                                   self_score=self_score, appraised_score=appraised))
    Assessment.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def _points(maximum: Decimal, share: float) -> Decimal:
    return (maximum * Decimal(str(round(share, 4)))).quantize(Decimal("0.01"), ROUND_HALF_UP)


@dataclass(frozen=True)
class Recall:
    """How the data-quality flags fare against the problems the demo injected."""

    injected: dict[str, int]  # kind -> injected submissions
    found: dict[str, int]  # kind -> of those, flagged for the reason made for that kind
    clean: int  # submissions not injected
    clean_flagged: dict[str, int]  # reason -> clean submissions flagged for it
    clean_flagged_any: int  # clean submissions with at least one flag

    @property
    def recall(self) -> float:
        return sum(self.found.values()) / max(1, sum(self.injected.values()))

    @property
    def false_positive_rate(self) -> float:
        return self.clean_flagged_any / max(1, self.clean)


def demo_recall() -> Recall:
    """Recall of injected problems and flags on clean submissions, over the demo data.

    Injected submissions have their kind at the end of the key; each kind must be
    found by its own reason (surveys.demo.INJECTED).
    """
    flagged: dict[int, set[str]] = {}
    for pk, reason in QualityFlag.objects.filter(
            submission__channel=Submission.Channel.DEMO).values_list("submission_id", "reason"):
        flagged.setdefault(pk, set()).add(reason)
    injected = dict.fromkeys(INJECTED, 0)
    found = dict.fromkeys(INJECTED, 0)
    clean = clean_any = 0
    clean_by: dict[str, int] = {}
    for pk, key in Submission.objects.filter(channel=Submission.Channel.DEMO).values_list(
            "pk", "key").iterator(chunk_size=5000):
        reasons = flagged.get(pk, set())
        kind = next((k for k in INJECTED if key.endswith(f"-{k}")), None)
        if kind:
            injected[kind] += 1
            found[kind] += INJECTED[kind] in reasons
            continue
        clean += 1
        clean_any += bool(reasons)
        for reason in reasons:
            clean_by[reason] = clean_by.get(reason, 0) + 1
    return Recall(injected, found, clean, dict(sorted(clean_by.items())), clean_any)

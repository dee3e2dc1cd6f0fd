"""Reads of the data-quality flags: counts per province for pages and downloads."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q

from scoring.models import QualityFlag
from scoring.rules import quality
from surveys.models import Submission


@dataclass(frozen=True)
class ProvinceFlags:
    province_id: int
    submissions: int
    flagged: int
    excluded: int
    by_reason: dict[str, int]
    all_but_one: int = 0  # near-duplicates that match all answers but one


def flag_counts(questionnaire_ids: list[int]) -> dict[int, ProvinceFlags]:
    """Per province: submissions, flagged submissions, excluded ones and flags by reason."""
    base = Submission.objects.filter(questionnaire_id__in=questionnaire_ids)
    totals = base.values("province_id").annotate(
        n=Count("pk"), excluded=Count("pk", filter=Q(excluded=True)),
        flagged=Count("pk", filter=Q(quality_flags__isnull=False), distinct=True))
    reasons: dict[int, dict[str, int]] = {}
    for province_id, reason, n in (
            QualityFlag.objects.filter(submission__questionnaire_id__in=questionnaire_ids)
            .values_list("submission__province_id", "reason").annotate(n=Count("pk"))
            .order_by()):
        reasons.setdefault(province_id, {})[reason] = n
    near = dict(QualityFlag.objects.filter(
        submission__questionnaire_id__in=questionnaire_ids, reason=quality.DUPLICATE,
        facts__match=quality.ALL_BUT_ONE).values_list("submission__province_id")
        .annotate(n=Count("pk")).order_by())
    return {row["province_id"]: ProvinceFlags(row["province_id"], row["n"], row["flagged"],
                                              row["excluded"],
                                              reasons.get(row["province_id"], {}),
                                              near.get(row["province_id"], 0))
            for row in totals}

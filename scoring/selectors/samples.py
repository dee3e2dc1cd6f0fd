"""Reads of respondents and their answers for the bootstrap and the survey weights."""

from __future__ import annotations

import numpy as np
from django.db import connection

from scoring.models import PopulationCount
from scoring.rules import uncertainty
from surveys.models import Answer, Questionnaire, Submission


def chunk_strata(plan: uncertainty.Plan, questionnaires: list[Questionnaire],
                 province_ids: list[int]) -> dict[int, list[uncertainty.Stratum]]:
    """Each questionnaire's counted, not excluded respondents of some provinces, with answers.

    Two queries for the whole chunk (its submissions, then their option answers), so
    the database scans the answers once rather than once per province and questionnaire.
    """
    qids = [q.pk for q in questionnaires]
    listed = list(Submission.objects.filter(
        questionnaire_id__in=qids, province_id__in=province_ids, excluded=False,
        counted_at__isnull=False).order_by("province_id", "questionnaire_id", "pk")
        .values_list("pk", "province_id", "questionnaire_id", "psu", "stratum"))
    subs = np.array([row[:3] for row in listed], dtype=np.int64).reshape(-1, 3)
    design = [row[3:] for row in listed]
    population = {(q, p): n for q, p, n in PopulationCount.objects.filter(
        questionnaire_id__in=qids, province_id__in=province_ids).values_list(
        "questionnaire_id", "province_id", "count")}
    answers = np.zeros((0, 3), dtype=np.int64)
    if len(subs) and qids and province_ids:
        answer, submission = Answer._meta.db_table, Submission._meta.db_table
        qmarks, pmarks = ", ".join(["%s"] * len(qids)), ", ".join(["%s"] * len(province_ids))
        with connection.cursor() as cursor:
            cursor.execute(f"""
                SELECT a.submission_id, a.question_id, a.option_value
                FROM {answer} a JOIN {submission} s ON s.id = a.submission_id
                WHERE s.questionnaire_id IN ({qmarks}) AND s.province_id IN ({pmarks})
                  AND NOT s.excluded AND s.counted_at IS NOT NULL
                  AND a.option_value IS NOT NULL
            """, [*qids, *province_ids])  # noqa: S608 - table names come from models
            fetched = cursor.fetchall()
        if fetched:
            answers = np.array(fetched, dtype=np.int64)
    # Row of each answer's submission in `subs` (ordered by province, questionnaire, id).
    by_id = np.argsort(subs[:, 0], kind="stable")
    rows = by_id[np.searchsorted(subs[by_id, 0], answers[:, 0])] if len(answers) else \
        np.zeros(0, dtype=np.int64)
    order = np.argsort(rows, kind="stable")
    rows, answers = rows[order], answers[order]
    out: dict[int, list[uncertainty.Stratum]] = {}
    for province_id in province_ids:
        strata = []
        for questionnaire in questionnaires:
            members = np.flatnonzero((subs[:, 1] == province_id) & (subs[:, 2] == questionnaire.pk))
            first, last = (members[0], members[-1] + 1) if len(members) else (0, 0)
            a, b = np.searchsorted(rows, first), np.searchsorted(rows, last)
            matrix = uncertainty.answer_matrix(plan, last - first, rows[a:b] - first,
                                               answers[a:b, 1], answers[a:b, 2])
            units = design[first:last]
            clustered = any(psu for psu, _ in units)
            strata.append(uncertainty.Stratum(
                questionnaire.code, matrix, subs[first:last, 0],
                psus=[psu for psu, _ in units] if clustered else None,
                strata=[stratum for _, stratum in units] if clustered else None,
                population=population.get((questionnaire.pk, province_id), 0)))
        out[province_id] = strata
    return out

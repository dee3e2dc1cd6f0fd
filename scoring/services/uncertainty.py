"""Bootstrap runs: replicates computed in chunks, then intervals and rank intervals.

A run is split into chunks (provinces × a range of replicate numbers). Each
chunk writes its replicates with an upsert keyed by (run, province, number),
and a replicate's value depends only on the run's seed, its number and the
province's data (scoring.rules.uncertainty.stream), so chunks may run in any order,
on any worker, and be retried; the last one to finish computes the intervals.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal

import numpy as np
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from scoring import selectors
from scoring.models import (
    AuditEvent,
    Index,
    Interval,
    NodeResult,
    PopulationCount,
    RankInterval,
    Replicate,
    ResamplingDesign,
    UncertaintyRun,
)
from scoring.rules import engine, uncertainty
from scoring.rules.vocabulary import ROOT, IndexKind, Level
from scoring.selectors.samples import chunk_strata
from scoring.services.audit import record_event
from surveys.models import Question, Questionnaire, Submission

DEFAULT_REPLICATES = 1000
DEFAULT_SEED = 20240
CHUNK_REPLICATES = 500
CHUNK_PROVINCES = 16
MAX_REPLICATES = 5000


def start_run(*, index: Index, seed: int = DEFAULT_SEED, replicates: int = DEFAULT_REPLICATES,
              user=None) -> UncertaintyRun:
    if not 1 <= replicates <= MAX_REPLICATES:
        raise ValueError(f"replicates must be between 1 and {MAX_REPLICATES}")
    plan = uncertainty.compile_plan(index.kind, selectors.index_tree(index))
    codes = [c for c in plan.codes if c in plan.survey_based]
    questionnaires = selectors.index_questionnaire_ids(index)
    counted = Submission.objects.filter(questionnaire_id__in=questionnaires, excluded=False,
                                        counted_at__isnull=False)
    with_unit = counted.exclude(psu="").exists()
    design = (ResamplingDesign.RESPONDENTS if not with_unit else
              ResamplingDesign.PSU if not counted.filter(psu="").exists() else
              ResamplingDesign.MIXED)
    run = UncertaintyRun.objects.create(index=index, seed=seed, replicates=replicates,
                                        node_codes=codes, started_by=user, design=design)
    record_event(user=user, action=AuditEvent.Action.UNCERTAINTY, index=index.code,
                 run=run.pk, seed=seed, replicates=replicates)
    return run


def chunks(run: UncertaintyRun, *, replicates_per_chunk: int = CHUNK_REPLICATES,
           provinces_per_chunk: int = CHUNK_PROVINCES) -> list[tuple[list[int], int, int]]:
    """The run's work as (province ids, first replicate, last replicate + 1) pieces."""
    provinces = list(run.index.province_set.provinces.order_by("code")
                     .values_list("pk", flat=True))
    out = []
    for p in range(0, len(provinces), provinces_per_chunk):
        for first in range(0, run.replicates, replicates_per_chunk):
            out.append((provinces[p:p + provinces_per_chunk], first,
                        min(first + replicates_per_chunk, run.replicates)))
    return out




def compute_chunk(run: UncertaintyRun, province_ids: Iterable[int], first: int, last: int
                  ) -> int:
    """Compute and store replicates [first, last) of some provinces; returns rows written."""
    index = run.index
    tree = selectors.index_tree(index)
    plan = uncertainty.compile_plan(index.kind, tree)
    questionnaires = list(Questionnaire.objects.filter(
        pk__in=selectors.index_questionnaire_ids(index)).order_by("code"))
    province_ids = list(province_ids)
    assessments = selectors.assessment_map(index=index, province_ids=province_ids)
    codes = dict(index.province_set.provinces.filter(pk__in=province_ids)
                 .values_list("pk", "code"))
    numbers = list(range(first, last))
    rows = []
    loaded = chunk_strata(plan, questionnaires, province_ids)
    for province_id in province_ids:
        strata = loaded[province_id]
        tallies = uncertainty.replicate_tallies(strata, province=codes[province_id],
                                                seed=run.seed, replicates=numbers)
        values = uncertainty.evaluate(plan, tallies, uncertainty.appraisal_values(
            tree, assessments.get(province_id, {})))
        matrix = np.column_stack([values[c] for c in run.node_codes]).astype("<f8")
        for i, number in enumerate(numbers):
            rows.append((run.pk, province_id, number, matrix[i].tobytes()))
    _write_replicates(rows)
    return len(rows)


def _write_replicates(rows: list[tuple[int, int, int, bytes]]) -> None:
    """Insert or replace replicates, one row per (run, province, number).

    On PostgreSQL the rows are copied into a temporary table and merged with one
    INSERT … ON CONFLICT, as results are (scoring.services.results): 1,000
    replicates of 63 provinces are 63,000 rows.
    """
    if not rows:
        return
    if connection.vendor != "postgresql":
        Replicate.objects.bulk_create(
            [Replicate(run_id=r, province_id=p, number=n, values=v) for r, p, n, v in rows],
            batch_size=1000, update_conflicts=True,
            unique_fields=["run", "province", "number"], update_fields=["values"])
        return
    table = Replicate._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS new_replicates")
        cursor.execute(f"CREATE TEMPORARY TABLE new_replicates ON COMMIT DROP AS "  # noqa: S608 - the table name comes from the model
                       f"SELECT run_id, province_id, number, values FROM {table} "
                       "WITH NO DATA")
        with cursor.cursor.copy("COPY new_replicates (run_id, province_id, number, values) "
                                "FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(f"""
            INSERT INTO {table} (run_id, province_id, number, values)
            SELECT run_id, province_id, number, values FROM new_replicates
            ON CONFLICT (run_id, province_id, number) DO UPDATE SET values = EXCLUDED.values
        """)  # noqa: S608 - the table name comes from the model
        cursor.execute("DROP TABLE new_replicates")


def replicate_matrix(run: UncertaintyRun) -> tuple[list[int], np.ndarray]:
    """Province ids and the replicates × provinces × nodes array of a run's stored values."""
    stored = list(Replicate.objects.filter(run=run).order_by("province_id", "number")
                  .values_list("province_id", "number", "values"))
    provinces = sorted({p for p, _, _ in stored})
    where = {p: i for i, p in enumerate(provinces)}
    out = np.full((run.replicates, len(provinces), len(run.node_codes)), np.nan)
    for province_id, number, raw in stored:
        out[number, where[province_id]] = np.frombuffer(bytes(raw), dtype="<f8")
    return provinces, out


def finish_if_complete(run: UncertaintyRun) -> bool:
    """Compute the intervals once every replicate is stored; True when the run is done."""
    with transaction.atomic():
        run = UncertaintyRun.objects.select_for_update().get(pk=run.pk)
        if run.status == UncertaintyRun.Status.DONE:
            return True
        expected = run.replicates * run.index.province_set.provinces.count()
        if Replicate.objects.filter(run=run).count() < expected:
            return False
        _store_intervals(run)
        run.status = UncertaintyRun.Status.DONE
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "finished_at"])
        Replicate.objects.filter(run__index=run.index).exclude(run=run).delete()
    return True


def _decimal(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(f"{value:.6f}")


def _decimal_or_none(value: float | None) -> Decimal | None:
    return None if value is None or np.isnan(value) else _decimal(value)


def _bound(value: float | None, rounding: str) -> Decimal | None:
    """An interval's end at the stored 6 decimals, rounded outward, so that an interval that
    holds its estimate still holds it once stored."""
    if value is None or np.isnan(value):
        return None
    return Decimal(repr(float(value))).quantize(Decimal("0.000001"), rounding=rounding)


def observed_samples(index: Index, plan: uncertainty.Plan, provinces: list[int]
                     ) -> dict[int, dict[str, uncertainty.NodeSample]]:
    """Each province's node values and valid answers in the observed sample (its tallies)."""
    tree = selectors.index_tree(index)
    questions = sorted({q for q, _ in plan.columns})
    tallies = selectors.tally_map(question_ids=questions, province_ids=provinces)
    assessments = selectors.assessment_map(index=index, province_ids=provinces)
    fractions = sampling_fractions(index, questions, provinces)
    out = {}
    for province_id in provinces:
        row = np.zeros(len(plan.columns))
        for question, values in tallies.get(province_id, {}).items():
            for value, count in values.items():
                column = plan.columns.get((question, value))
                if column is not None:
                    row[column] += count
        out[province_id] = uncertainty.node_samples(plan, row, uncertainty.appraisal_values(
            tree, assessments.get(province_id, {})), fractions.get(province_id, {}))
    return out


def sampling_fractions(index: Index, questions: list[int], provinces: list[int]
                       ) -> dict[int, dict[int, float]]:
    """province id -> question id -> n / N of its questionnaire's respondents there.

    Only where the population is loaded (load_population) and the respondents are
    the sampled units (no PSU recorded): a PSU design's first-stage fraction is unknown.
    """
    counts = PopulationCount.objects.filter(
        questionnaire_id__in=selectors.index_questionnaire_ids(index), province_id__in=provinces)
    population = {(q, p): n for q, p, n in counts.values_list("questionnaire_id",
                                                              "province_id", "count")}
    if not population:
        return {}
    respondents = Submission.objects.filter(
        questionnaire_id__in=[q for q, _ in population], province_id__in=provinces,
        excluded=False, counted_at__isnull=False)
    clustered = set(respondents.exclude(psu="").values_list("questionnaire_id", "province_id")
                    .distinct())
    sampled = dict(((q, p), n) for q, p, n in respondents.values(
        "questionnaire_id", "province_id").annotate(n=Count("pk")).values_list(
        "questionnaire_id", "province_id", "n"))
    of_question = dict(Question.objects.filter(pk__in=questions).values_list(
        "pk", "questionnaire_id"))
    out: dict[int, dict[int, float]] = {}
    for (questionnaire, province), n in sampled.items():
        total = population.get((questionnaire, province))
        if not total or (questionnaire, province) in clustered:
            continue
        for question, owner in of_question.items():
            if owner == questionnaire:
                out.setdefault(province, {})[question] = min(1.0, n / total)
    return out


def _store_intervals(run: UncertaintyRun) -> None:
    index = run.index
    provinces, values = replicate_matrix(run)
    nodes = selectors.node_ids(index)
    plan = uncertainty.compile_plan(index.kind, selectors.index_tree(index))
    observed = observed_samples(index, plan, provinces)
    Interval.objects.filter(run=run).delete()
    RankInterval.objects.filter(run=run).delete()
    rows = []
    for p, province_id in enumerate(provinces):
        for n, code in enumerate(run.node_codes):
            sample = observed[province_id].get(code)
            if sample is None:
                continue
            published = uncertainty.published_interval(values[:, p, n], sample)
            outward = published.method != "census"  # a census interval stays one point
            rows.append(Interval(
                run=run, province_id=province_id, node_id=nodes[code],
                low=_bound(published.low, ROUND_FLOOR if outward else ROUND_HALF_EVEN),
                high=_bound(published.high, ROUND_CEILING if outward else ROUND_HALF_EVEN),
                method=published.method, answers=published.answers,
                mc_low=_decimal_or_none(published.mc_low),
                mc_high=_decimal_or_none(published.mc_high)))
    Interval.objects.bulk_create(rows, batch_size=2000)
    if ROOT not in run.node_codes:
        return
    totals = values[:, :, run.node_codes.index(ROOT)]
    root = index.nodes.get(level=Level.TOTAL)
    if index.kind == IndexKind.PAR and root.max_points:
        totals = totals * 100 / float(root.max_points)
    intervals = dict(zip(provinces, uncertainty.rank_intervals(totals), strict=True))
    point = dict(NodeResult.objects.filter(index=index, node__level=Level.TOTAL)
                 .values_list("province_id", "percent"))
    ranks = engine.competition_ranks(point)
    order = sorted(intervals, key=lambda p: (ranks.get(p) is None, ranks.get(p, 0), p))
    column = {p: i for i, p in enumerate(provinces)}
    shares = uncertainty.above_shares(totals)
    by_column = uncertainty.distinguishable_groups([column[p] for p in order], shares)
    RankInterval.objects.bulk_create([
        RankInterval(run=run, province_id=p, median=i.median, low=i.low, high=i.high,
                     group=by_column[column[p]])
        for p, i in intervals.items()])

"""Which results a change has made stale: recorded in the change's own transaction.

A fold, an exclusion or a new score marks (index, province) pairs here before it
commits; `scoring.services.results.refresh_pending` brings them up to date and
clears them in its own transaction. Whatever happens in between — the refresh
raises, the worker is killed — the marks stay until a refresh succeeds (the next
fold, or the periodic sweep), so no result is left stale for good.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.db import connection

from scoring.models import PendingRefresh, Source


def indices_of(questionnaire_ids: Iterable[int]) -> dict[int, set[int]]:
    """Questionnaire id -> ids of the indices with a source question in it."""
    out: dict[int, set[int]] = {}
    for questionnaire_id, index_id in (
            Source.objects.filter(question__questionnaire_id__in=list(questionnaire_ids))
            .values_list("question__questionnaire_id", "node__index_id").distinct()):
        out.setdefault(questionnaire_id, set()).add(index_id)
    return out


def mark_stale(pairs: Iterable[tuple[int, int]]) -> int:
    """Record (index id, province id) pairs as stale, in the caller's transaction."""
    rows = sorted(set(pairs))
    if not rows:
        return 0
    table = PendingRefresh._meta.db_table
    values = ", ".join(["(%s, %s, 1)"] * len(rows))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (index_id, province_id, version) VALUES {values} "  # noqa: S608
            f"ON CONFLICT (index_id, province_id) DO UPDATE SET version = {table}.version + 1",
            [v for row in rows for v in row])
    return len(rows)


def mark_answers_stale(provinces: Mapping[int, Iterable[int]]) -> int:
    """Mark stale every index reading these questionnaires, for these provinces
    (questionnaire id -> province ids), in the caller's transaction."""
    users = indices_of(provinces)
    return mark_stale((index_id, province_id)
                      for questionnaire_id, province_ids in provinces.items()
                      for index_id in users.get(questionnaire_id, ())
                      for province_id in province_ids)


def pending() -> dict[int, dict[int, int]]:
    """What is stale now: index id -> province id -> version."""
    out: dict[int, dict[int, int]] = {}
    for index_id, province_id, version in PendingRefresh.objects.values_list(
            "index_id", "province_id", "version"):
        out.setdefault(index_id, {})[province_id] = version
    return out


def clear(index_id: int, seen: Mapping[int, int]) -> None:
    """Clear the marks a refresh has brought up to date, unless a change came since."""
    for version in sorted(set(seen.values())):
        PendingRefresh.objects.filter(
            index_id=index_id, version=version,
            province_id__in=[p for p, v in seen.items() if v == version]).delete()

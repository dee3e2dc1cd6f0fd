"""Publishing a year's results: a frozen, numbered snapshot that later recomputes never touch."""

from __future__ import annotations

from django.db import connection, transaction
from django.db.models import Max

from scoring.models import AuditEvent, Index, NodeResult, Publication, PublishedResult
from scoring.services.audit import record_event


class NothingToPublish(Exception):
    pass


def publish_index(*, index: Index, user, note: str = "") -> Publication:
    """Copy the index's current results into a new publication (version n + 1)."""
    with transaction.atomic():
        Index.objects.select_for_update().get(pk=index.pk)  # one publisher at a time
        if not NodeResult.objects.filter(index=index).exists():
            raise NothingToPublish(f"{index.code} has no computed results to publish")
        version = (index.publications.aggregate(v=Max("version"))["v"] or 0) + 1
        publication = Publication.objects.create(index=index, version=version,
                                                 published_by=user, note=note)
        columns = ["province_id", "node_id", "points", "max_points", "percent", "points_exact",
                   "percent_exact", "flags", "valid_answers"]
        published, current = PublishedResult._meta.db_table, NodeResult._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {published} (publication_id, {', '.join(columns)}) "  # noqa: S608
                f"SELECT %s, {', '.join(columns)} FROM {current} WHERE index_id = %s",
                [publication.pk, index.pk])
        record_event(user=user, action=AuditEvent.Action.PUBLISHED, index=index.code,
                     version=version)
    return publication

"""Publishing an index's results (spec §10): numbered, frozen versions; withdrawals; corrections.

A publication copies every stored result and freezes the export files (`total` and
each node level, and the total with its intervals when they are up to date), so the
public pages, the open-data downloads and `export_scores --version N` give the same
bytes however the index is recomputed later.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Max, Q
from django.utils import timezone

from scoring.models import (
    AuditEvent,
    Index,
    NodeResult,
    Publication,
    PublishedFile,
    PublishedResult,
    QualityFlag,
    Recompute,
)
from scoring.rules.vocabulary import LEVEL_NAMES, Level
from scoring.selectors import export_rows, index_questionnaire_ids, precision
from scoring.services.audit import record_event
from surveys.spreadsheets import csv_text

INTERVALS_FILE = "total-intervals"


class NothingToPublish(Exception):
    pass


class PublishingRefused(ValueError):
    """A publication or withdrawal that is not allowed as asked (the message says why)."""


@dataclass(frozen=True)
class PublishSummary:
    """What publishing now would publish: shown to the reviewer before they confirm."""

    index: Index
    ranked: int  # provinces with a total
    without: list[str]  # names of provinces without one
    flags_outstanding: int  # flagged submissions neither excluded nor cleared
    next_version: int
    correction: bool  # an earlier version is public: this one corrects it
    intervals: bool  # up-to-date intervals will be published with the ranking


def publish_summary(index: Index) -> PublishSummary:
    """The facts of the confirmation page (a few queries)."""
    totals = dict(NodeResult.objects.filter(index=index, node__level=Level.TOTAL)
                  .values_list("province_id", "percent"))
    provinces = list(index.province_set.provinces.order_by("code").values_list("pk", "name_vi"))
    without = [name for pk, name in provinces if totals.get(pk) is None]
    flagged = (QualityFlag.objects.filter(
        submission__questionnaire_id__in=index_questionnaire_ids(index),
        submission__excluded=False).values("submission_id").distinct().count())
    versions = index.publications.aggregate(
        last=Max("version"), public=Max("version", filter=Q(withdrawn_at__isnull=True)))
    return PublishSummary(index, len(provinces) - len(without), without, flagged,
                          (versions["last"] or 0) + 1, versions["public"] is not None,
                          intervals_are_current(index))


def intervals_are_current(index: Index) -> bool:
    """Whether the latest bootstrap ran after the latest recompute of the index."""
    run = index.uncertainty_runs.filter(status="done").order_by("-finished_at").first()
    if run is None:
        return False
    latest = (index.recomputes.filter(status=Recompute.Status.DONE)
              .order_by("-finished_at").first())
    return latest is None or run.finished_at >= latest.finished_at


def publish_index(*, index: Index, user, note: str) -> Publication:
    """Copy the index's current results into a new publication (version n + 1) and freeze
    its export files. A note is required; audited (a correction when a version is public)."""
    note = (note or "").strip()
    if not note:
        raise PublishingRefused("a note is required: say what is published and why")
    with transaction.atomic():
        Index.objects.select_for_update().get(pk=index.pk)  # one publisher at a time
        if not NodeResult.objects.filter(index=index).exists():
            raise NothingToPublish(f"{index.code} has no computed results to publish")
        versions = index.publications.aggregate(
            last=Max("version"), public=Max("version", filter=Q(withdrawn_at__isnull=True)))
        version = (versions["last"] or 0) + 1
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
        freeze_files(publication)
        record_event(user=user, action=AuditEvent.Action.PUBLISHED, index=index.code,
                     version=version, note=note, correction=versions["public"] is not None)
    return publication


def freeze_files(publication: Publication) -> None:
    """Write the export files of a publication, as `export_scores` gives them at this moment."""
    index = publication.index
    files = []
    for level in LEVEL_NAMES[index.kind].values():
        header, rows = export_rows(index, level, publication=publication, frozen=False)
        files.append(PublishedFile(publication=publication, name=level,
                                   content=csv_text(header, rows)))
        if level == "total" and intervals_are_current(index):
            header, rows = precision.with_intervals(index, level, header, rows)
            files.append(PublishedFile(publication=publication, name=INTERVALS_FILE,
                                       content=csv_text(header, rows)))
    PublishedFile.objects.bulk_create(files)


def withdraw_publication(*, publication: Publication, user, reason: str) -> Publication:
    """Take a published version off the public pages (staff still see it, marked); audited."""
    reason = (reason or "").strip()
    if not reason:
        raise PublishingRefused("a reason is required to withdraw a published version")
    with transaction.atomic():
        locked = Publication.objects.select_for_update().get(pk=publication.pk)
        if locked.withdrawn_at is not None:
            raise PublishingRefused(f"version {locked.version} is already withdrawn")
        locked.withdrawn_at, locked.withdrawn_by = timezone.now(), user
        locked.withdraw_reason = reason
        locked.save(update_fields=["withdrawn_at", "withdrawn_by", "withdraw_reason"])
        record_event(user=user, action=AuditEvent.Action.WITHDRAWN,
                     index=locked.index.code, version=locked.version, reason=reason)
    return locked

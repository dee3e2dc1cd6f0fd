"""Streaming export of raw submissions: one row per submission, bounded memory.

Citizens' rows carry the submission date only (no time of day); the lines are
written by the formula-safe writer (surveys.spreadsheets), like every download.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

from django.db import connection, transaction
from django.db.models import Max, Min
from django.utils import timezone

from surveys.models import Answer, Questionnaire, Submission
from surveys.spreadsheets import csv_lines

CHUNK = 2000
STREAM_BATCH = 10_000  # rows fetched at a time from the server-side cursor


def submission_rows(questionnaire: Questionnaire) -> Iterator[str]:
    """CSV lines: header, then every counted-or-not, not-excluded submission in id order."""
    codes = list(questionnaire.questions.order_by("position").values_list("pk", "code"))
    citizen = questionnaire.audience == "citizen"
    header = ["submission_id", "province_code", "submitted_on" if citizen else "submitted_at",
              *[code for _, code in codes]]
    yield from csv_lines(header, _rows(questionnaire, codes, citizen))


def _rows(questionnaire: Questionnaire, codes, citizen: bool) -> Iterator[list]:
    provinces = dict(questionnaire.province_set.provinces.values_list("pk", "code"))
    base = Submission.objects.filter(questionnaire=questionnaire, excluded=False)
    bounds = base.aggregate(lo=Min("pk"), hi=Max("pk"))
    if bounds["lo"] is None:
        return
    chunks = _streamed if connection.vendor == "postgresql" else _chunks
    for key, province_id, moment, cells in chunks(questionnaire, codes, base,
                                                  bounds["lo"], bounds["hi"]):
        local = timezone.localtime(moment)
        when = local.date().isoformat() if citizen else local.isoformat()
        yield [key, provinces[province_id], when, *cells]


def _chunks(questionnaire, codes, base, lo: int, hi: int) -> Iterator[tuple]:
    """(key, province id, moment, cells) per submission, answers formatted here."""
    column = {pk: i for i, (pk, _) in enumerate(codes)}
    start = lo
    while start <= hi:
        end = start + CHUNK
        subs = list(base.filter(pk__gte=start, pk__lt=end).order_by("pk").values_list(
            "pk", "key", "province_id", "submitted_at", "received_at"))
        cells: dict[int, list[list[str]]] = {s[0]: [[] for _ in codes] for s in subs}
        for sid, qid, option, number, text in Answer.objects.filter(
                submission_id__gte=start, submission_id__lt=end,
                submission__in=[s[0] for s in subs]).values_list(
                "submission_id", "question_id", "option_value", "number_value", "text_value"):
            if sid not in cells or qid not in column:
                continue
            if option is not None:
                value = str(option)
            elif number is not None:
                value = format(number.normalize(), "f")
            else:
                value = text
            cells[sid][column[qid]].append(value)
        for sid, key, province_id, submitted, received in subs:
            yield key, province_id, submitted or received, ["|".join(v) for v in cells[sid]]
        start = end


def _streamed(questionnaire, codes, base, lo: int, hi: int) -> Iterator[tuple]:
    """The same rows on PostgreSQL, from two queries streamed through server-side cursors.

    The database formats every answer (options as integers, numbers without trailing
    zeros) and sends submissions and answers both in submission
    order, merged here as they come; a million submissions are some 30 million
    answers, which the row-by-row path turns into Python objects one at a time.
    Several values of a question are joined with "|" in the order they were stored;
    an empty cell is None, which csv writes as "".
    """
    column = {pk: i for i, (pk, _) in enumerate(codes)}
    answer, submission = Answer._meta.db_table, Submission._meta.db_table
    chosen = ("s.questionnaire_id = %(questionnaire)s AND NOT s.excluded "
              "AND s.id >= %(lo)s AND s.id <= %(hi)s")
    params = {"questionnaire": questionnaire.pk, "lo": lo, "hi": hi}
    width = len(codes)
    with transaction.atomic(), connection.chunked_cursor() as subs, \
            connection.chunked_cursor() as answers:
        subs.execute(f"SELECT s.id, s.key, s.province_id, "  # noqa: S608 - table names come from models, values are parameters
                     f"COALESCE(s.submitted_at, s.received_at) FROM {submission} s "
                     f"WHERE {chosen} ORDER BY s.id", params)
        answers.execute(f"""
            SELECT a.submission_id, a.question_id, COALESCE(
                a.option_value::text, trim_scale(a.number_value)::text, a.text_value)
            FROM {answer} a JOIN {submission} s ON s.id = a.submission_id
            WHERE {chosen} ORDER BY a.submission_id, a.id
        """, params)  # noqa: S608 - table names come from models, values are parameters
        # Each statement reads its own snapshot: an answer whose submission the first
        # did not see (committed in between) is skipped, a submission without answers
        # is written with empty cells.
        queue = _batches(subs)
        done = (math.inf, None, None, None)
        sid, key, province_id, moment = next(queue, done)
        cells = [None] * width
        for batch in iter(lambda: answers.fetchmany(STREAM_BATCH), []):
            for answer_sid, qid, value in batch:
                while sid < answer_sid:  # that submission is complete
                    yield key, province_id, moment, cells
                    sid, key, province_id, moment = next(queue, done)
                    cells = [None] * width
                if sid != answer_sid:
                    continue
                i = column.get(qid)
                if i is not None:
                    cell = cells[i]
                    cells[i] = value if cell is None else cell + "|" + value
        while sid != math.inf:
            yield key, province_id, moment, cells
            sid, key, province_id, moment = next(queue, done)
            cells = [None] * width


def _batches(cursor) -> Iterator[tuple]:
    while batch := cursor.fetchmany(STREAM_BATCH):
        yield from batch

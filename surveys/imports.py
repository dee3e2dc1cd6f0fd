"""Reading interchange CSV files (spec §8) and importing submissions from them.

A file is read whole and checked cell by cell before anything is written; any
problem rejects it, every problem reported as `line N, column X: why`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings

from surveys.intake import MAX_KEY_LENGTH, AnswersInvalid, clean_sampling
from surveys.models import Questionnaire, Submission
from surveys.selectors import provinces_by_code, questionnaire_schema
from surveys.services import (
    NewSubmission,
    Recorded,
    earlier_province_note,
    record_submissions,
)
from surveys.validation import clean_answers

MAX_FILE_BYTES = 200 * 1024 * 1024
SUBMISSION_COLUMNS = ("submission_id", "province_code", "submitted_at")


class FileInvalid(Exception):
    """An interchange file broke one or more rules; nothing was written."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass(frozen=True)
class CsvRow:
    line: int
    cells: dict[str, str]


def read_csv(data: bytes, *, required: tuple[str, ...], known: set[str] | None = None,
             comments: bool = False) -> tuple[list[str], list[CsvRow]]:
    """Decode and split a CSV file; problems with the header or shape raise FileInvalid.

    `known`, when given, lists the only column names allowed beside `required`. With
    `comments`, lines starting with `#` before the header are notes about the file (where
    its data comes from) and are skipped; line numbers still count them.
    """
    if len(data) > MAX_FILE_BYTES:
        raise FileInvalid([f"the file is {len(data):,} bytes; the limit is {MAX_FILE_BYTES:,}"])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise FileInvalid([f"line {line}: not UTF-8 text (byte {exc.start})"]) from exc
    if "\x00" in text:
        raise FileInvalid(["the file contains NUL characters; it is not a CSV text file"])
    skipped = 0
    if comments:
        lines = text.splitlines(keepends=True)
        while skipped < len(lines) and lines[skipped].lstrip().startswith("#"):
            skipped += 1
        text = "".join(lines[skipped:])
    header, rows = _split(text, required, known, skipped)
    return header, rows


def _split(text: str, required: tuple[str, ...], known: set[str] | None, skipped: int
           ) -> tuple[list[str], list[CsvRow]]:
    """The header and rows of CSV text whose first `skipped` lines were left out."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise FileInvalid(["the file is empty"]) from None
    except csv.Error as exc:
        raise FileInvalid([f"line {skipped + 1}: {exc}"]) from exc
    header = [h.strip() for h in header]
    problems = []
    first = skipped + 1
    for name in required:
        if name not in header:
            problems.append(f"line {first}: the column {name} is missing")
    seen: set[str] = set()
    for position, name in enumerate(header, start=1):
        if name in seen:
            problems.append(f"line {first}, column {name}: appears twice")
        seen.add(name)
        if not name:
            problems.append(f"line {first}, column {position}: has no name")
        elif known is not None and name not in known and name not in required:
            problems.append(f"line {first}, column {name}: unknown column")
    if problems:
        raise FileInvalid(problems)
    rows = []
    start = reader.line_num + 1
    try:
        for cells in reader:
            if not cells:
                start = reader.line_num + 1
                continue
            if len(cells) != len(header):
                problems.append(f"line {start + skipped}: has {len(cells)} cells; the header "
                                f"has {len(header)}")
            else:
                rows.append(CsvRow(start + skipped, dict(zip(header, cells, strict=True))))
            start = reader.line_num + 1
    except csv.Error as exc:
        problems.append(f"line {reader.line_num + skipped}: {exc}")
    if problems:
        raise FileInvalid(problems)
    return header, rows


# Optional columns: the respondent's primary sampling unit and stratum (surveys.intake).
DESIGN_COLUMNS = ("psu", "stratum")


def parse_moment(text: str) -> datetime | None:
    """An ISO 8601 date or date-time; a naive one is read in the project's time zone."""
    text = text.strip()
    if not text:
        return None
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(settings.TIME_ZONE))
    return moment


@dataclass(frozen=True)
class ImportOutcome:
    rows: int
    created: int
    already_present: int


def import_submissions(*, questionnaire: Questionnaire, data: bytes) -> ImportOutcome:
    """Check a submissions file whole, then store it in one transaction.

    Raises FileInvalid listing every problem; nothing is written then.
    """
    schema = questionnaire_schema(questionnaire)
    header, rows = read_csv(data, required=SUBMISSION_COLUMNS,
                            known={q.code for q in schema.questions} | set(DESIGN_COLUMNS))
    provinces = provinces_by_code(questionnaire.province_set)
    problems: list[str] = []
    batch: list[NewSubmission] = []
    first_line: dict[str, tuple[int, str]] = {}
    for row in rows:
        row_problems = list(_row_problems(row, provinces, questionnaire.province_set))
        raw = {k: v for k, v in row.cells.items()
               if k not in SUBMISSION_COLUMNS and k not in DESIGN_COLUMNS}
        answers, answer_problems = clean_answers(schema, raw)
        row_problems += [f"line {row.line}, column {code}: {why}"
                         for code, why in answer_problems.items()]
        try:
            psu, stratum = clean_sampling(questionnaire, row.cells.get("psu"),
                                          row.cells.get("stratum"))
        except AnswersInvalid as exc:
            row_problems += [f"line {row.line}, column {name}: {why}"
                             for name, why in exc.problems.items()]
        if row_problems:
            problems += row_problems
            continue
        key = row.cells["submission_id"].strip()
        item = NewSubmission(key=key, province=provinces[row.cells["province_code"].strip()],
                             submitted_at=parse_moment(row.cells["submitted_at"]),
                             answers=answers, psu=psu, stratum=stratum)
        fingerprint = item.fingerprint(questionnaire.code)
        if key in first_line:
            line, earlier = first_line[key]
            if earlier != fingerprint:
                problems.append(f"line {row.line}, column submission_id: {key!r} is also on "
                                f"line {line} with other answers")
            continue
        first_line[key] = (row.line, fingerprint)
        batch.append(item)
    stored = dict(Submission.objects.filter(key__in=list(first_line))
                  .values_list("key", "content_hash"))
    for key, digest in stored.items():
        line, fingerprint = first_line[key]
        if digest != fingerprint:
            problems.append(f"line {line}, column submission_id: {key!r} was already recorded "
                            "with other answers")
    if problems:
        raise FileInvalid(problems)
    recorded: Recorded = record_submissions(questionnaire=questionnaire, submissions=batch,
                                            channel=Submission.Channel.IMPORT)
    return ImportOutcome(len(rows), len(recorded.created), len(recorded.existing))


def _row_problems(row: CsvRow, provinces: dict, province_set) -> Iterator[str]:
    key = row.cells["submission_id"].strip()
    if not key:
        yield f"line {row.line}, column submission_id: is empty"
    elif len(key) > MAX_KEY_LENGTH:
        yield (f"line {row.line}, column submission_id: is {len(key)} characters long; "
               f"the limit is {MAX_KEY_LENGTH}")
    code = row.cells["province_code"].strip()
    if code not in provinces:
        note = earlier_province_note(province_set, code)
        yield f"line {row.line}, column province_code: {note or f'unknown province {code!r}'}"
    try:
        parse_moment(row.cells["submitted_at"])
    except ValueError:
        yield (f"line {row.line}, column submitted_at: {row.cells['submitted_at']!r} is not an "
               "ISO 8601 date or time")

"""Streaming CSV export of a million submissions: wall time and peak memory.

    .venv/bin/python bench/export.py                # parindex_b10: 1,071,050 submissions

Runs `manage.py export_submissions --questionnaire CODE -o FILE` — the code the
review page's download streams too — for every questionnaire of the 10× demo
(seeded with `seed_demo --scale 10` when empty), one after the other in one child
process, and reads that process's peak resident memory (getrusage of children).
Side by side, PostgreSQL's own `COPY (SELECT … answers …) TO STDOUT` of the same
submissions' answers is timed as the floor of reading that much data.

Targets of issue #7: ≤ 60 s and ≤ 300 MB for a million submissions.
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import (
    DATABASES,
    PYTHON,
    ROOT,
    Row,
    child_env,
    ensure_seeded,
    machine,
    setup_django,
    stamp,
    table,
)

MAX_SECONDS, MAX_MB = 60.0, 300.0

CHILD = """
import sys, django
django.setup()
from django.core.management import call_command
for code, path in zip(sys.argv[1::2], sys.argv[2::2]):
    call_command("export_submissions", questionnaire=code, output=path)
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, choices=sorted(DATABASES), default=10)
    parser.add_argument("--keep", help="keep the CSV files in this directory")
    args = parser.parse_args()
    database = DATABASES[args.scale]
    setup_django(database)
    ensure_seeded(args.scale)

    from django.db import connection

    from surveys.models import Questionnaire, Submission

    codes = list(Questionnaire.objects.order_by("code").values_list("code", flat=True))
    submissions = Submission.objects.filter(excluded=False).count()
    out_dir = Path(args.keep or tempfile.mkdtemp(prefix="parindex-export-"))
    out_dir.mkdir(parents=True, exist_ok=True)
    files = [out_dir / f"{code}.csv" for code in codes]
    print(f"exporting {submissions:,} submissions of {len(codes)} questionnaires from "
          f"{database} into {out_dir}…", flush=True)
    argv = [a for code, path in zip(codes, files, strict=True) for a in (code, str(path))]
    started = time.perf_counter()
    subprocess.run([PYTHON, "-c", CHILD, *argv], cwd=ROOT, env=child_env(database), check=True)
    export_seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    lines = 0
    for f in files:
        with open(f, encoding="utf-8", newline="") as rows:
            lines += sum(1 for _ in csv.reader(rows)) - 1  # less the header
    size_mb = sum(f.stat().st_size for f in files) / 1024 / 1024

    copy_bytes = 0
    started = time.perf_counter()
    with connection.cursor() as cursor:
        with cursor.cursor.copy(
            "COPY (SELECT a.submission_id, a.question_id, a.option_value, a.number_value, "
            "a.text_value FROM surveys_answer a JOIN surveys_submission s "
            "ON s.id = a.submission_id WHERE NOT s.excluded ORDER BY a.submission_id) "
            "TO STDOUT WITH (FORMAT csv)") as copy:
            for block in copy:
                copy_bytes += len(block)
    copy_seconds = time.perf_counter() - started
    if not args.keep:
        for f in files:
            f.unlink()
        os.rmdir(out_dir)

    table(f"Streaming CSV export, scale {args.scale}× ({stamp()}, {machine()})", [
        Row(f"COPY of the same submissions' answers, ordered ({copy_bytes / 2**20:,.0f} MB)",
            f"{copy_seconds:.1f} s"),
        Row(f"export_submissions of {lines:,} submissions, {len(codes)} questionnaires "
            f"({size_mb:,.0f} MB of CSV)", f"{export_seconds:.1f} s "
            f"({lines / export_seconds:,.0f}/s; {export_seconds / copy_seconds:.1f} × the COPY)",
            f"≤ {MAX_SECONDS:g} s", export_seconds <= MAX_SECONDS),
        Row("peak resident memory of the exporting process", f"{peak_mb:.0f} MB",
            f"≤ {MAX_MB:g} MB", peak_mb <= MAX_MB),
    ])
    if lines != submissions:
        print(f"exported {lines:,} rows for {submissions:,} submissions", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

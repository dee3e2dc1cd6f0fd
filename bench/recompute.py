"""Full recompute of an index from raw answers, side by side with a raw SQL GROUP BY.

    .venv/bin/python bench/recompute.py --scale 1      # parindex_b1, about 3 M answers
    .venv/bin/python bench/recompute.py --scale 10     # parindex_b10, about 30 M answers

Seeds its database with `seed_demo --scale N` when it holds no submission. Each
repetition runs, one after the other, the baseline — `SELECT province, question,
value, COUNT(*) … GROUP BY` over the answers of the index's questionnaires, every
row fetched — and `manage.py compute_scores --index par-2024` (in-process: the task
the worker would run). Reports medians, the ratio and the targets of issue #7:
≤ 2 s at 1×, ≤ 15 s at 10×, and ≤ 1.5 × the GROUP BY at both.

The results are summed up in a checksum of every exact value stored, printed so
that a change to the code can be checked to leave the published numbers as they were.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import sys

from _common import (
    DATABASES,
    Row,
    alternate,
    ensure_seeded,
    machine,
    median,
    setup_django,
    stamp,
    table,
)

TARGET_SECONDS = {1: 2.0, 10: 15.0}
TARGET_RATIO = 1.5


def vacuum(*tables: str) -> None:
    """What autovacuum does after a bulk change (it may be off on a benchmark server)."""
    from django.db import connection

    with connection.cursor() as cursor:
        for name in tables:
            cursor.execute(f"VACUUM ANALYZE {name}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, choices=sorted(DATABASES), default=1)
    parser.add_argument("--database", help="default: parindex_b1 or parindex_b10")
    parser.add_argument("--index", default="par-2024")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    database = args.database or DATABASES[args.scale]
    setup_django(database)
    ensure_seeded(args.scale)

    from django.core.management import call_command
    from django.db import connection

    from scoring import selectors
    from scoring.models import Index, NodeResult
    from surveys.models import Answer, Submission

    index = Index.objects.get(code=args.index)
    questionnaires = sorted(selectors.index_questionnaire_ids(index))
    marks = ", ".join(["%s"] * len(questionnaires))
    group_by = f"""
        SELECT s.province_id, a.question_id, a.option_value, COUNT(*)
        FROM {Answer._meta.db_table} a JOIN {Submission._meta.db_table} s
          ON s.id = a.submission_id
        WHERE s.questionnaire_id IN ({marks}) AND a.option_value IS NOT NULL
          AND NOT s.excluded
        GROUP BY s.province_id, a.question_id, a.option_value
    """  # noqa: S608 - table names come from models
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM ({group_by}) g", questionnaires)  # noqa: S608
        cells = cursor.fetchone()[0]
        cursor.execute(
            f"SELECT COUNT(*), COUNT(DISTINCT a.submission_id) FROM {Answer._meta.db_table} a "  # noqa: S608 - table names come from models
            f"JOIN {Submission._meta.db_table} s ON s.id = a.submission_id "
            f"WHERE s.questionnaire_id IN ({marks}) AND a.option_value IS NOT NULL",
            questionnaires)
        answers, submissions = cursor.fetchone()

    def raw_group_by() -> None:
        with connection.cursor() as cursor:
            cursor.execute(group_by, questionnaires)
            cursor.fetchall()

    def full_recompute() -> None:
        call_command("compute_scores", index=args.index, stdout=io.StringIO())

    print(f"{args.index} on {database}: {submissions:,} submissions, {answers:,} option "
          f"answers, {cells:,} tally cells; {machine()}", flush=True)
    print("warming up…", flush=True)
    raw_group_by()
    full_recompute()  # counts what the seed left uncounted
    vacuum("surveys_submission", "scoring_answertally", "scoring_noderesult")
    times = alternate({"GROUP BY": raw_group_by, "compute_scores": full_recompute},
                      args.repeat)
    base, product = median(times["GROUP BY"]), median(times["compute_scores"])
    ratio = product / base

    digest = hashlib.sha256()
    for row in NodeResult.objects.filter(index=index).order_by(
            "province__code", "node__code").values_list(
            "province__code", "node__code", "points", "max_points", "percent", "points_exact",
            "percent_exact", "flags", "valid_answers"):
        digest.update(repr(row).encode())

    target = TARGET_SECONDS[args.scale]
    table(f"Full recompute of {args.index}, scale {args.scale}× "
          f"({stamp()}, {machine()})", [
              Row(f"raw GROUP BY over {answers:,} answers (median of {args.repeat})",
                  f"{base:.2f} s (min {min(times['GROUP BY']):.2f})"),
              Row(f"compute_scores --index {args.index} (median of {args.repeat})",
                  f"{product:.2f} s (min {min(times['compute_scores']):.2f})",
                  f"≤ {target:g} s", product <= target),
              Row("ratio compute_scores / GROUP BY", f"{ratio:.2f} ×",
                  f"≤ {TARGET_RATIO} ×", ratio <= TARGET_RATIO),
          ])
    print(f"results checksum (exact values of {index.code}): {digest.hexdigest()[:16]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

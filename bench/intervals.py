"""Bootstrap intervals at the 2024 survey's size: `compute_intervals --replicates 1000`.

    .venv/bin/python bench/intervals.py                    # parindex_b1
    .venv/bin/python bench/intervals.py --database NAME    # another database at 1×

Seeds its database with `seed_demo --scale 1` when it holds no submission and
computes the index's results when it has none. Then runs `manage.py
compute_intervals` in-process (tasks eager: one process, as on a machine without a
worker) `--repeat` times, timing each whole command: reading the answers, the
replicates, storing them, and the intervals, rank intervals and groups. Beside it,
the baseline the machine's load is judged by: one `SELECT … COUNT(*) GROUP BY` over
the index's answers. Prints the median, the load average and what was stored
(intervals by method, the largest Monte Carlo error of an endpoint). Target of
issue #15: ≤ 60 s for 1,000 replicates.
"""

from __future__ import annotations

import argparse
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

TARGET_SECONDS = 60.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default=DATABASES[1])
    parser.add_argument("--index", default="par-2024")
    parser.add_argument("--replicates", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    setup_django(args.database)
    ensure_seeded(1)

    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count, Max

    from scoring import selectors
    from scoring.models import Index, Interval, UncertaintyRun

    index = Index.objects.get(code=args.index)
    if not index.results.exists():
        call_command("compute_scores", "--index", index.code, stdout=io.StringIO())
    questionnaires = sorted(selectors.index_questionnaire_ids(index))

    def baseline() -> None:
        marks = ", ".join(["%s"] * len(questionnaires))
        with connection.cursor() as cursor:
            cursor.execute(f"""
                SELECT s.province_id, a.question_id, a.option_value, COUNT(*)
                FROM surveys_answer a JOIN surveys_submission s ON s.id = a.submission_id
                WHERE s.questionnaire_id IN ({marks}) AND NOT s.excluded
                  AND s.counted_at IS NOT NULL AND a.option_value IS NOT NULL
                GROUP BY 1, 2, 3""", questionnaires)  # noqa: S608 - fixed table names
            cursor.fetchall()

    def intervals() -> None:
        call_command("compute_intervals", "--index", index.code,
                     "--replicates", str(args.replicates), stdout=io.StringIO())

    load_before = machine()
    times = alternate({"GROUP BY": baseline, "compute_intervals": intervals}, args.repeat)
    load_after = machine()
    run = UncertaintyRun.objects.filter(index=index, status="done").order_by("-pk").first()
    stored = dict(Interval.objects.filter(run=run).values("method").annotate(n=Count("pk"))
                  .values_list("method", "n"))
    worst = Interval.objects.filter(run=run).aggregate(low=Max("mc_low"), high=Max("mc_high"))
    took = median(times["compute_intervals"])
    print(f"\n{stamp()}; before: {load_before}; after: {load_after}")
    table(f"compute_intervals --index {index.code} --replicates {args.replicates}", [
        Row(f"compute_intervals, median of {args.repeat}",
            f"{took:.1f} s ({', '.join(f'{t:.1f}' for t in times['compute_intervals'])})",
            f"≤ {TARGET_SECONDS:.0f} s", took <= TARGET_SECONDS),
        Row("baseline GROUP BY over the same answers, median",
            f"{median(times['GROUP BY']):.2f} s"),
        Row("ratio to the GROUP BY", f"{took / median(times['GROUP BY']):.1f} ×"),
        Row("intervals stored, by method",
            ", ".join(f"{m} {n:,}" for m, n in sorted(stored.items()))),
        Row("largest Monte Carlo error of an endpoint",
            f"{max(worst['low'] or 0, worst['high'] or 0):.3f} (points)"),
    ])
    return 0 if took <= TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())

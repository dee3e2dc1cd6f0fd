"""Freshness: from a submission's commit to its province's updated scores, under load.

    .venv/bin/python bench/freshness.py --rate 50 --seconds 60

Starts gunicorn (2 workers) and --workers Celery workers (1 by default, each of
concurrency 1) on the database
`parindex_bench` (seeded with `seed_demo --scale 0.1` and computed when empty, so
that every province has results), Redis db 5, port 8151; then sends full sipas-2025
submissions through the API at --rate per second for --seconds, open loop.

Each submission's freshness is read afterwards from what the product records:
- the commit: the submission's `received_at` (set just before its transaction
  commits, so the figure errs on the long side by the insert's own few ms);
- its scores updated: every index reading sipas-2025 (par-2025 and sipas-2025) is
  refreshed per province by the fold task, which records a `Recompute` row whose
  `finished_at` is written after the new results are committed. The first such row
  of each index that lists the submission's province and started after the
  submission was counted marks its scores as updated; the later of the two indices
  counts.

Targets of issue #19: p95 ≤ 1 s at 50 submissions/s with one worker, ≤ 2 s at 200/s with
two (--workers 2).
"""

from __future__ import annotations

import argparse
import bisect
import json
import random
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

from _common import (
    BROKER,
    PYTHON,
    ROOT,
    Row,
    child_env,
    create_database,
    database_url,
    machine,
    manage,
    percentile,
    stamp,
    table,
)
from load_intake import answers_for, django_query, post_submission

TARGET_P95 = {1: 1.0, 2: 2.0}  # seconds, by the number of Celery workers


def when(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def _start(args, env: dict) -> list[subprocess.Popen]:
    """gunicorn (2 workers) and the Celery workers, each of concurrency 1."""
    server = subprocess.Popen(
        [str(Path(PYTHON).parent / "gunicorn"), "config.wsgi", "--workers", "2",
         "--bind", f"127.0.0.1:{args.port}", "--log-level", "warning"], cwd=ROOT, env=env)
    return [server, *(subprocess.Popen(
        [PYTHON, "-m", "celery", "-A", "config", "worker", "--concurrency", "1",
         "-n", f"fresh{n}@%h", "--loglevel", "WARNING"], cwd=ROOT, env=env)
        for n in range(args.workers))]


def _stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        process.wait(timeout=20)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=1,
                        help="Celery worker processes, each of concurrency 1")
    parser.add_argument("--port", type=int, default=8151)
    parser.add_argument("--database", default="parindex_bench")
    args = parser.parse_args()

    create_database(args.database)
    env = child_env(args.database, CELERY_BROKER_URL=BROKER, DJANGO_DEBUG="false",
                    DJANGO_SECRET_KEY="bench-" + "x" * 60, DJANGO_ALLOWED_HOSTS="127.0.0.1",
                    DJANGO_SECURE_SSL_REDIRECT="false", DJANGO_SECURE_COOKIES="false",
                    RATE_LIMIT_API="0", DATABASE_CONN_MAX_AGE="60")
    seed_env = {k: v for k, v in env.items() if k != "CELERY_BROKER_URL"}  # in-process
    print("preparing the database…", flush=True)
    manage("migrate", "--noinput", env=env)
    manage("seed_demo", "--scale", "0.1", "--if-empty", env=seed_env)
    if not django_query("SELECT COUNT(*) FROM scoring_noderesult", env)[0][0]:
        manage("compute_scores", "--all", env=seed_env)
    manage("collectstatic", "--noinput", env=env)
    # Start from tables in the state autovacuum keeps them in (it may be off on a benchmark
    # server): every refresh rewrites the results of the provinces it touches.
    import psycopg

    with psycopg.connect(database_url(args.database), autocommit=True) as conn:
        conn.execute("VACUUM FULL ANALYZE scoring_noderesult")
        conn.execute("VACUUM ANALYZE scoring_answertally")
        conn.execute("VACUUM ANALYZE surveys_submission")
    schema = json.loads(subprocess.run([PYTHON, "-c", (
        "import json, django; django.setup(); from surveys.models import Questionnaire;"
        "from surveys.selectors import questionnaire_schema;"
        "s = questionnaire_schema(Questionnaire.objects.get(code='sipas-2025'));"
        "print(json.dumps([{'code': q.code, 'type': q.type, 'values': list(q.substantive),"
        "'show_if': q.show_if, 'show_values': sorted(q.show_values)} for q in s.questions]))"
    )], cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout.splitlines()[-1])
    provinces = [r[0] for r in django_query(
        "SELECT p.code FROM surveys_province p JOIN surveys_questionnaire q "
        "ON q.province_set_id = p.province_set_id WHERE q.code = 'sipas-2025' "
        "ORDER BY p.code", env)]
    indices = [r[0] for r in django_query(
        "SELECT DISTINCT n.index_id FROM scoring_source s JOIN scoring_node n "
        "ON n.id = s.node_id JOIN surveys_question q ON q.id = s.question_id "
        "JOIN surveys_questionnaire qn ON qn.id = q.questionnaire_id "
        "WHERE qn.code = 'sipas-2025'", env)]
    first_recompute = django_query("SELECT COALESCE(MAX(id), 0) FROM scoring_recompute",
                                   env)[0][0]
    run = f"fresh-{uuid.uuid4().hex[:8]}"

    processes = _start(args, env)
    try:
        time.sleep(4)
        local = threading.local()
        statuses: list[int] = []
        lock = threading.Lock()

        def send(i: int) -> None:
            body = json.dumps({"submission_id": f"{run}-{i}", "questionnaire": "sipas-2025",
                               "province": provinces[i % len(provinces)],
                               "answers": answers_for(schema, random.Random(i))})
            status = post_submission(local, args.port, body)
            with lock:
                statuses.append(status)

        total = int(args.rate * args.seconds)
        print(f"sending {total} submissions at {args.rate:g}/s…", flush=True)
        start = time.perf_counter()
        with ThreadPoolExecutor(max_workers=32) as pool:
            for i in range(total):
                delay = start + i / args.rate - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                pool.submit(send, i)
        elapsed = time.perf_counter() - start
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            uncounted = django_query("SELECT COUNT(*) FROM surveys_submission "
                                     "WHERE counted_at IS NULL", env)[0][0]
            running = django_query(f"SELECT COUNT(*) FROM scoring_recompute WHERE id > "  # noqa: S608 - an id the benchmark read
                                   f"{first_recompute} AND finished_at IS NULL", env)[0][0]
            if not uncounted and not running:
                break
            time.sleep(0.5)
        time.sleep(2)  # tasks still queued behind find nothing left to do
    finally:
        _stop(processes)

    submissions = django_query(
        "SELECT province_id, received_at, counted_at FROM surveys_submission "  # noqa: S608 - the benchmark's own run name
        f"WHERE key LIKE '{run}-%' ORDER BY id", env)
    refreshes = django_query(
        "SELECT index_id, provinces, started_at, finished_at FROM scoring_recompute "  # noqa: S608 - an id the benchmark read
        f"WHERE id > {first_recompute} AND NOT \"full\" AND finished_at IS NOT NULL "
        "ORDER BY started_at", env)
    # per (index, province): refreshes in order of start, as (started, finished)
    by_cell: dict[tuple[int, int], list[tuple[float, float]]] = {}
    for index_id, province_ids, started, finished in refreshes:
        if isinstance(province_ids, str):
            province_ids = json.loads(province_ids)
        for province_id in province_ids:
            by_cell.setdefault((index_id, province_id), []).append(
                (when(started), when(finished)))
    fresh, unseen = [], 0
    for province_id, received, counted in submissions:
        if counted is None:
            unseen += 1
            continue
        latest = None
        for index_id in indices:
            cell = by_cell.get((index_id, province_id), [])
            starts = [s for s, _ in cell]
            k = bisect.bisect_left(starts, when(counted))
            finished = min((f for _, f in cell[k:]), default=None)
            if finished is None:
                latest = None
                break
            latest = finished if latest is None else max(latest, finished)
        if latest is None:
            unseen += 1
        else:
            fresh.append(latest - when(received))
    acknowledged = sum(1 for s in statuses if s in (200, 201))
    p95 = percentile(fresh, 95)
    celery = "one Celery worker" if args.workers == 1 else f"{args.workers} Celery workers"
    target = TARGET_P95.get(args.workers, TARGET_P95[2])
    table(f"Freshness at {args.rate:g} submissions/s, {celery} ({stamp()}, "
          f"{machine()})", [
              Row("submissions sent / acknowledged / stored",
                  f"{len(statuses):,} in {elapsed:.1f} s ({len(statuses) / elapsed:.1f}/s) / "
                  f"{acknowledged:,} / {len(submissions):,}"),
              Row("incremental refreshes recorded (index × batch of provinces)",
                  f"{len(refreshes):,}"),
              Row("commit → scores of its province updated, p50",
                  f"{percentile(fresh, 50):.2f} s"),
              Row("commit → scores of its province updated, p95",
                  f"{p95:.2f} s (max {max(fresh, default=float('nan')):.2f} s)",
                  f"≤ {target:g} s", p95 <= target and not unseen),
              Row("submissions whose update was not observed", f"{unseen}", "0",
                  not unseen),
          ])
    return 0 if acknowledged == len(submissions) and not unseen else 1


if __name__ == "__main__":
    sys.exit(main())

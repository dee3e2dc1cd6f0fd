"""Load test of intake: hold a steady rate of SIPAS submissions through the JSON API.

Starts gunicorn (2 workers) and a Celery worker on PostgreSQL and Redis, sends
full sipas-2025 submissions at --rate per second for --seconds (open loop: a
slow answer does not slow the schedule), then checks that every acknowledged
submission is stored and counted. Exits non-zero if one is lost.

    .venv/bin/python bench/load_intake.py --rate 50 --seconds 60

Needs PostgreSQL and Redis on 127.0.0.1 (see bench/README.md); traffic goes to
127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def run(*args: str, env: dict) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)


def django_query(sql: str, env: dict) -> list:
    code = ("import json, django, os; os.environ['DJANGO_SETTINGS_MODULE']='config.settings';"
            "django.setup(); from django.db import connection; c = connection.cursor();"
            f"c.execute({sql!r}); print(json.dumps(c.fetchall(), default=str))")
    out = subprocess.run([PYTHON, "-c", code], cwd=ROOT, env=env, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def answers_for(schema: list[dict], rng: random.Random) -> dict:
    """A valid full submission: every visible question answered."""
    out: dict = {}
    for q in schema:
        if q["show_if"] and out.get(q["show_if"]) not in q["show_values"]:
            continue
        if q["type"] in ("scale", "single_choice"):
            out[q["code"]] = rng.choice(q["values"])
        elif q["type"] == "multi_choice":
            out[q["code"]] = sorted(rng.sample(q["values"], 2))
        elif q["type"] == "number":
            out[q["code"]] = 3
        elif q["type"] == "text" and rng.random() < 0.2:
            out[q["code"]] = "Thủ tục nhanh, cán bộ nhiệt tình."
    return out


def post_submission(local: threading.local, port: int, body: str) -> int:
    """POST one submission on this thread's keep-alive connection; 0 if the connection failed."""
    if not hasattr(local, "conn"):
        local.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        local.conn.request("POST", "/api/v1/submissions", body,
                           {"Content-Type": "application/json"})
        response = local.conn.getresponse()
        response.read()
        return response.status
    except (OSError, http.client.HTTPException):
        local.conn.close()
        del local.conn
        return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=50.0, help="submissions per second")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--database", default="postgres://root@127.0.0.1:5432/parindex_bench")
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/5")
    args = parser.parse_args()

    env = {**os.environ, "DATABASE_URL": args.database, "CELERY_BROKER_URL": args.broker,
           "DJANGO_DEBUG": "false", "DJANGO_SECRET_KEY": "bench-" + "x" * 60,
           "DJANGO_ALLOWED_HOSTS": "127.0.0.1", "DJANGO_SECURE_SSL_REDIRECT": "false",
           "DJANGO_SECURE_COOKIES": "false", "RATE_LIMIT_API": "0",
           "DATABASE_CONN_MAX_AGE": "60"}
    print("preparing the database…", flush=True)
    run("migrate", "--noinput", env=env)
    run("load_definitions", env=env)
    run("collectstatic", "--noinput", env=env)
    schema = json.loads(subprocess.run([PYTHON, "-c", (
        "import json, django, os; os.environ['DJANGO_SETTINGS_MODULE']='config.settings';"
        "django.setup(); from surveys.models import Questionnaire;"
        "from surveys.selectors import questionnaire_schema;"
        "s = questionnaire_schema(Questionnaire.objects.get(code='sipas-2025'));"
        "print(json.dumps([{'code': q.code, 'type': q.type, 'values': list(q.substantive),"
        "'show_if': q.show_if, 'show_values': sorted(q.show_values)} for q in s.questions]))"
    )], cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout.splitlines()[-1])
    before = django_query("SELECT COUNT(*) FROM surveys_submission", env)[0][0]

    server = subprocess.Popen(
        [str(Path(PYTHON).parent / "gunicorn"), "config.wsgi", "--workers", "2",
         "--bind", f"127.0.0.1:{args.port}", "--log-level", "warning"],
        cwd=ROOT, env=env)
    worker = subprocess.Popen(
        [PYTHON, "-m", "celery", "-A", "config", "worker", "--concurrency", "1",
         "--loglevel", "WARNING"], cwd=ROOT, env=env)
    try:
        time.sleep(3)
        provinces = [row[0] for row in django_query(
            "SELECT code FROM surveys_province ORDER BY code", env)]
        local = threading.local()
        results: list[tuple[int, float]] = []
        lock = threading.Lock()

        def send(i: int) -> None:
            body = json.dumps({"submission_id": f"load-{uuid.uuid4()}",
                               "questionnaire": "sipas-2025",
                               "province": provinces[i % len(provinces)],
                               "answers": answers_for(schema, random.Random(i))})
            started = time.perf_counter()
            status = post_submission(local, args.port, body)
            with lock:
                results.append((status, time.perf_counter() - started))

        total = int(args.rate * args.seconds)
        print(f"sending {total} submissions at {args.rate}/s for {args.seconds:.0f} s…",
              flush=True)
        start = time.perf_counter()
        with ThreadPoolExecutor(max_workers=32) as pool:
            for i in range(total):
                delay = start + i / args.rate - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                pool.submit(send, i)
        elapsed = time.perf_counter() - start
        acknowledged = sum(1 for status, _ in results if status in (200, 201))
        latencies = sorted(t for _, t in results)
        print(f"sent {len(results)} in {elapsed:.1f} s ({len(results) / elapsed:.1f}/s); "
              f"acknowledged {acknowledged}; statuses "
              f"{sorted({s for s, _ in results})}; median "
              f"{statistics.median(latencies) * 1000:.0f} ms, p95 "
              f"{latencies[int(0.95 * len(latencies)) - 1] * 1000:.0f} ms", flush=True)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            stored, uncounted = django_query(
                "SELECT COUNT(*), COUNT(*) FILTER (WHERE counted_at IS NULL) "
                "FROM surveys_submission", env)[0]
            if not uncounted:
                break
            time.sleep(1)
        stored -= before
        print(f"stored {stored} of {acknowledged} acknowledged (lost "
              f"{acknowledged - stored}); not counted after the run: {uncounted}")
        return 0 if stored == acknowledged and not uncounted else 1
    finally:
        server.terminate()
        worker.terminate()
        server.wait(timeout=20)
        worker.wait(timeout=20)


if __name__ == "__main__":
    sys.exit(main())

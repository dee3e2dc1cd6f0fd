"""Shared pieces of the benchmarks: databases, seeding, timing and the figures table.

Every benchmark compares the product with a baseline measured side by side in the
same run (the machine may be busy with something else), and prints the absolute
times for context.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
SERVER = "postgres://root@127.0.0.1:5432"
DATABASES = {1: "parindex_b1", 10: "parindex_b10"}
BROKER = "redis://127.0.0.1:6379/5"

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def database_url(name: str) -> str:
    return f"{SERVER}/{name}"


def create_database(name: str) -> None:
    """CREATE DATABASE if it is missing (the benchmarks never touch `test`)."""
    if name in ("test", "test_test"):
        raise SystemExit("the databases test and test_test belong to the test suite")
    import psycopg

    with psycopg.connect(database_url("postgres"), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def setup_django(database: str, *, broker: str = "") -> None:
    """Point Django at a benchmark database (created if missing) and set it up in-process."""
    create_database(database)
    os.environ["DATABASE_URL"] = database_url(database)
    if broker:
        os.environ["CELERY_BROKER_URL"] = broker
    else:
        os.environ.pop("CELERY_BROKER_URL", None)  # tasks run in-process
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.chdir(ROOT)
    import django

    django.setup()


def ensure_seeded(scale: float) -> None:
    """Migrate, and seed the demo at `scale` if no submission is stored yet."""
    from django.core.management import call_command

    from surveys.models import Submission

    call_command("migrate", "--noinput", verbosity=0)
    if Submission.objects.exists():
        return
    print(f"seeding the demo at scale {scale:g} (seed_demo --scale {scale:g})…", flush=True)
    started = time.perf_counter()
    call_command("seed_demo", scale=scale)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # as autovacuum would soon after such a load
    print(f"seeded in {time.perf_counter() - started:.0f} s", flush=True)


def child_env(database: str, **extra: str) -> dict:
    """The environment of a product process (manage.py, gunicorn, celery) on a bench database."""
    env = {**os.environ, "DATABASE_URL": database_url(database),
           "DJANGO_SETTINGS_MODULE": "config.settings"}
    env.pop("CELERY_BROKER_URL", None)
    env.update(extra)
    return env


def manage(*args: str, env: dict, quiet: bool = True) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL if quiet else None)


def timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def alternate(runs: dict[str, Callable[[], object]], repeat: int) -> dict[str, list[float]]:
    """Run each callable `repeat` times, interleaved (a, b, a, b…) so that both see the
    same load on the machine; returns the times of each."""
    times: dict[str, list[float]] = {name: [] for name in runs}
    for i in range(repeat):
        for name, fn in runs.items():
            times[name].append(timed(fn))
            print(f"  run {i + 1}/{repeat} {name}: {times[name][-1]:.3f} s", flush=True)
    return times


def median(values: list[float]) -> float:
    return statistics.median(values)


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank) of the values."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), int(-(-p * len(ordered) // 100))))
    return ordered[rank - 1]


@dataclass
class Row:
    what: str
    measured: str
    target: str = ""
    met: bool | None = None


def table(title: str, rows: list[Row]) -> None:
    """Print the figures as a Markdown table (pasted as it is into docs/performance.md)."""
    print()
    print(f"### {title}")
    print()
    print("| what | measured | target | met |")
    print("| --- | --- | --- | --- |")
    for r in rows:
        met = "" if r.met is None else ("yes" if r.met else "**no**")
        print(f"| {r.what} | {r.measured} | {r.target} | {met} |")
    print()


def stamp() -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())


def machine() -> str:
    """Cores, memory and the load average when the figures were taken."""
    cores = os.cpu_count()
    with open("/proc/meminfo") as f:
        mem_kb = int(f.readline().split()[1])
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return f"{cores} cores, {mem_kb / 1024 / 1024:.0f} GiB, load average {load}"


def _proc_stats() -> dict[int, tuple[int, float]]:
    """pid -> (parent pid, CPU seconds used so far) of every process on this machine."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        # after the name: state, ppid, …; utime and stime are fields 14 and 15 of stat
        out[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick)
    return out


class CpuMeter:
    """CPU seconds used by named groups of processes between two readings.

    A group is a process with its descendants (gunicorn's master and workers, Celery's
    main process and its pool), or PostgreSQL's backends serving one database. Only
    processes alive at both readings count, which holds for persistent workers and
    connections kept open (CONN_MAX_AGE).
    """

    def __init__(self, trees: dict[str, int], database: str = ""):
        self.trees, self.database = trees, database

    def _backends(self) -> set[int]:
        if not self.database:
            return set()
        import psycopg

        with psycopg.connect(database_url("postgres"), autocommit=True) as conn:
            return {pid for (pid,) in conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s", [self.database])}

    def read(self) -> dict[str, dict[int, float]]:
        stats = _proc_stats()
        children: dict[int, list[int]] = {}
        for pid, (parent, _) in stats.items():
            children.setdefault(parent, []).append(pid)
        groups = {}
        for name, root in self.trees.items():
            pids, todo = set(), [root]
            while todo:
                pid = todo.pop()
                if pid in stats and pid not in pids:
                    pids.add(pid)
                    todo.extend(children.get(pid, []))
            groups[name] = {pid: stats[pid][1] for pid in pids}
        if self.database:
            groups["PostgreSQL"] = {pid: stats[pid][1] for pid in self._backends()
                                    if pid in stats}
        return groups

    @staticmethod
    def used(before: dict[str, dict[int, float]], after: dict[str, dict[int, float]]
             ) -> dict[str, float]:
        return {name: sum(cpu - before[name][pid] for pid, cpu in pids.items()
                          if pid in before.get(name, {}))
                for name, pids in after.items()}


def prepare_intake_server(database: str, broker: str) -> dict:
    """The environment of an intake benchmark's server on `database`: migrated, the
    definitions loaded, static files collected and the bare view's table made."""
    create_database(database)
    env = child_env(database, CELERY_BROKER_URL=broker, DJANGO_DEBUG="false",
                    DJANGO_SECRET_KEY="bench-" + "x" * 60, DJANGO_ALLOWED_HOSTS="127.0.0.1",
                    DJANGO_SECURE_SSL_REDIRECT="false", DJANGO_SECURE_COOKIES="false",
                    RATE_LIMIT_API="0", RATE_LIMIT_SURVEY="0", DATABASE_CONN_MAX_AGE="60")
    print("preparing the database…", flush=True)
    manage("migrate", "--noinput", env=env)
    manage("load_definitions", env=env)
    manage("collectstatic", "--noinput", env=env)
    import psycopg

    with psycopg.connect(database_url(database), autocommit=True) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS bench_row (id bigserial PRIMARY KEY, "
                     "received_at timestamptz NOT NULL DEFAULT now(), body jsonb NOT NULL)")
    return env


def answer_schema(code: str, env: dict) -> list[dict]:
    """What a client needs to answer questionnaire `code` fully (load_intake.answers_for)."""
    import json

    return json.loads(subprocess.run([PYTHON, "-c", (
        "import json, django; django.setup(); from surveys.models import Questionnaire;"
        "from surveys.selectors import questionnaire_schema;"
        f"s = questionnaire_schema(Questionnaire.objects.get(code={code!r}));"
        "print(json.dumps([{'code': q.code, 'type': q.type, 'values': list(q.substantive),"
        "'show_if': q.show_if, 'show_values': sorted(q.show_values)} for q in s.questions]))"
    )], cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout.splitlines()[-1])

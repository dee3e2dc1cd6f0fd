"""The citizens' web survey under a closed loop: server time of each page, requests per survey.

    .venv/bin/python bench/websurvey.py                # about 2 minutes, port 8170
    .venv/bin/python bench/websurvey.py --baseline ../an-earlier-checkout

One gunicorn (2 sync workers, DEBUG off) with bench.settings, whose outermost middleware
sends each request's server time in a `Server-Timing` header (bench/timing.py), and one
Celery worker counting the submissions. Database `bench_web` (created and loaded with the
definitions if needed), Redis db 6, port 8170: its own, so that it can run beside the
other benchmarks.

--clients clients (8) each fill in the `sipas-2025` questionnaire of one province after
another, back to back, as a browser does: open the link, post each page with its hidden
fields and follow the redirect, to the receipt page. Turns of --seconds take turns with
the same clients posting to the bare view inserting one row (bench/urls.py), the floor
of any request on this server at that moment. --baseline serves another checkout of the
project (with bench/timing.py) on --port + 1, with turns of its own in between: before
and after a change under the same load.

Per kind of request (the link, a section page, a section's post, the last post, the
receipt): server time p50 / p95 / max as the worker measured it, its CPU time, its SQL
time and statements, and the client-side time (which adds the wait for a free worker);
where the machine's CPU time went during the turns (this server, the Celery worker,
PostgreSQL's backends on the database, the script itself, everything else). Then
the requests a survey took for the pages it showed, and every receipt's submission must
be stored and counted (exit 1 otherwise). Target of issue #19: every kind's server
time p95 ≤ 30 ms.
"""

from __future__ import annotations

import argparse
import functools
import os
import random
import re
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode

from _common import (
    PYTHON,
    ROOT,
    CpuMeter,
    Row,
    answer_schema,
    machine,
    percentile,
    prepare_intake_server,
    stamp,
    table,
)
from intake import FIELD, Browser
from load_intake import answers_for, django_query

TARGET_MS = 30.0
QUESTIONNAIRE = "sipas-2025"
KINDS = ("link", "section page", "section post", "last post", "receipt")
HIDDEN = re.compile(r'<input type="hidden" name="(\w+)" value="([^"]*)"')
TIMING = re.compile(r"(\w+);dur=([\d.]+)(?:;desc=\"(\d+)\")?")


class Sample:
    """One request: what it was, its status and its times (ms)."""

    __slots__ = ("kind", "status", "client", "server", "cpu", "db", "statements")

    def __init__(self, kind: str, status: int, client: float, header: str):
        self.kind, self.status, self.client = kind, status, client
        found = {m[0]: (float(m[1]), m[2]) for m in TIMING.findall(header)}
        self.server = found.get("app", (float("nan"), None))[0]
        self.cpu = found.get("cpu", (float("nan"), None))[0]
        db = found.get("db", (float("nan"), "0"))
        self.db, self.statements = db[0], int(db[1] or 0)


class Survey:
    """What one citizen's survey took: its requests, and the pages it showed."""

    def __init__(self):
        self.samples: list[Sample] = []
        self.pages = 0
        self.ok = False


def fill_in(port: int, schema: list[dict], province: str, seed: int) -> Survey:
    """A citizen's whole survey, in a fresh browser session."""
    survey = Survey()
    answers = answers_for(schema, random.Random(seed))
    browser = Browser(port)
    path = f"/s/{QUESTIONNAIRE}/{province}/"

    def go(kind: str, method: str, target: str, body: str | None = None):
        started = time.perf_counter()
        status, headers, page = browser.request(
            method, target, body, "application/x-www-form-urlencoded" if body else "")
        survey.samples.append(Sample(kind, status, (time.perf_counter() - started) * 1000,
                                     headers.get("Server-Timing", "")))
        return status, headers, page

    try:
        status, headers, page = go("link", "GET", path)
        for _ in range(40):
            if status != 200:
                return survey
            survey.pages += 1
            html = page.decode()
            html = html[html.index('class="survey-form"'):]
            html = html[:html.index("</form>")]
            last = 'value="submit"' in html
            hidden = HIDDEN.findall(html)  # the CSRF token, the submission key, its start
            fields = [(name, value) for name in dict.fromkeys(FIELD.findall(html))
                      if name in answers
                      for value in (answers[name] if isinstance(answers[name], list)
                                    else [answers[name]])]
            form = [*hidden, *fields, ("action", "submit" if last else "next")]
            status, headers, page = go("last post" if last else "section post", "POST", path,
                                       urlencode(form))
            if status in (302, 303):
                location = headers.get("Location", "")
                kind = "receipt" if "/r/" in location else "section page"
                status, headers, page = go(kind, "GET", location)
                if kind == "receipt":
                    survey.pages += 1
                    survey.ok = status == 200 and b'id="receipt"' in page
                    return survey
        return survey
    finally:
        browser.conn.close()


def bare(port: int, seed: int) -> Survey:
    """One POST to the bare view, for the floor of a request's server time."""
    survey = Survey()
    browser = Browser(port)
    started = time.perf_counter()
    status, headers, _ = browser.request("POST", "/bench/insert-one-row",
                                         f'{{"bench": {seed}}}', "application/json")
    survey.samples.append(Sample("bare view", status, (time.perf_counter() - started) * 1000,
                                 headers.get("Server-Timing", "")))
    browser.conn.close()
    survey.ok = status == 201
    return survey


def closed_loop(fn, clients: int, seconds: float) -> tuple[list[Survey], float]:
    """`clients` threads calling fn back to back for `seconds`."""
    done: list[Survey] = []
    lock = threading.Lock()
    counter = iter(range(10**9))
    stop = time.perf_counter() + seconds

    def loop() -> None:
        while time.perf_counter() < stop:
            with lock:
                i = next(counter)
            result = fn(i)
            with lock:
                done.append(result)

    started = time.perf_counter()
    threads = [threading.Thread(target=loop) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return done, time.perf_counter() - started


def ms(values: list[float], p: float) -> str:
    return f"{percentile(values, p):.1f}"


def cpu_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine so far, from /proc/stat."""
    with open("/proc/stat") as f:
        values = [int(x) for x in f.readline().split()[1:]]
    idle = values[3] + values[4]  # idle and iowait
    return sum(values) - idle, sum(values)


class CpuShares:
    """Where the machine's CPU went during a turn: gunicorn, the Celery worker, PostgreSQL's
    backends on the database (CpuMeter), this script, and everything else on the machine,
    each as a share of the machine's capacity."""

    def __init__(self, trees: dict[str, int], database: str):
        self.meter = CpuMeter(trees, database)

    def read(self):
        return self.meter.read(), time.process_time(), cpu_ticks()

    def shares(self, before, after) -> dict[str, float]:
        (groups0, own0, (busy0, total0)), (groups1, own1, (busy1, total1)) = before, after
        tick = os.sysconf("SC_CLK_TCK")
        capacity = max(total1 - total0, 1) / tick  # CPU seconds the machine had
        out = {name: seconds / capacity
               for name, seconds in CpuMeter.used(groups0, groups1).items()}
        out["this script"] = (own1 - own0) / capacity
        out["everything else"] = max(0.0, (busy1 - busy0) / tick / capacity
                                     - sum(out.values()))
        return out


def server(root: Path, port: int, env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [str(Path(PYTHON).parent / "gunicorn"), "config.wsgi", "--workers", "2",
         "--bind", f"127.0.0.1:{port}", "--log-level", "warning"],
        cwd=root, env={**env, "DJANGO_SETTINGS_MODULE": "bench.settings"})


def cpu_use(turns: list[dict[str, float]]) -> str:
    """The machine's CPU during some turns (mean), as the table says it."""
    mean = {name: statistics.mean(t[name] for t in turns) for name in turns[0]}
    return "machine CPU: " + ", ".join(
        f"{name} {share:.0%}" for name, share in mean.items() if share >= 0.005) + \
        f" (busy {sum(mean.values()):.0%})"


def kind_rows(label: str, surveys: list[Survey]) -> list[Row]:
    """One row per kind of request."""
    samples = [x for s in surveys for x in s.samples]
    rows = []
    for kind in KINDS:
        of_kind = [x for x in samples if x.kind == kind]
        if not of_kind:
            continue
        server_ms = [x.server for x in of_kind]
        p95 = percentile(server_ms, 95)
        statements = Counter(x.statements for x in of_kind)
        statuses = ", ".join(map(str, sorted({x.status for x in of_kind})))
        rows.append(Row(
            f"{label}{kind}, {len(of_kind):,} requests (status {statuses})",
            f"server p50 {ms(server_ms, 50)} ms, **p95 {p95:.1f} ms**, max "
            f"{max(server_ms):.0f} ms; CPU p50 {ms([x.cpu for x in of_kind], 50)} ms, p95 "
            f"{ms([x.cpu for x in of_kind], 95)} ms; SQL p95 {ms([x.db for x in of_kind], 95)} "
            f"ms, {' or '.join(str(n) for n, _ in statements.most_common(2))} statements; "
            f"client p50 {ms([x.client for x in of_kind], 50)} ms, p95 "
            f"{ms([x.client for x in of_kind], 95)} ms",
            f"server p95 ≤ {TARGET_MS:g} ms", p95 <= TARGET_MS))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20.0, help="per closed-loop turn")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--port", type=int, default=8170)
    parser.add_argument("--database", default="bench_web")
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/6")
    parser.add_argument("--province", action="append",
                        help="only these provinces (default: every one, in turn)")
    parser.add_argument("--baseline", type=Path, metavar="CHECKOUT",
                        help="also serve another checkout of the project (e.g. an earlier "
                             "commit, with bench/timing.py) on --port + 1, its turns taken "
                             "in between: before and after under the same load")
    args = parser.parse_args()
    if args.database in ("parindex_bench", "test", "test_test"):
        raise SystemExit(f"{args.database} belongs to other benchmarks or to the tests")

    env = prepare_intake_server(args.database, args.broker)
    schema = answer_schema(QUESTIONNAIRE, env)
    provinces = args.province or [r[0] for r in django_query(
        "SELECT p.code FROM surveys_province p JOIN surveys_questionnaire q "
        "ON q.province_set_id = p.province_set_id WHERE q.code = 'sipas-2025' "
        "ORDER BY p.code", env)]
    before = django_query("SELECT COUNT(*) FROM surveys_submission", env)[0][0]

    servers = [server(ROOT, args.port, env)]
    ports = {"": args.port}
    if args.baseline:
        servers.append(server(args.baseline.resolve(), args.port + 1, env))
        ports["baseline: "] = args.port + 1
    worker = subprocess.Popen(
        [PYTHON, "-m", "celery", "-A", "config", "worker", "--concurrency", "1",
         "--loglevel", "WARNING"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    load_before = os.getloadavg()
    trees = {"gunicorn": servers[0].pid, "Celery worker": worker.pid}
    if args.baseline:
        trees["gunicorn (baseline)"] = servers[1].pid
    cpu = CpuShares(trees, args.database)
    try:
        time.sleep(5)
        turns = {f"{label}web survey": functools.partial(
                     lambda port, i: fill_in(port, schema, provinces[i % len(provinces)], i),
                     port) for label, port in ports.items()}
        turns["bare view"] = functools.partial(bare, args.port)
        for fn in turns.values():  # warm-up: every worker imports, connects, fills its caches
            for i in range(6):
                fn(10**6 + i)
        done: dict[str, list[Survey]] = {name: [] for name in turns}
        spans: dict[str, float] = dict.fromkeys(turns, 0.0)
        shares: dict[str, list[dict[str, float]]] = {name: [] for name in turns}
        for r in range(args.rounds):
            for name, fn in turns.items():
                before_turn = cpu.read()
                results, span = closed_loop(fn, args.clients, args.seconds)
                shares[name].append(cpu.shares(before_turn, cpu.read()))
                done[name] += results
                spans[name] += span
                print(f"  round {r + 1} {name}: {len(results)} in {span:.0f} s, "
                      f"{sum(1 for s in results if not s.ok)} failed, CPU "
                      f"{sum(shares[name][-1].values()):.0%} busy", flush=True)
        load_after = os.getloadavg()

        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            stored, uncounted = django_query(
                "SELECT COUNT(*), COUNT(*) FILTER (WHERE counted_at IS NULL) "
                "FROM surveys_submission", env)[0]
            if not uncounted:
                break
            time.sleep(1)
    finally:
        for process in [*servers, worker]:
            process.terminate()
        for process in [*servers, worker]:
            process.wait(timeout=20)

    floor = [x for s in done["bare view"] for x in s.samples if x.status == 201]
    rows = [Row(f"bare view (one-row insert), {len(floor):,} requests",
                f"server p50 {ms([x.server for x in floor], 50)} ms, p95 "
                f"{ms([x.server for x in floor], 95)} ms; client p95 "
                f"{ms([x.client for x in floor], 95)} ms; {cpu_use(shares['bare view'])}")]
    finished_all, failed_all = 0, 0
    for label in ports:
        name = f"{label}web survey"
        surveys = done[name]
        finished = [s for s in surveys if s.ok]
        rows += kind_rows(label, surveys)
        finished_all += len(finished)
        failed_all += len(surveys) - len(finished)
        per_survey = Counter((len(s.samples), s.pages) for s in finished)
        redirects = sum(1 for s in surveys for x in s.samples if 300 <= x.status < 400)
        rows.append(Row(
            f"{label}whole surveys, {args.clients} clients, {spans[name]:.0f} s",
            f"{len(finished):,} finished ({len(finished) / spans[name]:.1f}/s), "
            f"{len(surveys) - len(finished)} failed; requests for the pages shown: "
            + ", ".join(f"{n} for {p} ({c}×)" for (n, p), c in sorted(per_survey.items()))
            + f"; {redirects:,} redirects in all; a whole survey's server time p95 "
            f"{ms([sum(x.server for x in s.samples) for s in finished], 95)} ms; "
            f"{cpu_use(shares[name])}"))
    stored -= before
    rows.append(Row("stored and counted after the run",
                    f"{stored:,} stored of {finished_all:,} receipts (and the warm-up's); "
                    f"{uncounted} not counted", "all", stored >= finished_all and not uncounted))
    table(f"Web survey, gunicorn 2 workers + 1 Celery worker ({stamp()}, {machine()}; "
          f"load average {', '.join(f'{x:.2f}' for x in load_before)} at the start, "
          f"{', '.join(f'{x:.2f}' for x in load_after)} after the turns)", rows)
    return 0 if stored >= finished_all and not uncounted and not failed_all else 1


if __name__ == "__main__":
    sys.exit(main())

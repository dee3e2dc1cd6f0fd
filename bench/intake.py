"""Intake capacity: the JSON API and the web form against a bare insert-one-row view.

    .venv/bin/python bench/intake.py                  # about 2 minutes

One gunicorn (2 sync workers, DEBUG off) serves the product with one extra,
bench-only URL (bench/settings.py, bench/urls.py): a bare Django view that inserts
the posted JSON as one row. One Celery worker counts the submissions as in
production. Database `parindex_bench` (created and loaded with the definitions if
needed), Redis db 5, port 8150.

1. Capacity, closed loop: --clients clients send back to back for --seconds, in
   --rounds rounds that take turns (bare view, API, web form, bare view, …) so that
   all three see the same machine. A full sipas-2025 submission (every visible
   question answered) goes through the API in one POST; through the web form it is
   what a citizen's browser does: open the link, then post each section and follow
   the redirect, to the receipt page.
2. The API held at --rate submissions/s for --open-seconds, open loop (a slow answer
   does not slow the sender): achieved rate and latency.

Then it waits for the worker to count every submission and checks none was lost.
Targets of issue #19: the API ≥ 200 submissions/s with p95 ≤ 100 ms, and ≥ 0.4 × the
bare view's rate. Each closed-loop turn also reports the CPU time a request cost in
gunicorn, in the Celery worker and in PostgreSQL's backends on the database (read from
/proc), which says where the time goes on a machine the three share.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import re
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

from _common import (
    BROKER,
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
from load_intake import answers_for, django_query

TARGET_RATE, TARGET_P95_MS, TARGET_SHARE = 200.0, 100.0, 0.4
FIELD = re.compile(r'name="([A-Za-z][A-Za-z0-9_]*)"')
SKIP_FIELDS = {"csrfmiddlewaretoken", "submission_id", "action"}


class Browser:
    """One HTTP client with cookies, on one connection per thread."""

    def __init__(self, port: int):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: str | None = None,
                content_type: str = "") -> tuple[int, dict, bytes]:
        headers = {"Host": "127.0.0.1"}
        if content_type:
            headers["Content-Type"] = content_type
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if method == "POST":
            headers["Referer"] = f"http://127.0.0.1:{self.port}{path}"
        try:
            self.conn.request(method, path, body, headers)
            response = self.conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            return 0, {}, b""
        for key, value in response.getheaders():
            if key.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        return response.status, dict(response.getheaders()), data


class Traffic:
    """The three kinds of request, each returning (ok, [latencies of its requests])."""

    def __init__(self, port: int, schema: list[dict], provinces: list[str]):
        self.port, self.schema, self.provinces = port, schema, provinces
        self.counter = 0
        self.lock = threading.Lock()
        self.local = threading.local()
        self.api_acknowledged = 0
        self.web_acknowledged = 0

    def _next(self) -> int:
        with self.lock:
            self.counter += 1
            return self.counter

    def _browser(self) -> Browser:
        if not hasattr(self.local, "browser"):
            self.local.browser = Browser(self.port)
        return self.local.browser

    def _payload(self, i: int) -> str:
        return json.dumps({"submission_id": f"bench-{uuid.uuid4()}",
                           "questionnaire": "sipas-2025",
                           "province": self.provinces[i % len(self.provinces)],
                           "answers": answers_for(self.schema, random.Random(i))})

    def _post_json(self, path: str) -> tuple[bool, list[float]]:
        body = self._payload(self._next())
        started = time.perf_counter()
        status, _, _ = self._browser().request("POST", path, body, "application/json")
        return status in (200, 201), [time.perf_counter() - started]

    def bare(self) -> tuple[bool, list[float]]:
        return self._post_json("/bench/insert-one-row")

    def api(self) -> tuple[bool, list[float]]:
        ok, times = self._post_json("/api/v1/submissions")
        if ok:
            with self.lock:
                self.api_acknowledged += 1
        return ok, times

    def web(self) -> tuple[bool, list[float]]:
        """A citizen's whole questionnaire, page by page, in a fresh session."""
        ok, times = self._web()
        if ok:
            with self.lock:
                self.web_acknowledged += 1
        return ok, times

    def _web(self) -> tuple[bool, list[float]]:
        i = self._next()
        answers = answers_for(self.schema, random.Random(i))
        browser = Browser(self.port)
        path = f"/s/sipas-2025/{self.provinces[i % len(self.provinces)]}/"
        times: list[float] = []

        def go(method: str, body: str | None = None):
            started = time.perf_counter()
            result = browser.request(method, path, body,
                                     "application/x-www-form-urlencoded" if body else "")
            times.append(time.perf_counter() - started)
            return result

        status, _, page = go("GET")
        try:
            for _ in range(30):
                if status != 200:
                    return False, times
                html = page.decode()
                key = re.search(r'name="submission_id" value="([^"]*)"', html).group(1)
                fields = [(name, value) for name in dict.fromkeys(FIELD.findall(html))
                          if name not in SKIP_FIELDS and name in answers
                          for value in (answers[name] if isinstance(answers[name], list)
                                        else [answers[name]])]
                form = [("csrfmiddlewaretoken", browser.cookies.get("csrftoken", "")),
                        ("submission_id", key), *fields, ("action", "submit")]
                status, headers, page = go("POST", urlencode(form))
                if status != 302:
                    return False, times
                location = headers.get("Location", "")
                if "/r/" in location:
                    path = location
                    status, _, _ = go("GET")
                    return status == 200, times
                status, _, page = go("GET")
            return False, times
        finally:
            browser.conn.close()


def closed_loop(fn, clients: int, seconds: float) -> tuple[int, int, list[float], list[float],
                                                              float]:
    """`clients` threads calling fn back to back for `seconds`."""
    done: list[tuple[bool, list[float], float]] = []
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def loop() -> None:
        while time.perf_counter() < stop:
            started = time.perf_counter()
            ok, times = fn()
            with lock:
                done.append((ok, times, time.perf_counter() - started))

    started = time.perf_counter()
    threads = [threading.Thread(target=loop) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    ok = sum(1 for o, _, _ in done if o)
    requests = [t for _, times, _ in done for t in times]
    whole = [w for o, _, w in done if o]
    return ok, len(done) - ok, requests, whole, elapsed


def open_loop(fn, rate: float, seconds: float) -> tuple[int, int, list[float], float]:
    """Requests started on a fixed schedule whatever happens to the earlier ones.

    A request's latency is counted from when the schedule says it should have been
    sent, so that time spent waiting for a free sender counts too; the rate achieved
    is the acknowledged requests over the time until the last one was answered.
    """
    results: list[tuple[bool, float]] = []
    lock = threading.Lock()
    start = time.perf_counter()
    last = [start]

    def one(due: float) -> None:
        ok, _ = fn()
        now = time.perf_counter()
        with lock:
            results.append((ok, now - due))
            last[0] = max(last[0], now)

    total = int(rate * seconds)
    with ThreadPoolExecutor(max_workers=64) as pool:
        for i in range(total):
            due = start + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            pool.submit(one, due)
    ok = sum(1 for o, _ in results if o)
    return ok, len(results) - ok, [t for _, t in results], last[0] - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0, help="per closed-loop turn")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--rate", type=float, default=TARGET_RATE)
    parser.add_argument("--open-seconds", type=float, default=30.0)
    parser.add_argument("--port", type=int, default=8150)
    parser.add_argument("--database", default="parindex_bench")
    args = parser.parse_args()

    env = prepare_intake_server(args.database, BROKER)
    schema = answer_schema("sipas-2025", env)
    provinces = [r[0] for r in django_query(
        "SELECT p.code FROM surveys_province p JOIN surveys_questionnaire q "
        "ON q.province_set_id = p.province_set_id WHERE q.code = 'sipas-2025' "
        "ORDER BY p.code", env)]
    before = django_query("SELECT COUNT(*) FROM surveys_submission", env)[0][0]

    server = subprocess.Popen(
        [str(Path(PYTHON).parent / "gunicorn"), "config.wsgi", "--workers", "2",
         "--bind", f"127.0.0.1:{args.port}", "--log-level", "warning"],
        cwd=ROOT, env={**env, "DJANGO_SETTINGS_MODULE": "bench.settings"})
    worker = subprocess.Popen(
        [PYTHON, "-m", "celery", "-A", "config", "worker", "--concurrency", "1",
         "--loglevel", "WARNING"], cwd=ROOT, env=env)
    try:
        time.sleep(4)
        traffic = Traffic(args.port, schema, provinces)
        kinds = {"bare view": traffic.bare, "API": traffic.api, "web form": traffic.web}
        for fn in kinds.values():  # warm-up: every worker imports and connects
            for _ in range(4):
                fn()
        figures = {name: [0, 0, [], [], 0.0] for name in kinds}
        meter = CpuMeter({"gunicorn": server.pid, "Celery worker": worker.pid}, args.database)
        cpu: dict[str, dict[str, float]] = {name: {} for name in kinds}
        for r in range(args.rounds):
            for name, fn in kinds.items():
                before_cpu = meter.read()
                ok, failed, requests, whole, elapsed = closed_loop(fn, args.clients,
                                                                   args.seconds)
                for group, seconds in CpuMeter.used(before_cpu, meter.read()).items():
                    cpu[name][group] = cpu[name].get(group, 0.0) + seconds
                f = figures[name]
                f[0] += ok
                f[1] += failed
                f[2] += requests
                f[3] += whole
                f[4] += elapsed
                print(f"  round {r + 1} {name}: {ok / elapsed:.1f}/s, {failed} failed",
                      flush=True)
        print(f"API open loop at {args.rate:g}/s for {args.open_seconds:g} s…", flush=True)
        o_ok, o_failed, o_times, o_span = open_loop(traffic.api, args.rate, args.open_seconds)

        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            stored, uncounted = django_query(
                "SELECT COUNT(*), COUNT(*) FILTER (WHERE counted_at IS NULL) "
                "FROM surveys_submission", env)[0]
            if not uncounted:
                break
            time.sleep(1)
    finally:
        server.terminate()
        worker.terminate()
        server.wait(timeout=20)
        worker.wait(timeout=20)

    bare_rate = figures["bare view"][0] / figures["bare view"][4]
    rows = []
    for name, (ok, failed, requests, whole, elapsed) in figures.items():
        rate = ok / elapsed
        what = f"{name}, closed loop, {args.clients} clients, {elapsed:.0f} s"
        detail = (f"{rate:.1f}/s; per request p50 {percentile(requests, 50) * 1000:.0f} ms, "
                  f"p95 {percentile(requests, 95) * 1000:.0f} ms; {failed} failed")
        if name == "web form":
            per = len(requests) / max(ok + failed, 1)
            detail += (f"; {per:.0f} requests a submission, whole submission p95 "
                       f"{percentile(whole, 95) * 1000:.0f} ms")
        detail += "; CPU a " + ("submission" if name != "bare view" else "request") + ": " + \
            ", ".join(f"{group} {seconds / max(ok, 1) * 1000:.1f} ms"
                      for group, seconds in cpu[name].items())
        if name == "bare view":
            rows.append(Row(what, detail))
        else:
            rows.append(Row(what, detail + f"; {rate / bare_rate:.2f} × the bare view",
                            f"≥ {TARGET_SHARE} × the bare view",
                            rate / bare_rate >= TARGET_SHARE and not failed))
    o_rate = o_ok / o_span
    o_p95 = percentile(o_times, 95) * 1000
    rows.append(Row(f"API, open loop at {args.rate:g}/s for {args.open_seconds:g} s",
                    f"{o_ok:,} acknowledged of {o_ok + o_failed:,}, the last after "
                    f"{o_span:.0f} s ({o_rate:.1f}/s); from due time p50 "
                    f"{percentile(o_times, 50) * 1000:.0f} ms, p95 {o_p95:.0f} ms",
                    f"≥ {TARGET_RATE:g}/s, p95 ≤ {TARGET_P95_MS:g} ms",
                    o_rate >= TARGET_RATE * 0.99 and not o_failed and o_p95 <= TARGET_P95_MS))
    stored -= before
    expected = traffic.api_acknowledged + traffic.web_acknowledged
    rows.append(Row("stored and counted after the run",
                    f"{stored:,} stored of {expected:,} acknowledged; {uncounted} not counted",
                    "all", stored >= expected and not uncounted))
    table(f"Intake, gunicorn 2 workers + 1 Celery worker ({stamp()}, {machine()})", rows)
    return 0 if stored >= expected and not uncounted else 1


if __name__ == "__main__":
    sys.exit(main())

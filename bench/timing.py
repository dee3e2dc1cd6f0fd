"""Server time of each request, as a `Server-Timing` header: the benchmarks' server only.

Outermost in bench.settings' middleware, so it spans every middleware, the view and its
template: what gunicorn's worker spends on the request after parsing it and before
writing the answer out. Three metrics, read by bench/websurvey.py:

    Server-Timing: app;dur=12.41, cpu;dur=9.80, db;dur=1.93;desc="5"

`app` is the wall time, `cpu` the worker process's CPU time over the same span (a sync
worker serves one request at a time, so it is this request's), `db` the time spent in SQL
statements and `desc` their number (BEGIN and COMMIT of an atomic block are not counted
by Django's wrappers, their round trips are in `app`).
"""

from __future__ import annotations

import time

from django.db import connection


class ServerTimingMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        statements = [0, 0.0]

        def timed(execute, sql, params, many, context):
            started = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                statements[0] += 1
                statements[1] += time.perf_counter() - started

        started, cpu = time.perf_counter(), time.process_time()
        with connection.execute_wrapper(timed):
            response = self.get_response(request)
        wall = (time.perf_counter() - started) * 1000
        cpu = (time.process_time() - cpu) * 1000
        response["Server-Timing"] = (f"app;dur={wall:.2f}, cpu;dur={cpu:.2f}, "
                                     f'db;dur={statements[1] * 1000:.2f};desc="{statements[0]}"')
        return response

"""The ranking page and a province profile: queries and server time at 1× and 10× the data.

    .venv/bin/python bench/pages.py                 # both scales: parindex_b1, parindex_b10
    .venv/bin/python bench/pages.py --scales 1

For each scale (its database seeded with `seed_demo --scale N` when empty, and every
index computed when it has no results), a reviewer asks for the pages through
Django's test client in-process, with DEBUG off as in production: the whole request
— middleware, session and user, the view's queries and the template — is timed and
its queries counted (CaptureQueriesContext). Median of --repeat requests after a
warm-up. Side by side, the log-in page (a small form through the same middleware)
is timed as the floor of any page on this machine at this moment.

Targets of issue #7: ≤ 10 queries and ≤ 50 ms at 1× and 10×.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

from _common import DATABASES, PYTHON, Row, machine, median, stamp, table

MAX_QUERIES, MAX_MS = 10, 50.0


def measure(scale: int, repeat: int) -> dict:
    """In a process of its own (one database per process): the figures of one scale."""
    os.environ.update({"DJANGO_DEBUG": "false", "DJANGO_SECRET_KEY": "bench-" + "x" * 60,
                       "DJANGO_SECURE_SSL_REDIRECT": "false", "DJANGO_SECURE_COOKIES": "false",
                       "DJANGO_ALLOWED_HOSTS": "testserver"})
    from _common import ensure_seeded, setup_django

    setup_django(DATABASES[scale])
    ensure_seeded(scale)
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from scoring.models import Index, NodeResult, Role, StaffRole

    call_command("collectstatic", "--noinput", verbosity=0)
    for index in Index.objects.all():
        if not NodeResult.objects.filter(index=index).exists():
            print(f"computing {index.code}…", file=sys.stderr, flush=True)
            call_command("compute_scores", index=index.code, verbosity=0)
    user, _ = get_user_model().objects.get_or_create(username="bench-reviewer")
    StaffRole.objects.update_or_create(user=user, defaults={"role": Role.REVIEWER})
    client = Client()
    client.force_login(user)
    anonymous = Client()
    pages = {}
    for code in ("par-2024", "sipas-2024"):
        index = Index.objects.get(code=code)
        province = index.province_set.provinces.order_by("code").first()
        pages[f"{code} ranking"] = (client, reverse("scoring:ranking", args=[code]))
        pages[f"{code} province {province.code}"] = (
            client, reverse("scoring:province", args=[code, province.code]))
    pages["log-in page (floor)"] = (anonymous, reverse("login"))
    out: dict = {"submissions": 0, "pages": {}}
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM surveys_submission")
        out["submissions"] = cursor.fetchone()[0]
    for name, (who, url) in pages.items():
        response = who.get(url)  # warm-up: templates, translations, caches
        assert response.status_code == 200, (url, response.status_code)
        times, queries = [], []
        for _ in range(repeat):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = who.get(url)
                times.append(time.perf_counter() - started)
            assert response.status_code == 200
            queries.append(len(captured.captured_queries))
        out["pages"][name] = {"url": url, "ms": median(times) * 1000,
                              "max_ms": max(times) * 1000, "queries": max(queries)}
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="1,10", help="comma-separated: 1, 10 or 1,10")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one, args.repeat)))
        return 0
    rows = []
    for scale in (int(s) for s in args.scales.split(",")):
        result = subprocess.run([PYTHON, __file__, "--one", str(scale), "--repeat",
                                 str(args.repeat)], check=True, capture_output=True, text=True)
        figures = json.loads(result.stdout.strip().splitlines()[-1])
        floor = figures["pages"]["log-in page (floor)"]["ms"]
        for name, page in figures["pages"].items():
            is_floor = name.startswith("log-in")
            ok = page["queries"] <= MAX_QUERIES and page["ms"] <= MAX_MS
            rows.append(Row(
                f"{scale}× ({figures['submissions']:,} submissions): {name}",
                f"{page['queries']} queries, {page['ms']:.1f} ms median (max "
                f"{page['max_ms']:.0f}), {page['ms'] / floor:.1f} × the log-in page",
                "" if is_floor else f"≤ {MAX_QUERIES} queries, ≤ {MAX_MS:g} ms",
                None if is_floor else ok))
    table(f"Review pages ({stamp()}, {machine()})", rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Review and public pages: queries and server time at 1× and 10× the data, repeat views
and the first view after the results change.

    .venv/bin/python bench/pages.py                 # both scales: parindex_b1, parindex_b10
    .venv/bin/python bench/pages.py --scales 1
    .venv/bin/python bench/pages.py --scales 1,10 --database 1=NAME --database 10=NAME

For each scale (its database seeded with `seed_demo --scale N` when empty, every index
computed when it has no results, and `par-2024` and `sipas-2024` published once when
never published, for the public pages), a reviewer asks for the pages through Django's
test client in-process, with DEBUG off as in production: the whole request —
middleware, session and user, the view's queries and the template — is timed and its
queries counted (CaptureQueriesContext).

Two figures per page, each the median of --repeat requests:

- repeat view: the same page again, after a warm-up (whatever the page keeps in the
  cache is there);
- first view after the results change: before each request, one submission of
  province 01 is excluded, or counted again, through the service a reviewer's exclusion
  uses (its answers leave or rejoin the tallies and the province's results are
  refreshed, as after a fold). The change alternates, so the data ends as it began.
  The public pages show published numbers, which change with a publication, not with
  the results: for them the cache is emptied as well, which is what the first visitor
  after a publication (or after a cache entry's ten minutes) finds.

Queries are those of the median request; a signed-in session also writes its
last-activity time once a minute (three more queries), shown as "(N once)".

Side by side, the log-in page (a small form through the same middleware) is timed as
the floor of any page on this machine at this moment.

Targets of issues #7 and #19: ≤ 10 queries and ≤ 50 ms at 1× and 10×, first views too.
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
FLOOR = "log-in page (floor)"


def measure(database: str, scale: int, repeat: int) -> dict:
    """In a process of its own (one database per process): the figures of one scale."""
    os.environ.update({"DJANGO_DEBUG": "false", "DJANGO_SECRET_KEY": "bench-" + "x" * 60,
                       "DJANGO_SECURE_SSL_REDIRECT": "false", "DJANGO_SECURE_COOKIES": "false",
                       "DJANGO_ALLOWED_HOSTS": "testserver"})
    from _common import ensure_seeded, setup_django

    setup_django(database)
    ensure_seeded(scale)
    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from scoring.models import Index, NodeResult, Role, StaffRole
    from scoring.services import outbox
    from scoring.services.publishing import publish_index
    from scoring.services.quality import set_excluded
    from surveys.models import Submission

    call_command("collectstatic", "--noinput", verbosity=0)
    for index in Index.objects.all():
        if not NodeResult.objects.filter(index=index).exists():
            print(f"computing {index.code}…", file=sys.stderr, flush=True)
            call_command("compute_scores", index=index.code, verbosity=0)
    user, _ = get_user_model().objects.get_or_create(username="bench-reviewer")
    StaffRole.objects.update_or_create(user=user, defaults={"role": Role.REVIEWER})
    admin, _ = get_user_model().objects.get_or_create(username="bench-administrator")
    StaffRole.objects.update_or_create(user=admin, defaults={"role": Role.ADMINISTRATOR})
    codes = ("par-2024", "sipas-2024")
    for code in codes:
        index = Index.objects.get(code=code)
        if not index.publications.exists():
            publish_index(index=index, user=user, note="benchmark of the public pages")
    with connection.cursor() as cursor:
        # as autovacuum would soon after the writes above (it is off on the development
        # server): unanalyzed, the new published results were read through the wrong index
        cursor.execute("ANALYZE")
    client, administrator, anonymous = Client(), Client(), Client()
    client.force_login(user)
    administrator.force_login(admin)

    # The submission whose exclusion changes the results: one of province 01 in the
    # questionnaire read by the most of the indices measured.
    indices = {Index.objects.get(code=code).pk for code in codes}
    readers = outbox.indices_of(Submission.objects.values_list("questionnaire_id", flat=True)
                                .distinct())
    questionnaire = max(readers, key=lambda q: (len(readers[q] & indices), -q))
    province = Index.objects.get(code=codes[0]).province_set.provinces.order_by("code").first()
    changed = (Submission.objects.filter(questionnaire_id=questionnaire, province=province,
                                         counted_at__isnull=False).order_by("pk").first())

    def change_results() -> None:
        set_excluded(submission=changed, excluded=not changed.excluded, user=user,
                     note="benchmark: the first view after a change")

    pages: dict[str, tuple] = {}
    for code in codes:
        current = "?version=current"
        pages[f"{code} ranking"] = (client, reverse("scoring:ranking", args=[code]))
        pages[f"{code} province {province.code} (current results)"] = (
            client, reverse("scoring:province", args=[code, province.code]) + current)
        pages[f"{code} province {province.code} (published)"] = (
            client, reverse("scoring:province", args=[code, province.code]))
        pages[f"{code} quality"] = (client, reverse("scoring:quality", args=[code]))
        pages[f"{code} precision"] = (client, reverse("scoring:precision", args=[code]))
        pages[f"{code} sensitivity"] = (client, reverse("scoring:sensitivity", args=[code]))
        pages[f"{code} index audit"] = (client, reverse("scoring:index-audit", args=[code]))
        pages[f"public {code} ranking"] = (anonymous, reverse("results:ranking", args=[code]))
        pages[f"public {code} province {province.code}"] = (
            anonymous, reverse("results:province", args=[code, province.code]))
    pages["review home"] = (client, reverse("scoring:review"))
    pages["monitoring 2024"] = (client, reverse("scoring:monitoring", args=[2024]))
    pages["audit log (administrator)"] = (administrator, reverse("scoring:audit"))
    pages["public results list"] = (anonymous, reverse("results:list"))
    pages[FLOOR] = (anonymous, reverse("login"))
    out: dict = {"submissions": 0, "pages": {}}
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM surveys_submission")
        out["submissions"] = cursor.fetchone()[0]

    def timed_get(who, url) -> tuple[float, int]:
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = who.get(url)
            took = time.perf_counter() - started
        assert response.status_code == 200, (url, response.status_code)
        return took, len(captured.captured_queries)

    for name, (who, url) in pages.items():
        response = who.get(url)  # warm-up: templates, translations, caches
        assert response.status_code == 200, (url, response.status_code)
        repeat_views = [timed_get(who, url) for _ in range(repeat)]
        first_views = []
        for _ in range(repeat):
            change_results()
            if who is anonymous:  # the public pages: as after a publication
                cache.clear()
            first_views.append(timed_get(who, url))
        out["pages"][name] = {"url": url, **{
            f"{kind}_{figure}": value for kind, views in (("repeat", repeat_views),
                                                          ("first", first_views))
            for figure, value in (("ms", median([t for t, _ in views]) * 1000),
                                  ("max_ms", max(t for t, _ in views) * 1000),
                                  ("queries", int(median([q for _, q in views]))),
                                  ("max_queries", max(q for _, q in views)))}}
        print(f"{name}: {out['pages'][name]}", file=sys.stderr, flush=True)
    if changed.excluded:  # leave the data as it was
        set_excluded(submission=changed, excluded=False, user=user, note="benchmark: restored")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="1,10", help="comma-separated: 1, 10 or 1,10")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--database", action="append", default=[], metavar="SCALE=NAME",
                        help="the database of a scale (default parindex_b1, parindex_b10)")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--one-database", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one_database, args.one, args.repeat)))
        return 0
    databases = {**DATABASES, **{int(scale): name for scale, name in
                                 (given.split("=", 1) for given in args.database)}}
    rows = []
    for scale in (int(s) for s in args.scales.split(",")):
        result = subprocess.run([PYTHON, __file__, "--one", str(scale), "--one-database",
                                 databases[scale], "--repeat", str(args.repeat)],
                                check=True, stdout=subprocess.PIPE, text=True)
        figures = json.loads(result.stdout.strip().splitlines()[-1])
        floor = figures["pages"][FLOOR]["repeat_ms"]
        for name, page in figures["pages"].items():
            is_floor = name == FLOOR
            for kind, label in (("repeat", "repeat view"), ("first", "first view after a change")):
                ms, queries = page[f"{kind}_ms"], page[f"{kind}_queries"]
                most = page[f"{kind}_max_queries"]
                rows.append(Row(
                    f"{scale}× ({figures['submissions']:,} submissions): {name}, {label}",
                    f"{queries} queries{f' ({most} once)' if most != queries else ''}, "
                    f"{ms:.1f} ms median (max {page[f'{kind}_max_ms']:.0f}), "
                    f"{ms / floor:.1f} × the log-in page",
                    "" if is_floor else f"≤ {MAX_QUERIES} queries, ≤ {MAX_MS:g} ms",
                    None if is_floor else queries <= MAX_QUERIES and ms <= MAX_MS))
    table(f"Review and public pages ({stamp()}, {machine()})", rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""manage.py compute_scores --index CODE | --all: full recompute, through the queue if any."""

import time

from django.core.management.base import BaseCommand, CommandError

from config.celery import app
from scoring.models import Index, Recompute
from scoring.services.results import start_recompute
from scoring.tasks import recompute_index_task


class Command(BaseCommand):
    help = ("Bring every province's results of an index up to date from the raw answers; "
            "runs on the Celery worker when a broker is configured and waits for it.")

    def add_arguments(self, parser):
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--index", help="index code, e.g. par-2024")
        target.add_argument("--all", action="store_true", help="every loaded index")
        parser.add_argument("--timeout", type=float, default=3600.0,
                            help="seconds to wait for the worker (default 3600)")

    def handle(self, *args, **options):
        if options["all"]:
            indices = list(Index.objects.order_by("year", "code"))
        else:
            indices = list(Index.objects.filter(code=options["index"]))
            if not indices:
                known = ", ".join(Index.objects.values_list("code", flat=True)) or "none"
                raise CommandError(f"unknown index {options['index']!r} (loaded: {known})")
        for index in indices:
            self._compute(index, options["timeout"])

    def _compute(self, index, timeout):
        started = time.monotonic()
        recompute = start_recompute(index=index, via="command")
        queued = not app.conf.task_always_eager
        if queued:
            self.stdout.write(f"{index.code}: queued for the worker…")
        recompute_index_task.delay(recompute.pk)
        last = -1
        while True:
            recompute.refresh_from_db()
            if recompute.progress != last and queued:
                self.stdout.write(f"{index.code}: {recompute.progress}%")
                last = recompute.progress
            if recompute.status == Recompute.Status.DONE:
                break
            if recompute.status == Recompute.Status.FAILED:
                raise CommandError(f"{index.code}: the recompute failed; see the worker's log")
            if time.monotonic() - started > timeout:
                raise CommandError(f"{index.code}: no result after {timeout:.0f} s; "
                                   "is a worker running (celery -A config worker)?")
            time.sleep(0.2)
        inputs = recompute.inputs
        self.stdout.write(self.style.SUCCESS(
            f"{index.code}: computed in {time.monotonic() - started:.2f} s from "
            f"{inputs['submissions_counted']:,} submissions, "
            f"{inputs['answers_tallied']:,} tallied answers and "
            f"{inputs['assessments']:,} assessments"))

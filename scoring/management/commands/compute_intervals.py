"""manage.py compute_intervals --index CODE [--replicates N] [--seed S]: bootstrap intervals."""

import time

from django.core.management.base import BaseCommand, CommandError

from config.celery import app
from scoring.models import Index, Interval, RankInterval, Replicate, UncertaintyRun
from scoring.services import uncertainty
from scoring.tasks import bootstrap_index_task


class Command(BaseCommand):
    help = ("95 % intervals of every survey-based number (Rao–Wu bootstrap of the sampling "
            "units or respondents within each province; Wilson for small samples) and rank "
            "intervals of an index; runs on the Celery workers when a broker is configured "
            "and waits for them.")

    def add_arguments(self, parser):
        parser.add_argument("--index", required=True)
        parser.add_argument("--replicates", type=int, default=uncertainty.DEFAULT_REPLICATES)
        parser.add_argument("--seed", type=int, default=uncertainty.DEFAULT_SEED)
        parser.add_argument("--chunk-replicates", type=int,
                            default=uncertainty.CHUNK_REPLICATES,
                            help="replicates per task (the result does not depend on it)")
        parser.add_argument("--chunk-provinces", type=int,
                            default=uncertainty.CHUNK_PROVINCES,
                            help="provinces per task (the result does not depend on it)")
        parser.add_argument("--timeout", type=float, default=3600.0)

    def handle(self, *args, **options):
        index = Index.objects.filter(code=options["index"]).first()
        if index is None:
            known = ", ".join(Index.objects.values_list("code", flat=True)) or "none"
            raise CommandError(f"unknown index {options['index']!r} (loaded: {known})")
        if options["chunk_replicates"] < 1 or options["chunk_provinces"] < 1:
            raise CommandError("chunk sizes must be at least 1")
        if not index.results.exists():
            raise CommandError(f"{index.code} has no results yet: run compute_scores first")
        try:
            run = uncertainty.start_run(index=index, seed=options["seed"],
                                        replicates=options["replicates"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        started = time.monotonic()
        expected = run.replicates * index.province_set.provinces.count()
        if not app.conf.task_always_eager:
            self.stdout.write(f"{index.code}: {expected:,} replicates queued for the workers…")
        bootstrap_index_task.delay(run.pk, options["chunk_replicates"],
                                   options["chunk_provinces"])
        last = -1
        while True:
            run.refresh_from_db()
            if run.status == UncertaintyRun.Status.DONE:
                break
            done = Replicate.objects.filter(run=run).count()
            percent = 100 * done // expected
            if percent != last:
                self.stdout.write(f"{index.code}: {percent}% of replicates")
                last = percent
            if time.monotonic() - started > options["timeout"]:
                raise CommandError(f"{index.code}: not finished after {options['timeout']:.0f} s;"
                                   " is a worker running (celery -A config worker)?")
            time.sleep(0.5)
        self.stdout.write(self.style.SUCCESS(
            f"{index.code}: run {run.pk} (seed {run.seed}, {run.replicates} replicates) done in "
            f"{time.monotonic() - started:.1f} s: "
            f"{Interval.objects.filter(run=run).count():,} intervals, "
            f"{RankInterval.objects.filter(run=run).count()} rank intervals"))

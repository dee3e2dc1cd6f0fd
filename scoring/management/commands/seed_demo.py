"""manage.py seed_demo [--scale S] [--seed N]: a reproducible synthetic national dataset."""

import time

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from scoring.services.demo import seed_demo
from surveys.models import Submission


class Command(BaseCommand):
    help = ("Replace the demo data with synthetic submissions (S=1: the 2024 survey's size, "
            "36,525 citizen + 49,159 official) and appraisal scores for every province.")

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=float, default=1.0)
        parser.add_argument("--seed", type=int, default=2024)
        parser.add_argument("--issues", type=float, default=0.0,
                            help="share of submissions made suspect on purpose (speeders, "
                                 "straight-liners, copies, copies with one answer changed), "
                                 "e.g. 0.03")
        parser.add_argument("--if-empty", action="store_true",
                            help="do nothing when submissions are already stored")

    def handle(self, *args, **options):
        if not 0 < options["scale"] <= 20:
            raise CommandError("--scale must be above 0 and at most 20")
        if not 0 <= options["issues"] <= 0.5:
            raise CommandError("--issues must be from 0 to 0.5")
        if options["if_empty"] and Submission.objects.exists():
            self.stdout.write("submissions are already stored; the demo data is left as it is")
            return
        started = time.monotonic()
        call_command("load_definitions", stdout=self.stdout, stderr=self.stderr)
        counts = seed_demo(scale=options["scale"], seed=options["seed"],
                           issues=options["issues"],
                           progress=lambda line: self.stdout.write(line))
        self.stdout.write(self.style.SUCCESS(
            f"seeded {sum(counts.values()):,} submissions in {time.monotonic() - started:.1f} s"))

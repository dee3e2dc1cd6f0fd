"""manage.py flag_submissions --questionnaire CODE | --all: find doubtful submissions afresh."""

from django.core.management.base import BaseCommand, CommandError

from scoring.services.demo import demo_recall
from scoring.services.quality import check_questionnaire
from surveys.models import Questionnaire


class Command(BaseCommand):
    help = ("Flag speeders, straight-liners and near-duplicates of a questionnaire (the flags "
            "found before are replaced); flagged submissions still count until excluded.")

    def add_arguments(self, parser):
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--questionnaire", help="questionnaire code, e.g. sipas-2024")
        target.add_argument("--all", action="store_true", help="every questionnaire")
        parser.add_argument("--measure", action="store_true",
                            help="then print the recall of the problems seed_demo --issues "
                                 "injected and the share of clean demo submissions flagged")

    def handle(self, *args, **options):
        if options["all"]:
            questionnaires = list(Questionnaire.objects.order_by("-year", "code"))
        else:
            questionnaires = list(Questionnaire.objects.filter(code=options["questionnaire"]))
            if not questionnaires:
                raise CommandError(f"unknown questionnaire {options['questionnaire']!r}")
        for questionnaire in questionnaires:
            counts = check_questionnaire(questionnaire)
            total = questionnaire.submissions.count()
            parts = ", ".join(f"{n:,} {reason.replace('_', '-')}s" for reason, n in
                              counts.items())
            self.stdout.write(f"{questionnaire.code}: {total:,} submissions; {parts}")
        if options["measure"]:
            self._measure()

    def _measure(self):
        r = demo_recall()
        for kind, n in r.injected.items():
            self.stdout.write(f"injected {kind}: {r.found[kind]:,} of {n:,} found")
        self.stdout.write(f"recall {r.recall:.4f}; clean submissions flagged: "
                          f"{r.clean_flagged_any:,} of {r.clean:,} "
                          f"({100 * r.false_positive_rate:.2f} %)"
                          + "".join(f"; {reason} {n:,}" for reason, n in
                                    r.clean_flagged.items()))

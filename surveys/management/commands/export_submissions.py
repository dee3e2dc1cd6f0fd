"""manage.py export_submissions --questionnaire CODE [-o FILE]: raw answers, streamed as CSV."""

import sys

from django.core.management.base import BaseCommand, CommandError

from surveys.exports import submission_rows
from surveys.models import Questionnaire


class Command(BaseCommand):
    help = ("Stream every submission of a questionnaire as CSV (one row each, multi-choice as "
            "1|3). Citizens' rows show the date only; formula-like text is neutralised.")

    def add_arguments(self, parser):
        parser.add_argument("--questionnaire", required=True)
        parser.add_argument("-o", "--output")

    def handle(self, *args, **options):
        questionnaire = Questionnaire.objects.filter(code=options["questionnaire"]).first()
        if questionnaire is None:
            raise CommandError(f"unknown questionnaire {options['questionnaire']!r}")
        out = open(options["output"], "w", encoding="utf-8", newline="") \
            if options["output"] else sys.stdout
        try:
            for line in submission_rows(questionnaire):
                out.write(line)
        finally:
            if options["output"]:
                out.close()

"""manage.py load_population FILE --questionnaire CODE: population counts for the FPC."""

from django.core.management.base import BaseCommand, CommandError

from scoring.services.weights import load_population
from surveys.imports import FileInvalid
from surveys.management.commands._loading import read_bytes, report_problems
from surveys.models import Questionnaire


class Command(BaseCommand):
    help = ("Replace a questionnaire's population counts per province (CSV: province_code, "
            "count), used for the finite-population correction of the intervals; a bad row "
            "rejects the whole file.")

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--questionnaire", required=True)

    def handle(self, *args, **options):
        path = options["file"]
        questionnaire = Questionnaire.objects.filter(code=options["questionnaire"]).first()
        if questionnaire is None:
            raise CommandError(f"unknown questionnaire {options['questionnaire']!r}")
        data = read_bytes(path)
        try:
            n = load_population(questionnaire=questionnaire, data=data)
        except FileInvalid as exc:
            raise report_problems(self, path, exc.problems) from exc
        self.stdout.write(f"{path}: {n:,} population counts stored for {questionnaire.code}")

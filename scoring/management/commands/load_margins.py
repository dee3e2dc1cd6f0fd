"""manage.py load_margins FILE --questionnaire CODE: population shares for survey weights."""

from django.core.management.base import BaseCommand, CommandError

from scoring.services.weights import load_margins
from surveys.imports import FileInvalid
from surveys.management.commands._loading import read_bytes, report_problems
from surveys.models import Questionnaire


class Command(BaseCommand):
    help = ("Replace a questionnaire's population margins (CSV: province_code, question_code, "
            "value, share); a bad row rejects the whole file.")

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
            n = load_margins(questionnaire=questionnaire, data=data)
        except FileInvalid as exc:
            raise report_problems(self, path, exc.problems) from exc
        self.stdout.write(f"{path}: {n:,} margins stored for {questionnaire.code}")

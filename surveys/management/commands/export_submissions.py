"""manage.py export_submissions --questionnaire CODE [-o FILE]: raw answers, streamed as CSV."""

from django.core.management.base import BaseCommand, CommandError

from surveys.exports import submission_rows
from surveys.management.commands._loading import open_output
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
        with open_output(options["output"]) as out:
            for line in submission_rows(questionnaire):
                out.write(line)

"""manage.py import_submissions FILE --questionnaire CODE (spec §8): all or nothing."""

from django.core.management.base import BaseCommand, CommandError

from surveys.imports import FileInvalid, import_submissions
from surveys.management.commands._loading import read_bytes, report_problems
from surveys.models import Questionnaire
from surveys.services import SubmissionConflict


class Command(BaseCommand):
    help = "Import submissions from a CSV file; any bad cell rejects the whole file."

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
            outcome = import_submissions(questionnaire=questionnaire, data=data)
        except FileInvalid as exc:
            raise report_problems(self, path, exc.problems) from exc
        except SubmissionConflict as exc:
            raise CommandError(f"{path} rejected: {exc}; nothing was written") from exc
        self.stdout.write(f"{path}: {outcome.rows:,} rows, {outcome.created:,} new submissions, "
                          f"{outcome.already_present:,} already present")

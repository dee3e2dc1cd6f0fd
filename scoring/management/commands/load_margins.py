"""manage.py load_margins FILE --questionnaire CODE [--bounds L,U]: shares for survey weights."""

from django.core.management.base import BaseCommand, CommandError

from scoring.services.weights import load_margins
from scoring.weighting import Bounds
from surveys.imports import FileInvalid
from surveys.management.commands._loading import read_bytes, report_problems
from surveys.models import Questionnaire


class Command(BaseCommand):
    help = ("Replace a questionnaire's population margins (CSV: province_code, question_code, "
            "value, share) and the bounds of its weights; a bad row rejects the whole file.")

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--questionnaire", required=True)
        parser.add_argument(
            "--bounds", metavar="LOWER,UPPER",
            help="keep every weight within LOWER and UPPER times the province's mean weight "
                 "(such as 0.2,6); without it the weights are unbounded")

    def handle(self, *args, **options):
        path = options["file"]
        questionnaire = Questionnaire.objects.filter(code=options["questionnaire"]).first()
        if questionnaire is None:
            raise CommandError(f"unknown questionnaire {options['questionnaire']!r}")
        bounds = None
        if options["bounds"] is not None:
            try:
                bounds = Bounds.parse(options["bounds"])
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
        data = read_bytes(path)
        try:
            n = load_margins(questionnaire=questionnaire, data=data, bounds=bounds)
        except FileInvalid as exc:
            raise report_problems(self, path, exc.problems) from exc
        within = (f"weights within {bounds} × the mean weight" if bounds
                  else "weights unbounded")
        self.stdout.write(f"{path}: {n:,} margins stored for {questionnaire.code}, {within}")

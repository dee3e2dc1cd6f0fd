"""manage.py load_margins FILE --questionnaire CODE [--bounds L,U]: shares for survey weights."""

from django.core.management.base import CommandError

from scoring.rules.weighting import Bounds
from scoring.services.weights import load_margins
from surveys.management.commands._loading import FileCommand


class Command(FileCommand):
    help = ("Replace a questionnaire's population margins (CSV: province_code, question_code, "
            "value, share) and the bounds of its weights; a bad row rejects the whole file.")

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--bounds", metavar="LOWER,UPPER",
            help="keep every weight within LOWER and UPPER times the province's mean weight "
                 "(such as 0.2,6); without it the weights are unbounded")

    def load(self, owner, data, **options):
        bounds = None
        if options["bounds"] is not None:
            try:
                bounds = Bounds.parse(options["bounds"])
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
        n = load_margins(questionnaire=owner, data=data, bounds=bounds)
        within = (f"weights within {bounds} × the mean weight" if bounds
                  else "weights unbounded")
        return f"{n:,} margins stored for {owner.code}, {within}"

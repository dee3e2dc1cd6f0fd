"""manage.py compute_weights --index CODE: post-stratification weights and weighted SIPAS."""

from django.core.management.base import BaseCommand, CommandError

from scoring.engine import round2
from scoring.models import Index, WeightedResult
from scoring.services.weights import compute_weights


def _two(value) -> str:
    return "–" if value is None else f"{round2(value):.2f}"


class Command(BaseCommand):
    help = ("Rake each province's respondents to its population margins (load_margins), then "
            "store the weighted SIPAS, Kish's effective sample size and the margin of error.")

    def add_arguments(self, parser):
        parser.add_argument("--index", required=True)

    def handle(self, *args, **options):
        index = Index.objects.filter(code=options["index"]).first()
        if index is None:
            raise CommandError(f"unknown index {options['index']!r}")
        try:
            notes = compute_weights(index=index)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        for note in notes:
            self.stdout.write(f"  {note}")
        shown = WeightedResult.objects.filter(index=index).order_by("province__code")
        for r in shown[:3]:
            self.stdout.write(
                f"  {r.province.code}: weighted {_two(r.weighted)} (unweighted "
                f"{_two(r.unweighted)}), n {r.respondents}, n_eff {r.effective_size}, "
                f"±{_two(r.margin_of_error)}")
        self.stdout.write(self.style.SUCCESS(
            f"{index.code}: {shown.count()} provinces weighted"))

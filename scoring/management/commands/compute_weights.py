"""manage.py compute_weights --index CODE: post-stratification weights and weighted SIPAS."""

from decimal import Decimal

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Max, Min, Sum

from scoring.models import Index, WeightedResult
from scoring.rules.engine import round2
from scoring.services.weights import compute_weights


def _two(value) -> str:
    return "–" if value is None else f"{round2(value):.2f}"


def _four(value) -> str:
    return "–" if value is None else f"{Decimal(value):.4f}"


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
                f"±{_two(r.margin_of_error)}, weights {r.weight_low}–{r.weight_high} × the mean")
        totals = shown.aggregate(used=Sum("replicates"), left_out=Sum("replicates_left_out"),
                                 low=Min("weight_low"), high=Max("weight_high"),
                                 bound_low=Min("bound_low"), bound_high=Max("bound_high"))
        bounds = (f"bounds {totals['bound_low'].normalize():f}–"
                  f"{totals['bound_high'].normalize():f}"
                  if totals["bound_low"] is not None else "unbounded")
        self.stdout.write(
            f"  weights {_four(totals['low'])}–{_four(totals['high'])} × the province's mean "
            f"({bounds}); "
            f"weighted intervals from {totals['used'] or 0:,} replicates, "
            f"{totals['left_out'] or 0:,} left out (margins not met)")
        self.stdout.write(self.style.SUCCESS(
            f"{index.code}: {shown.count()} provinces weighted"))

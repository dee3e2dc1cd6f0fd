"""manage.py generate_codes: one-time codes for a citizens' survey link, as a CSV to print."""

from django.core.management.base import BaseCommand, CommandError

from surveys.distribution import code_rows, resolve_targets
from surveys.management.commands._loading import write_csv


class Command(BaseCommand):
    help = ("Generate N one-time codes per province for a citizens' questionnaire (from then "
            "on its link asks for a code) and write them as CSV "
            "(province_code,province_name,questionnaire,code,link).")

    def add_arguments(self, parser):
        parser.add_argument("--questionnaire", required=True)
        parser.add_argument("--province", action="append", default=[])
        parser.add_argument("--count", type=int, required=True)
        parser.add_argument("--psu", default="",
                            help="the sampling unit (e.g. commune code) every one is issued for")
        parser.add_argument("--stratum", default="", help="that unit's sampling stratum")
        parser.add_argument("-o", "--output")

    def handle(self, *args, **options):
        if not 1 <= options["count"] <= 100_000:
            raise CommandError("--count must be between 1 and 100000")
        questionnaire, provinces = resolve_targets(options["questionnaire"],
                                                   options["province"], audience="citizen")
        try:
            header, rows = code_rows(questionnaire, provinces, options["count"],
                                psu=options["psu"], stratum=options["stratum"])
        except ValueError as exc:  # a unit the questionnaire does not take: nothing issued
            raise CommandError(str(exc)) from exc
        write_csv(options["output"], header, rows)
        if options["output"]:
            self.stdout.write(f"{len(rows):,} codes written to {options['output']}")

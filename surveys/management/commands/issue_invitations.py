"""manage.py issue_invitations: invitation links for officials, as a CSV to distribute."""

from django.core.management.base import BaseCommand, CommandError

from surveys.distribution import invitation_rows, resolve_targets
from surveys.management.commands._loading import write_csv


class Command(BaseCommand):
    help = ("Issue N invitation links per province for an officials' questionnaire and write "
            "them as CSV (province_code,province_name,questionnaire,respondent_group,link). "
            "Only the tokens' hashes are stored: keep the file safe.")

    def add_arguments(self, parser):
        parser.add_argument("--questionnaire", required=True)
        parser.add_argument("--province", action="append", default=[],
                            help="province code; repeat, or leave out for every province")
        parser.add_argument("--count", type=int, required=True, help="links per province")
        parser.add_argument("--psu", default="",
                            help="the sampling unit (e.g. commune code) every one is issued for")
        parser.add_argument("--stratum", default="", help="that unit's sampling stratum")
        parser.add_argument("-o", "--output", help="CSV file (stdout when absent)")

    def handle(self, *args, **options):
        if not 1 <= options["count"] <= 10_000:
            raise CommandError("--count must be between 1 and 10000")
        questionnaire, provinces = resolve_targets(options["questionnaire"],
                                                   options["province"], audience="official")
        try:
            header, rows = invitation_rows(questionnaire, provinces, options["count"],
                                psu=options["psu"], stratum=options["stratum"])
        except ValueError as exc:  # a unit the questionnaire does not take: nothing issued
            raise CommandError(str(exc)) from exc
        write_csv(options["output"], header, rows)
        if options["output"]:
            self.stdout.write(f"{len(rows):,} links written to {options['output']}")

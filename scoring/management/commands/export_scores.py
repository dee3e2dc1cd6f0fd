"""manage.py export_scores --index CODE --level LEVEL [--format csv|xlsx] [-o FILE] (spec §8)."""

import sys

from django.core.management.base import BaseCommand, CommandError

from scoring.exports import write_xlsx
from scoring.models import Index
from scoring.precision import with_intervals
from scoring.selectors import export_rows
from surveys.spreadsheets import csv_text


class Command(BaseCommand):
    help = "Export stored scores of an index at one level as CSV (default) or XLSX."

    def add_arguments(self, parser):
        parser.add_argument("--index", required=True)
        parser.add_argument("--level", required=True,
                            help="par: total, area, criterion, component; "
                                 "sipas: total, part, element, item")
        parser.add_argument("--format", choices=["csv", "xlsx"], default="csv")
        parser.add_argument("-o", "--output", help="file to write (stdout when absent)")
        parser.add_argument("--with-intervals", action="store_true",
                            help="add the latest bootstrap's 95 %% intervals (compute_intervals)"
                                 "; totals also get rank intervals and data-quality counts")

    def handle(self, *args, **options):
        index = Index.objects.filter(code=options["index"]).first()
        if index is None:
            raise CommandError(f"unknown index {options['index']!r}")
        try:
            header, rows = export_rows(index, options["level"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if options["with_intervals"]:
            header, rows = with_intervals(index, options["level"], header, rows)
        if options["format"] == "xlsx":
            data = write_xlsx(header, rows, title=f"{index.code} {options['level']}")
            if options["output"]:
                with open(options["output"], "wb") as fh:
                    fh.write(data)
            else:
                sys.stdout.buffer.write(data)
            return
        text = csv_text(header, rows)
        if options["output"]:
            with open(options["output"], "w", encoding="utf-8", newline="") as fh:
                fh.write(text)
        else:
            self.stdout.write(text, ending="")

"""manage.py export_scores --index CODE --level LEVEL [--format csv|xlsx] [-o FILE]
[--published N] (spec §8, §10)."""

import sys

from django.core.management.base import BaseCommand, CommandError

from scoring.exports import scores_workbook
from scoring.models import Index
from scoring.selectors import export_rows, published_file
from scoring.selectors.precision import with_intervals
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
        parser.add_argument("--published", type=int, metavar="VERSION",
                            help="a published version's frozen file (spec §10) instead of the "
                                 "current computation")
        parser.add_argument("--with-intervals", action="store_true",
                            help="add the latest bootstrap's 95 %% intervals (compute_intervals)"
                                 "; totals also get rank intervals and data-quality counts")

    def handle(self, *args, **options):
        index = Index.objects.filter(code=options["index"]).first()
        if index is None:
            raise CommandError(f"unknown index {options['index']!r}")
        publication = None
        if options["published"] is not None:
            publication = index.publications.filter(version=options["published"]).first()
            if publication is None:
                versions = ", ".join(str(v) for v in index.publications.order_by("version")
                                     .values_list("version", flat=True)) or "none"
                raise CommandError(f"{index.code} has no published version "
                                   f"{options['published']} (published: {versions})")
            if options["with_intervals"]:
                raise CommandError("--with-intervals gives the current intervals; a published "
                                   "version's are in its total-intervals file")
        try:
            header, rows = export_rows(index, options["level"], publication=publication)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if options["with_intervals"]:
            header, rows = with_intervals(index, options["level"], header, rows)
        if publication is not None and options["format"] == "csv":
            # the frozen file itself, byte for byte
            text = published_file(publication, options["level"])
            if text is not None:
                self._write_text(text, options["output"])
                return
        if options["format"] == "xlsx":
            data = scores_workbook(index, options["level"], header, rows,
                                   title=f"{index.code} {options['level']}")
            if options["output"]:
                with open(options["output"], "wb") as fh:
                    fh.write(data)
            else:
                sys.stdout.buffer.write(data)
            return
        self._write_text(csv_text(header, rows), options["output"])

    def _write_text(self, text: str, output: str | None) -> None:
        if output:
            with open(output, "w", encoding="utf-8", newline="") as fh:
                fh.write(text)
        else:
            self.stdout.write(text, ending="")

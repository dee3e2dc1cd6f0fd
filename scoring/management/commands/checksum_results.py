"""manage.py checksum_results --index CODE | --all: one fingerprint of every stored result."""

from django.core.management.base import BaseCommand, CommandError

from scoring.models import Index
from scoring.selectors import results_checksum


class Command(BaseCommand):
    help = ("Print a SHA-256 of every stored result of an index (exact values, flags, answer "
            "counts): equal checksums mean equal results, whatever database computed them.")

    def add_arguments(self, parser):
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--index")
        target.add_argument("--all", action="store_true")

    def handle(self, *args, **options):
        indices = Index.objects.order_by("year", "code")
        if not options["all"]:
            indices = indices.filter(code=options["index"])
            if not indices:
                raise CommandError(f"unknown index {options['index']!r}")
        for index in indices:
            checksum, count = results_checksum(index)
            self.stdout.write(f"{index.code} {checksum} {count}")

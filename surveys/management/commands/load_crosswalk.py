"""manage.py load_crosswalk FILE: which unit of a later set each province became (spec §9)."""

from django.core.management.base import BaseCommand

from surveys.imports import FileInvalid
from surveys.management.commands._loading import read_bytes, report_problems
from surveys.provinces import load_crosswalk


class Command(BaseCommand):
    help = ("Load a crosswalk between two province sets (from_set,from_code,to_set,to_code,"
            "weight); every province mapped once, every unit reached; all or nothing.")

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, **options):
        path = options["file"]
        try:
            outcome = load_crosswalk(data=read_bytes(path))
        except FileInvalid as exc:
            raise report_problems(self, path, exc.problems) from exc
        self.stdout.write(f"crosswalk {outcome.code}: {outcome.status}")

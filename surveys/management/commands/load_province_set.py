"""manage.py load_province_set FILE: the provinces in force from a year on (spec §9)."""

from django.core.management.base import BaseCommand

from surveys.imports import FileInvalid
from surveys.management.commands._loading import read_bytes, report_problems
from surveys.provinces import load_province_set


class Command(BaseCommand):
    help = ("Load a province set (set_code,first_year,code,name_vi,name_en,region_code,"
            "region_vi,region_en); all or nothing; a set in use is frozen.")

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, **options):
        path = options["file"]
        try:
            outcome = load_province_set(data=read_bytes(path))
        except FileInvalid as exc:
            raise report_problems(self, path, exc.problems) from exc
        self.stdout.write(f"province set {outcome.code}: {outcome.status}")

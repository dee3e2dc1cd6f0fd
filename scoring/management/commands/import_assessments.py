"""manage.py import_assessments FILE --index CODE (spec §8): all or nothing, with history."""

from django.core.management.base import BaseCommand, CommandError

from scoring.models import Index
from scoring.services.assessments import import_assessments
from surveys.imports import FileInvalid
from surveys.management.commands._loading import read_bytes, report_problems


class Command(BaseCommand):
    help = ("Import self-assessed and appraised scores from a CSV file; any bad cell rejects "
            "the whole file. Every changed score is kept in the assessment's history.")

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--index", required=True)

    def handle(self, *args, **options):
        path = options["file"]
        index = Index.objects.filter(code=options["index"]).first()
        if index is None:
            raise CommandError(f"unknown index {options['index']!r}")
        data = read_bytes(path)
        try:
            outcome = import_assessments(index=index, data=data, via="import")
        except FileInvalid as exc:
            raise report_problems(self, path, exc.problems) from exc
        self.stdout.write(f"{path}: {outcome.rows:,} rows, {outcome.changed:,} scores changed")

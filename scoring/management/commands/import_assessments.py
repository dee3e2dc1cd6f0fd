"""manage.py import_assessments FILE --index CODE (spec §8): all or nothing, with history."""

from scoring.models import Index
from scoring.services.assessments import import_assessments
from surveys.management.commands._loading import FileCommand


class Command(FileCommand):
    help = ("Import self-assessed and appraised scores from a CSV file; any bad cell rejects "
            "the whole file. Every changed score is kept in the assessment's history.")
    owner_option, owner_model = "index", Index

    def load(self, owner, data, **options):
        outcome = import_assessments(index=owner, data=data, via="import")
        return f"{outcome.rows:,} rows, {outcome.changed:,} scores changed"

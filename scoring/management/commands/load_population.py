"""manage.py load_population FILE --questionnaire CODE: population counts for the FPC."""

from scoring.services.weights import load_population
from surveys.management.commands._loading import FileCommand


class Command(FileCommand):
    help = ("Replace a questionnaire's population counts per province (CSV: province_code, "
            "count), used for the finite-population correction of the intervals; a bad row "
            "rejects the whole file.")

    def load(self, owner, data, **options):
        n = load_population(questionnaire=owner, data=data)
        return f"{n:,} population counts stored for {owner.code}"

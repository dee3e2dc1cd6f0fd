"""manage.py load_index FILE: validate and store an index definition (spec §1)."""

from django.core.management.base import BaseCommand

from scoring.services.definitions import load_index
from surveys.definitions import DefinitionInvalid
from surveys.management.commands._loading import read_definition, report_invalid


class Command(BaseCommand):
    help = "Validate an index definition YAML file and store it; a bad file is rejected whole."

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, **options):
        path = options["file"]
        try:
            outcome = load_index(text=read_definition(path))
        except DefinitionInvalid as exc:
            raise report_invalid(self, path, exc) from exc
        self.stdout.write(f"index {outcome.code}: {outcome.status}")

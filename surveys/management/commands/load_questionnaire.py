"""manage.py load_questionnaire FILE: validate and store a questionnaire (spec §2)."""

from django.core.management.base import BaseCommand

from surveys.definitions import DefinitionInvalid
from surveys.management.commands._loading import read_definition, report_invalid
from surveys.services import load_questionnaire


class Command(BaseCommand):
    help = "Validate a questionnaire YAML file and store it; a bad file is rejected whole."

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, **options):
        path = options["file"]
        try:
            outcome = load_questionnaire(text=read_definition(path))
        except DefinitionInvalid as exc:
            raise report_invalid(self, path, exc) from exc
        self.stdout.write(f"questionnaire {outcome.code}: {outcome.status}")

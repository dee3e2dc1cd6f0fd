"""manage.py load_definitions: load the bundled questionnaires and indices from data/."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from scoring.services.definitions import load_index
from surveys.definitions import DefinitionInvalid
from surveys.management.commands._loading import read_definition, report_invalid
from surveys.services import load_questionnaire


class Command(BaseCommand):
    help = "Load every bundled questionnaire, then every bundled index definition."

    def add_arguments(self, parser):
        parser.add_argument("--data-dir", default=str(Path(settings.BASE_DIR) / "data"))

    def handle(self, *args, **options):
        data = Path(options["data_dir"])
        for folder, loader, noun in (
            ("questionnaires", load_questionnaire, "questionnaire"),
            ("indices", load_index, "index"),
        ):
            for path in sorted((data / folder).glob("*.yaml")):
                try:
                    outcome = loader(text=read_definition(str(path)))
                except DefinitionInvalid as exc:
                    raise report_invalid(self, str(path), exc) from exc
                self.stdout.write(f"{noun} {outcome.code}: {outcome.status}")

"""manage.py load_definitions: load the bundled questionnaires and indices from data/."""

import csv
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from scoring.services.definitions import load_index
from surveys.definitions import DefinitionInvalid
from surveys.management.commands._loading import read_definition, report_invalid
from surveys.models import Questionnaire
from surveys.services import load_questionnaire


class Command(BaseCommand):
    help = ("Load every bundled questionnaire, then every bundled index definition, then the "
            "sample-size targets in targets.csv.")

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
        targets = data / "targets.csv"
        if targets.exists():
            with targets.open(encoding="utf-8", newline="") as fh:
                for row in csv.DictReader(fh):
                    Questionnaire.objects.filter(code=row["questionnaire"]).update(
                        target_per_province=int(row["target_per_province"]))

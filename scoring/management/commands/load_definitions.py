"""manage.py load_definitions: load the bundled questionnaires and indices from data/."""

import csv
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from scoring.services.definitions import load_index
from surveys.definitions import DefinitionInvalid
from surveys.imports import FileInvalid
from surveys.management.commands._loading import (
    read_bytes,
    read_definition,
    report_invalid,
    report_problems,
)
from surveys.models import Questionnaire
from surveys.provinces import load_crosswalk, load_province_set
from surveys.services import load_questionnaire


class Command(BaseCommand):
    help = ("Load the bundled province sets and crosswalks, then every bundled questionnaire, "
            "then every bundled index definition, then the sample-size targets and fieldwork "
            "closing dates in targets.csv.")

    def add_arguments(self, parser):
        parser.add_argument("--data-dir", default=str(Path(settings.BASE_DIR) / "data"))

    def handle(self, *args, **options):
        data = Path(options["data_dir"])
        self._provinces(data / "provinces")
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
                rows = [(row["questionnaire"], int(row["target_per_province"]),
                         _closing_moment(row.get("closes_at") or "", targets, line))
                        for line, row in enumerate(csv.DictReader(fh), start=2)]
            with transaction.atomic():
                for code, target, closes_at in rows:
                    Questionnaire.objects.filter(code=code).update(
                        target_per_province=target, closes_at=closes_at)

    def _provinces(self, folder: Path) -> None:
        """Province set files (a `set_code` column) first, then crosswalks (`from_set`).

        vn-63-2024.csv, the 63 provinces to 2024, is loaded by a migration.
        """
        files: dict[str, list[Path]] = {"set": [], "crosswalk": []}
        for path in sorted(folder.glob("*.csv")):
            header = next((line for line in path.read_text(encoding="utf-8-sig").splitlines()
                           if line.strip() and not line.lstrip().startswith("#")), "")
            columns = header.split(",")
            if "set_code" in columns:
                files["set"].append(path)
            elif "from_set" in columns:
                files["crosswalk"].append(path)
        for kind, loader in (("set", load_province_set), ("crosswalk", load_crosswalk)):
            for path in files[kind]:
                try:
                    outcome = loader(data=read_bytes(str(path)))
                except FileInvalid as exc:
                    raise report_problems(self, str(path), exc.problems) from exc
                noun = "province set" if kind == "set" else "crosswalk"
                self.stdout.write(f"{noun} {outcome.code}: {outcome.status}")


def _closing_moment(text: str, path: Path, line: int) -> datetime | None:
    """The end of the closing date (its last day still takes answers), in the site's time
    zone; None for an empty cell: the questionnaire stays open."""
    if not text.strip():
        return None
    try:
        last_day = date.fromisoformat(text.strip())
    except ValueError as exc:
        raise CommandError(f"{path}, line {line}, column closes_at: {text!r} is not a date "
                           "(YYYY-MM-DD)") from exc
    return datetime.combine(last_day + timedelta(days=1), time.min,
                            tzinfo=ZoneInfo(settings.TIME_ZONE))

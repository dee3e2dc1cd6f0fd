"""Shared helpers of the commands that read and write files."""

import sys
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any, TextIO

from django.core.management.base import BaseCommand, CommandError

from surveys.definitions import DefinitionInvalid
from surveys.imports import FileInvalid
from surveys.models import Questionnaire
from surveys.spreadsheets import csv_text

MAX_DEFINITION_BYTES = 5 * 1024 * 1024


def read_definition(path: str) -> str:
    """Read a definition file as UTF-8 text, with a clear error otherwise."""
    try:
        size = Path(path).stat().st_size
        if size > MAX_DEFINITION_BYTES:
            raise CommandError(f"{path}: the file is {size:,} bytes; the limit is "
                               f"{MAX_DEFINITION_BYTES:,}")
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise CommandError(f"{path}: no such file") from exc
    except UnicodeDecodeError as exc:
        raise CommandError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc


def report_invalid(command: BaseCommand, path: str, exc: DefinitionInvalid) -> CommandError:
    """Print every problem on stderr and return the error that ends the command."""
    return report_problems(command, path, [str(p) for p in exc.problems])


def read_bytes(path: str) -> bytes:
    """Read an interchange file, with a clear error when it is not there."""
    try:
        return Path(path).read_bytes()
    except FileNotFoundError as exc:
        raise CommandError(f"{path}: no such file") from exc


def report_problems(command: BaseCommand, path: str, problems: list[str]) -> CommandError:
    """Print every problem of a rejected file on stderr; return the error that ends the command."""
    for problem in problems:
        command.stderr.write(f"{path}: {problem}")
    n = len(problems)
    return CommandError(f"{path} rejected: {n} problem{'s' if n != 1 else ''}; "
                        "nothing was written")


class FileCommand(BaseCommand):
    """A command that reads one interchange file into one service: all or nothing.

    `manage.py NAME FILE --OWNER CODE`: the file belongs to the `owner_model`
    row with that code (a questionnaire, an index); with `owner_option` None it
    stands alone (a province set, a crosswalk). Subclasses give `load`, which
    calls the service and returns the line that says what was stored (printed
    after the file's name when the file has an owner), or name the service
    (`loader`) and what it loads (`label`); a file the service rejects
    (FileInvalid, DefinitionInvalid) has every problem printed on stderr and
    ends the command with nothing written.
    """

    owner_option: str | None = "questionnaire"
    owner_model: type | None = None  # default: surveys.models.Questionnaire
    # A file that stands alone may just name its service (taking data=) and what it loads.
    loader: Callable[..., Any] | None = None
    label, data_keyword = "", "data"

    def add_arguments(self, parser):
        parser.add_argument("file")
        if self.owner_option:
            parser.add_argument(f"--{self.owner_option}", required=True)

    def read(self, path: str) -> Any:
        return read_bytes(path)

    def load(self, owner, data: Any, **options) -> str:
        if self.loader is None:
            raise NotImplementedError("a FileCommand gives load() or a loader")
        outcome = self.loader(**{self.data_keyword: data})
        return f"{self.label} {outcome.code}: {outcome.status}"

    def handle(self, *args, **options):
        path, owner = options["file"], None
        if self.owner_option:
            code = options[self.owner_option]
            owner = (self.owner_model or Questionnaire).objects.filter(code=code).first()
            if owner is None:
                raise CommandError(f"unknown {self.owner_option} {code!r}")
        data = self.read(path)
        try:
            summary = self.load(owner, data, **options)
        except (FileInvalid, DefinitionInvalid) as exc:
            raise report_problems(self, path, [str(p) for p in exc.problems]) from exc
        self.stdout.write(f"{path}: {summary}" if self.owner_option else summary)


def open_output(output: str | None) -> AbstractContextManager[TextIO]:
    """The named file opened for writing text, or standard output (left open) when none is."""
    if output:
        return open(output, "w", encoding="utf-8", newline="")
    return nullcontext(sys.stdout)


class DefinitionCommand(FileCommand):
    """`manage.py NAME FILE` for a definition file (YAML, UTF-8 text): its service takes text=."""

    owner_option, data_keyword = None, "text"

    def read(self, path: str) -> str:
        return read_definition(path)


def write_csv(output: str | None, header: list[str], rows: list[list]) -> None:
    """Write a header and rows as CSV to a file, or to standard output when none is named."""
    with open_output(output) as out:
        out.write(csv_text(header, rows))

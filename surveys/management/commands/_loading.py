"""Shared helpers of the commands that read and write files."""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from surveys.definitions import DefinitionInvalid
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


def write_csv(output: str | None, header: list[str], rows: list[list]) -> None:
    """Write a header and rows as CSV to a file, or to standard output when none is named."""
    out = open(output, "w", encoding="utf-8", newline="") if output else sys.stdout  # noqa: SIM115
    try:
        out.write(csv_text(header, rows))
    finally:
        if output:
            out.close()

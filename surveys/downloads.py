"""How every download leaves the product: one response for a file a spreadsheet may open.

The file's body comes from `surveys.spreadsheets` (the formula-safe writer); this
module only names it, types it by its extension and sends it as an attachment,
so each download view says what it sends, not how.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.http import HttpResponse, StreamingHttpResponse

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def attachment(content: str | bytes, filename: str) -> HttpResponse:
    """`content` as a download named `filename` (.csv or .xlsx)."""
    response = HttpResponse(content, content_type=CONTENT_TYPES[filename.rsplit(".", 1)[-1]])
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def streamed_attachment(lines: Iterable[str], filename: str) -> StreamingHttpResponse:
    """Lines of a large CSV, streamed as a download named `filename`."""
    response = StreamingHttpResponse(lines,
                                     content_type=CONTENT_TYPES[filename.rsplit(".", 1)[-1]])
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response

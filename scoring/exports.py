"""Export tables as XLSX, through the one formula-safe writer (surveys.spreadsheets)."""

from surveys.spreadsheets import Sheet, xlsx_bytes

NUMERIC = {"points", "max_points", "percent", "delta_points", "delta_percent", "ci_low",
           "ci_high"}
INTEGER = {"rank", "delta_rank", "valid_answers", "rank_median", "rank_low", "rank_high",
           "rank_group", "flagged_submissions", "excluded_submissions"}


def write_xlsx(header: list[str], rows: list[list], *, title: str) -> bytes:
    """One sheet: the header row, then the rows; number columns as numbers."""
    return xlsx_bytes([Sheet(title, header, rows, decimals=NUMERIC, integers=INTEGER)])

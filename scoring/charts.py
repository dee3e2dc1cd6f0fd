"""Charts as server-side SVG: no script, no internet, readable by screen readers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

BRAND = "#8b1e1e"
REFERENCE = "#1f2937"


def _num(value: Decimal | float | None) -> str:
    return "–" if value is None else f"{float(value):.2f}"


def bars(rows: Sequence[tuple[str, Decimal | None, Decimal | None]], *, title: str,
         value_label: str, reference_label: str, width: int = 640) -> SafeString:
    """Horizontal bars (0–100 %) with a marker for a reference value such as the national mean.

    rows: (label, value, reference).
    """
    row_h, label_w, right = 34, 230, 70
    height = 40 + row_h * len(rows)
    plot = width - label_w - right
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-labelledby="chart-title" class="chart" width="100%">',
        f'<title id="chart-title">{escape(title)}</title>',
        '<g font-size="12" font-family="system-ui, sans-serif">',
        f'<rect x="{label_w}" y="6" width="12" height="10" fill="{BRAND}"/>'
        f'<text x="{label_w + 16}" y="15">{escape(value_label)}</text>',
        f'<rect x="{label_w + 170}" y="4" width="3" height="14" fill="{REFERENCE}"/>'
        f'<text x="{label_w + 178}" y="15">{escape(reference_label)}</text>',
    ]
    for i, (label, value, reference) in enumerate(rows):
        y = 30 + i * row_h
        short = label if len(label) <= 34 else label[:33] + "…"
        parts.append(f'<text x="{label_w - 8}" y="{y + 17}" text-anchor="end">'
                     f'<title>{escape(label)}</title>{escape(short)}</text>')
        parts.append(f'<rect x="{label_w}" y="{y + 4}" width="{plot}" height="18" '
                     f'fill="#f1f1f1"/>')
        if value is not None:
            w = max(0.0, min(1.0, float(value) / 100)) * plot
            parts.append(f'<rect x="{label_w}" y="{y + 4}" width="{w:.1f}" height="18" '
                         f'fill="{BRAND}"><title>{escape(label)}: {_num(value)} %</title>'
                         f'</rect>')
        if reference is not None:
            x = label_w + max(0.0, min(1.0, float(reference) / 100)) * plot
            parts.append(f'<rect x="{x - 1.5:.1f}" y="{y}" width="3" height="26" '
                         f'fill="{REFERENCE}"><title>{escape(reference_label)}: '
                         f'{_num(reference)} %</title></rect>')
        parts.append(f'<text x="{label_w + plot + 6}" y="{y + 17}">{_num(value)}</text>')
    parts.append("</g></svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


def daily_line(days: Sequence[tuple[date, int]], *, title: str, width: int = 640,
               height: int = 160) -> SafeString:
    """Submissions per day as a line, for collection monitoring."""
    if not days:
        return mark_safe("")
    top = max(n for _, n in days) or 1
    left, bottom, pad = 40, 24, 8
    plot_w, plot_h = width - left - pad, height - bottom - pad
    step = plot_w / max(len(days) - 1, 1)
    points = " ".join(f"{left + i * step:.1f},{pad + plot_h * (1 - n / top):.1f}"
                      for i, (_, n) in enumerate(days))
    first, last = days[0][0], days[-1][0]
    return mark_safe(  # noqa: S308 - only numbers, dates and the escaped title
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="daily-title" class="chart" width="100%">'
        f'<title id="daily-title">{escape(title)}</title>'
        f'<g font-size="11" font-family="system-ui, sans-serif">'
        f'<line x1="{left}" y1="{pad + plot_h}" x2="{width - pad}" y2="{pad + plot_h}" '
        f'stroke="#999"/><text x="{left - 4}" y="{pad + 8}" text-anchor="end">{top}</text>'
        f'<text x="{left - 4}" y="{pad + plot_h}" text-anchor="end">0</text>'
        f'<polyline fill="none" stroke="{BRAND}" stroke-width="2" points="{points}"/>'
        f'<text x="{left}" y="{height - 6}">{first:%d/%m/%Y}</text>'
        f'<text x="{width - pad}" y="{height - 6}" text-anchor="end">{last:%d/%m/%Y}</text>'
        f"</g></svg>")

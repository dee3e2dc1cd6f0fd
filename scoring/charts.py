"""Charts as server-side SVG: no script, no internet, readable by screen readers."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

BRAND = "#8b1e1e"
REFERENCE = "#1f2937"


def _num(value: Decimal | float | None) -> str:
    """A number as the page's language writes it: 2 decimals, a decimal comma in Vietnamese."""
    if value is None:
        return "–"
    text = f"{float(value):.2f}"
    return text.replace(".", ",") if (get_language() or "vi")[:2] == "vi" else text


def _lines(label: str, width: int) -> list[str]:
    """A label broken into lines of at most `width` characters, at spaces."""
    lines, line = [], ""
    for word in label.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return [*lines, line] if line else lines


def bars(rows: Sequence[tuple[str, Decimal | None, Decimal | None]], *, title: str,
         value_label: str, reference_label: str, width: int = 720, row_height: int = 34,
         label_chars: int = 36) -> SafeString:
    """Horizontal bars (0–100 %) with a marker for a reference value such as the national mean.

    rows: (label, value, reference). Labels are wrapped onto as many lines as they need,
    never cut; each bar and marker carries its value as a tooltip, and the page gives the
    same numbers in a table.
    """
    label_w, right, line_h = 260, 70, 14
    wrapped = [_lines(label, label_chars) or [""] for label, _, _ in rows]
    heights = [max(row_height, 10 + line_h * len(lines)) for lines in wrapped]
    height = 40 + sum(heights)
    plot = width - label_w - right
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-labelledby="chart-title" class="chart" width="100%">',
        f'<title id="chart-title">{escape(title)}</title>',
        '<g font-size="12" font-family="system-ui, sans-serif">',
        f'<rect x="{label_w}" y="6" width="12" height="10" fill="{BRAND}"/>'
        f'<text x="{label_w + 16}" y="15">{escape(value_label)}</text>',
        f'<rect x="{label_w + 190}" y="4" width="3" height="14" fill="{REFERENCE}"/>'
        f'<text x="{label_w + 198}" y="15">{escape(reference_label)}</text>',
    ]
    y = 30
    for (label, value, reference), lines, row_h in zip(rows, wrapped, heights, strict=True):
        middle = y + row_h / 2
        first = middle - (len(lines) - 1) * line_h / 2 + 4
        spans = "".join(f'<tspan x="{label_w - 8}" y="{first + i * line_h:.1f}">'
                        f'{escape(text)}</tspan>' for i, text in enumerate(lines))
        parts.append(f'<text text-anchor="end"><title>{escape(label)}</title>{spans}</text>')
        bar_y = middle - 9
        parts.append(f'<rect x="{label_w}" y="{bar_y:.1f}" width="{plot}" height="18" '
                     f'fill="#f1f1f1"/>')
        if value is not None:
            w = max(0.0, min(1.0, float(value) / 100)) * plot
            parts.append(f'<rect x="{label_w}" y="{bar_y:.1f}" width="{w:.1f}" height="18" '
                         f'fill="{BRAND}"><title>{escape(label)}: {_num(value)} %</title>'
                         f'</rect>')
        if reference is not None:
            x = label_w + max(0.0, min(1.0, float(reference) / 100)) * plot
            parts.append(f'<rect x="{x - 1.5:.1f}" y="{bar_y - 4:.1f}" width="3" height="26" '
                         f'fill="{REFERENCE}"><title>{escape(reference_label)}: '
                         f'{_num(reference)} %</title></rect>')
        parts.append(f'<text x="{label_w + plot + 6}" y="{middle + 4:.1f}">{_num(value)}</text>')
        y += row_h
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


def intervals(rows: Sequence[tuple[str, Decimal | None, Decimal | None, Decimal | None]], *,
              title: str, unit: str, width: int = 720, row_height: int = 20) -> SafeString:
    """Each row's value as a dot on its interval (low to high), on one shared scale.

    rows: (label, value, low, high); rows without an interval show the dot alone.
    """
    known = [float(v) for _, value, low, high in rows for v in (value, low, high)
             if v is not None]
    if not known:
        return mark_safe("")
    lo, hi = math.floor(min(known)), math.ceil(max(known))
    if hi - lo < 1:
        lo, hi = lo - 1, hi + 1
    label_w, right = 260, 20
    plot = width - label_w - right
    height = 44 + row_height * len(rows)

    def x(value) -> float:
        return label_w + (float(value) - lo) / (hi - lo) * plot

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="intervals-title" class="chart" width="100%">',
        f'<title id="intervals-title">{escape(title)}</title>',
        '<g font-size="11" font-family="system-ui, sans-serif">',
        f'<text x="{label_w}" y="14">{_num(lo)} {escape(unit)}</text>',
        f'<text x="{label_w + plot}" y="14" text-anchor="end">{_num(hi)} {escape(unit)}</text>',
    ]
    for i, (label, value, low, high) in enumerate(rows):
        y = 30 + i * row_height + row_height / 2
        parts.append(f'<text x="{label_w - 8}" y="{y + 4:.1f}" text-anchor="end">'
                     f'{escape(label)}</text>')
        if low is not None and high is not None:
            parts.append(f'<line x1="{x(low):.1f}" y1="{y:.1f}" x2="{x(high):.1f}" '
                         f'y2="{y:.1f}" stroke="{REFERENCE}" stroke-width="2">'
                         f'<title>{escape(label)}: {_num(low)}–{_num(high)}</title></line>')
        if value is not None:
            parts.append(f'<circle cx="{x(value):.1f}" cy="{y:.1f}" r="4" fill="{BRAND}">'
                         f'<title>{escape(label)}: {_num(value)}</title></circle>')
    parts.append("</g></svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


def _diverging(r: float | None) -> str:
    """A cell's colour: white at 0, the brand red towards +1, blue towards −1, grey for none."""
    if r is None:
        return "#d9d9d9"
    end = (139, 30, 30) if r >= 0 else (31, 78, 160)
    t = min(1.0, abs(r))
    return "#" + "".join(f"{round(255 + (c - 255) * t):02x}" for c in end)


def heatmap(codes: Sequence[str], matrix: Sequence[Sequence[float | None]], *, title: str,
            names: dict[str, str] | None = None, width: int = 720) -> SafeString:
    """A correlation matrix as coloured cells (−1 blue, 0 white, +1 red), each with its value
    as a tooltip; the page gives the same numbers in a table."""
    n = len(codes)
    if not n:
        return mark_safe("")
    names = names or {}
    label_w, top, legend = 56, 56, 34
    cell = max(8.0, min(40.0, (width - label_w - 8) / n))
    height = top + cell * n + legend
    font = 10 if cell >= 14 else 8
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height:.0f}" '
        f'role="img" aria-labelledby="heatmap-title" class="chart" width="100%">',
        f'<title id="heatmap-title">{escape(title)}</title>',
        f'<g font-size="{font}" font-family="system-ui, sans-serif">',
    ]
    for i, code in enumerate(codes):
        x = label_w + i * cell + cell / 2
        y = top + i * cell + cell / 2
        parts.append(f'<text x="{x:.1f}" y="{top - 4}" text-anchor="start" '
                     f'transform="rotate(-60 {x:.1f} {top - 4})">{escape(code)}</text>')
        parts.append(f'<text x="{label_w - 4}" y="{y + font / 3:.1f}" text-anchor="end">'
                     f'<title>{escape(names.get(code, code))}</title>{escape(code)}</text>')
    for i, row in enumerate(matrix):
        for j, r in enumerate(row):
            label = f"{codes[i]} × {codes[j]}: {_num(r) if r is not None else '–'}"
            parts.append(f'<rect x="{label_w + j * cell:.1f}" y="{top + i * cell:.1f}" '
                         f'width="{cell:.1f}" height="{cell:.1f}" fill="{_diverging(r)}" '
                         f'stroke="#fff" stroke-width="0.5"><title>{escape(label)}</title></rect>')
    y = top + cell * n + 12
    for k, r in enumerate((-1.0, -0.5, 0.0, 0.5, 1.0)):
        x = label_w + k * 60
        parts.append(f'<rect x="{x}" y="{y:.1f}" width="14" height="12" fill="{_diverging(r)}" '
                     f'stroke="#999" stroke-width="0.5"/><text x="{x + 18}" y="{y + 10:.1f}">'
                     f'{_num(r)}</text>')
    parts.append("</g></svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped

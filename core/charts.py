"""Pictures of figures the pages already count: horizontal bars, a cumulative step line and a
heat map, drawn on the server as SVG (no script, no chart library, nothing from a CDN).

Each function takes plain data and returns markup ready for a template. The CSP forbids style
attributes, so colours and sizes are SVG presentation attributes (fill=, width=); the only CSS
(static/css/site.css, "charts") caps the width. Every picture is one `role="img"` with a summary
in its aria-label and <title>: its texts are drawing, not reading matter, and the page puts the
same figures beside it in a table for anyone who reads rather than looks. Meaning never rests on
colour alone: each bar and cell prints its figure, and shades come with a written key.

Every name drawn is escaped (they are learners', assessors' and units' names), and the viewBox
is 360 units wide with width 100%, so a picture fits a 390 px phone.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from django.utils.safestring import SafeString, mark_safe

WIDTH = 360
FONT = 'font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif"'
# Bootstrap's colours, chosen for contrast on white: text and axes at least 4.5:1, bars
# and their tracks' outlines at least 3:1 (WCAG 1.4.11).
TEXT = "#212529"
MUTED = "#495057"
BAR = "#0a58ca"
TRACK = "#e9ecef"
OUTLINE = "#6c757d"
# Heat map shades, lightest to darkest, and the text colour that reads on each.
SHADES = (
    ("#ffffff", TEXT),
    ("#cfe2ff", TEXT),
    ("#9ec5fe", TEXT),
    ("#0a58ca", "#ffffff"),
    ("#052c65", "#ffffff"),
)
NOTHING_YET = "Nothing to show yet."


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _short(text: str, limit: int) -> str:
    """A label cut to fit, with an ellipsis; the full text is in the bar's <title> and the table."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _svg(
    body: list[str], *, height: float, label: str, width: float = WIDTH, grid: bool = False
) -> SafeString:
    # A grid is drawn at its own size (its width in px, its cells a constant size), scaled
    # down only where the screen is narrower (site.css); other pictures fill their column.
    size, kind = (f"{width:g}", "chart chart-grid") if grid else ("100%", "chart")
    return mark_safe(  # noqa: S308 (every text and attribute in body went through _e)
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{kind}" role="img" '
        f'aria-label="{_e(label)}" viewBox="0 0 {width:g} {height:g}" width="{size}" {FONT}>'
        f"<title>{_e(label)}</title>{''.join(body)}</svg>"
    )


def nothing_yet(message: str = NOTHING_YET) -> SafeString:
    """A picture with nothing to draw says so, in words, where the picture would be."""
    return _svg(
        [
            f'<rect x="0.5" y="0.5" width="{WIDTH - 1}" height="39" fill="#f8f9fa" '
            f'stroke="{OUTLINE}" stroke-dasharray="4 3"/>',
            f'<text x="{WIDTH / 2:g}" y="25" text-anchor="middle" font-size="14" '
            f'fill="{TEXT}">{_e(message)}</text>',
        ],
        height=40,
        label=message,
    )


# ---------------------------------------------------------------- horizontal bars


@dataclass(frozen=True)
class Bar:
    """One bar: `value` drawn against `total` when given (the bar's own whole, shown as a
    track), else against the largest value of the chart. `figure` is the text printed beside it
    (by default "3" or "3 of 10")."""

    label: str
    value: int
    total: int | None = None
    figure: str = ""

    @property
    def text(self) -> str:
        if self.figure:
            return self.figure
        return f"{self.value:,}" if self.total is None else f"{self.value:,} of {self.total:,}"


ROW = 42
BAR_HEIGHT = 16


def bar_width(bar: Bar, largest: int) -> float:
    """The bar's length in the viewBox: in proportion to its total, or to the largest value."""
    whole = bar.total if bar.total is not None else largest
    if whole <= 0 or bar.value <= 0:
        return 0.0
    return round(WIDTH * min(bar.value, whole) / whole, 1)


def bar_chart(bars: Sequence[Bar], *, label: str, empty: str = NOTHING_YET) -> SafeString:
    """A horizontal bar per row, its label and figure above it. `label` summarises the whole
    picture for those who cannot see it; `empty` is said when there are no bars."""
    if not bars:
        return nothing_yet(empty)
    largest = max((bar.value for bar in bars), default=0)
    body: list[str] = []
    for index, bar in enumerate(bars):
        top = index * ROW
        width = bar_width(bar, largest)
        body.append(
            f"<g><title>{_e(bar.label)}: {_e(bar.text)}</title>"
            f'<text x="0" y="{top + 14}" font-size="13" fill="{TEXT}">'
            f"{_e(_short(bar.label, 40))}</text>"
            f'<text x="{WIDTH}" y="{top + 14}" font-size="13" fill="{TEXT}" text-anchor="end" '
            f'font-weight="600">{_e(bar.text)}</text>'
        )
        if bar.total is not None:
            # The whole, so a short bar reads as "a little of a lot", not "small".
            body.append(
                f'<rect x="0.5" y="{top + 20.5}" width="{WIDTH - 1}" height="{BAR_HEIGHT - 1}" '
                f'fill="{TRACK}" stroke="{OUTLINE}"/>'
            )
        if width:
            body.append(
                f'<rect class="chart-bar" x="0" y="{top + 20}" width="{width:g}" '
                f'height="{BAR_HEIGHT}" fill="{BAR}"/>'
            )
        body.append("</g>")
    return _svg(body, height=len(bars) * ROW, label=label)


# ---------------------------------------------------------------- a running total over time


# The site is written in British English ("3 December 2026", as the templates' "j F Y"): the
# names are spelt out here because a chart of years by month writes a date per point, and
# Django's date formatting costs some 30 microseconds a call.
MONTH_NAMES = (
    "",
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def long_date(day: datetime.date) -> str:
    """ "3 December 2026", as the templates write dates ("j F Y")."""
    return f"{day.day} {MONTH_NAMES[day.month]} {day.year}"


def step_chart(
    points: Sequence[tuple[datetime.date, int]],
    *,
    label: str,
    total: int | None = None,
    empty: str = NOTHING_YET,
) -> SafeString:
    """A running total as steps: one point per period (its first day, the total at its end),
    evenly spaced, so the caller gives every period, empty ones included. `total`, when given,
    is drawn as a dashed line: where the running total is headed."""
    if not points:
        return nothing_yet(empty)
    left, right, top, bottom = 40, 12, 14, 36
    height = 200
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    ceiling = max([value for _, value in points] + [total or 0, 1])

    def x(index: int) -> float:
        return round(
            left + (plot_w * index / (len(points) - 1) if len(points) > 1 else plot_w / 2), 1
        )

    def y(value: int) -> float:
        return round(top + plot_h * (1 - value / ceiling), 1)

    body = [
        # Axes, and the scale's bottom and top.
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="{OUTLINE}"/>',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{WIDTH - right}" y2="{top + plot_h}" '
        f'stroke="{OUTLINE}"/>',
        f'<text x="{left - 6}" y="{top + plot_h + 4}" font-size="12" fill="{MUTED}" '
        f'text-anchor="end">0</text>',
        f'<text x="{left - 6}" y="{top + 4}" font-size="12" fill="{MUTED}" '
        f'text-anchor="end">{ceiling:,}</text>',
    ]
    if total:
        body.append(
            f'<line x1="{left}" y1="{y(total)}" x2="{WIDTH - right}" y2="{y(total)}" '
            f'stroke="{MUTED}" stroke-dasharray="5 4"/>'
            f'<text x="{WIDTH - right}" y="{y(total) + 14}" font-size="12" fill="{MUTED}" '
            f'text-anchor="end">All {total:,}</text>'
        )
    path = f"M{x(0)},{y(points[0][1])}"
    for index in range(1, len(points)):
        path += f" H{x(index)} V{y(points[index][1])}"
    body.append(
        f'<path class="chart-line" d="{path}" fill="none" stroke="{BAR}" stroke-width="2.5"/>'
    )
    for index, (day, value) in enumerate(points):
        body.append(
            f'<circle cx="{x(index)}" cy="{y(value)}" r="3.5" fill="{BAR}">'
            f"<title>{_e(long_date(day))}: {value:,}</title></circle>"
        )
    first, last = points[0], points[-1]
    body.append(
        f'<text x="{left}" y="{height - 14}" font-size="12" fill="{MUTED}">'
        f"{_e(long_date(first[0]))}</text>"
    )
    if len(points) > 1:
        body.append(
            f'<text x="{WIDTH - right}" y="{height - 14}" font-size="12" fill="{MUTED}" '
            f'text-anchor="end">{_e(long_date(last[0]))}</text>'
        )
    # The latest figure, written at its point: the line's end is what the eye looks for.
    body.append(
        f'<text x="{min(x(len(points) - 1), WIDTH - right - 4)}" y="{max(y(last[1]) - 8, 11)}" '
        f'font-size="13" font-weight="600" fill="{TEXT}" text-anchor="end">{last[1]:,}</text>'
    )
    return _svg(body, height=height, label=label)


# ---------------------------------------------------------------- a heat map of counts


def shade(count: int, largest: int) -> tuple[str, str]:
    """(fill, text colour) for a count: white for none, then four steps up to the largest."""
    if count <= 0 or largest <= 0:
        return SHADES[0]
    step = min(len(SHADES) - 1, 1 + (count - 1) * (len(SHADES) - 1) // largest)
    return SHADES[step]


def heat_map(
    rows: Sequence[str],
    columns: Sequence[str],
    counts: Sequence[Sequence[int]],
    *,
    label: str,
    key: str = "Darker cells hold more; each cell prints its number.",
    empty: str = NOTHING_YET,
) -> SafeString:
    """A grid of counts, rows by columns, each cell shaded by its count with the count printed
    in it. Column headings are tilted and cut short; the table beside it has them in full."""
    if not rows or not columns:
        return nothing_yet(empty)
    label_w, cell_w, cell_h, head = 110, 40, 28, 64
    # Room on the right for the last heading, tilted up and out past its column.
    width = max(WIDTH, label_w + cell_w * len(columns) + 60)
    largest = max((count for row in counts for count in row), default=0)
    body: list[str] = []
    for c, column in enumerate(columns):
        cx = label_w + c * cell_w + cell_w / 2
        body.append(
            f'<text x="{cx:g}" y="{head - 6}" font-size="12" fill="{TEXT}" '
            f'transform="rotate(-40 {cx:g} {head - 6})"><title>{_e(column)}</title>'
            f"{_e(_short(column, 14))}</text>"
        )
    for r, row in enumerate(rows):
        top = head + r * cell_h
        body.append(
            f'<text x="0" y="{top + cell_h / 2 + 4:g}" font-size="12" fill="{TEXT}">'
            f"<title>{_e(row)}</title>{_e(_short(row, 16))}</text>"
        )
        for c, column in enumerate(columns):
            count = counts[r][c]
            fill, ink = shade(count, largest)
            left = label_w + c * cell_w
            body.append(
                f"<g><title>{_e(row)}, {_e(column)}: {count:,}</title>"
                f'<rect x="{left + 0.5:g}" y="{top + 0.5:g}" width="{cell_w - 1}" '
                f'height="{cell_h - 1}" fill="{fill}" stroke="{OUTLINE}"/>'
                f'<text x="{left + cell_w / 2:g}" y="{top + cell_h / 2 + 4:g}" font-size="12" '
                f'fill="{ink}" text-anchor="middle">{count:,}</text></g>'
            )
    bottom = head + len(rows) * cell_h
    body.append(f'<text x="0" y="{bottom + 18}" font-size="12" fill="{MUTED}">{_e(key)}</text>')
    return _svg(body, height=bottom + 26, label=label, width=width, grid=True)


# ---------------------------------------------------------------- the same figures as a table


def figures_table(
    *,
    caption: str,
    headers: Sequence[str],
    rows: Sequence[Sequence[object]],
    testid: str,
) -> SafeString:
    """A picture's figures as a table: each row's first cell is its header (scope="row").
    Written here rather than by a template loop, as a picture of a large portfolio has a row per
    unit or period and a template costs some 25 microseconds a cell. Every text is escaped."""
    head = "".join(f'<th scope="col">{_e(header)}</th>' for header in headers)
    body = "".join(
        f'<tr><th scope="row">{_e(row[0])}</th>'
        + "".join(f"<td>{_e(cell)}</td>" for cell in row[1:])
        + "</tr>"
        for row in rows
    )
    return mark_safe(  # noqa: S308 (every text went through _e)
        f'<table class="table table-sm align-middle" data-testid="{_e(testid)}">'
        f"<caption>{_e(caption)}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{body}</tbody></table>"
    )

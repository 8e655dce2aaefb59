"""Charts drawn on the server as SVG: no script, no library, readable with styles off.

A chart is horizontal bars, one per label, each a percent of a full-width track; labels are
escaped here (a city or domain name is data), and the figures are printed beside each bar so
the chart reads without colour.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup

LABEL_WIDTH = 210  # room for the longest city name in Thai at the chart's font size
BAR_WIDTH = 300
FIGURE_WIDTH = 90
ROW_HEIGHT = 22
BAR_HEIGHT = 14


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar: its label, its percent (0–100), the figure printed beside it, a link."""

    label: str
    percent: int
    figure: str
    href: str | None = None


def bar_chart(bars: Sequence[Bar], *, title: str, chart_id: str) -> Markup:
    """An SVG of `bars` (one row each), titled `title` for screen readers.

    Every value goes in through `Markup.format`, which escapes it: labels are data.
    """
    width = LABEL_WIDTH + BAR_WIDTH + FIGURE_WIDTH
    height = ROW_HEIGHT * len(bars) + 4
    rows = [_row(index, bar) for index, bar in enumerate(bars)]
    return Markup(
        '<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{id}" role="img" '
        'viewBox="0 0 {width} {height}" width="100%" aria-labelledby="{id}-title">'
        '<title id="{id}-title">{title}</title>{rows}</svg>'
    ).format(id=chart_id, width=width, height=height, title=title, rows=Markup("").join(rows))


def _row(index: int, bar: Bar) -> Markup:
    """One bar: the label (a link when it has one), the track, the filled part, the figure."""
    top = index * ROW_HEIGHT + 2
    middle = top + BAR_HEIGHT - 3
    filled = round(BAR_WIDTH * max(0, min(100, bar.percent)) / 100)
    label = Markup('<text x="{x}" y="{y}" text-anchor="end">{label}</text>').format(
        x=LABEL_WIDTH - 8, y=middle, label=bar.label
    )
    if bar.href is not None:
        label = Markup('<a href="{href}">{label}</a>').format(href=bar.href, label=label)
    return Markup(
        '<g class="bar" data-percent="{percent}">{label}'
        '<rect class="track" x="{x}" y="{top}" width="{track}" height="{height}"/>'
        '<rect class="fill" x="{x}" y="{top}" width="{filled}" height="{height}"/>'
        '<text x="{figure_x}" y="{y}">{figure}</text></g>'
    ).format(
        percent=bar.percent,
        label=label,
        x=LABEL_WIDTH,
        top=top,
        track=BAR_WIDTH,
        height=BAR_HEIGHT,
        filled=filled,
        figure_x=LABEL_WIDTH + BAR_WIDTH + 6,
        y=middle,
        figure=bar.figure,
    )

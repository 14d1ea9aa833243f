"""A table of one-line cells at fixed widths, drawn as ``rich.table.Table`` draws it.

``Table`` renders every cell through Rich's general layout: padding, wrapping,
measuring, cropping, each a pass of new segments. That cost about 0.3 M
instructions a cell, and a `hero inbox` on a terminal (100 rows of 8 columns)
spent twice as long drawing the table as doing everything else. The inbox's
cells are one line each, at widths it chose itself, so ``FixedTable`` yields the
very segments ``Table`` would (the same box characters, padding, ellipsis and
styles, cell by cell) straight from each cell's text. The console then writes
them as it writes any renderable: colour system, NO_COLOR, width and cropping
are its own. A table wider than the console is handed to ``Table``, which
shrinks its columns to fit. ``tests/test_table.py`` holds the two to the same
output.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import pairwise
from typing import TYPE_CHECKING, Literal, TypeAlias

from rich.box import HEAVY_HEAD
from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from rich.text import Text

from herocli.records import record

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions
    from rich.table import Table

# As Table(header_style="bold", pad_edge=False, title_justify="left") draws.
HEADER_STYLE = "bold"

# A cell: its text (one line, no control codes: render.text.clean) and its style.
Cell: TypeAlias = tuple[str, str]


@record
class Column:
    """One column: its header, its width in cells (padding aside), and how it sets text."""

    header: str
    width: int
    justify: Literal["left", "right"] = "left"
    style: str = ""


class FixedTable:
    """Rows of one-line cells under ``columns``, with an optional title above.

    Headers and the title are plain text, as every cell is: no markup is read in them.
    """

    def __init__(
        self, columns: Sequence[Column], rows: Sequence[Sequence[Cell]], title: str | None = None
    ) -> None:
        self.columns = list(columns)
        self.rows = rows
        self.title = title

    def _padded_widths(self) -> list[int]:
        # One space each side of a cell, but none at the table's edges (pad_edge=False).
        last = len(self.columns) - 1
        return [c.width + (i > 0) + (i < last) for i, c in enumerate(self.columns)]

    @property
    def width(self) -> int:
        """How many cells wide the table is drawn (when it fits the console)."""
        return sum(self._padded_widths()) + len(self.columns) + 1  # with edges and dividers

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> Iterator[object]:
        widths = self._padded_widths()
        if self.width > options.max_width:
            yield self.as_rich_table()  # its columns shrink to fit, as far as they can
            return
        render_options = options.update(width=self.width, highlight=False, height=None)
        title = self._title()
        if title is not None:
            yield from console.render(title, render_options.update(justify="left"))
        box = HEAVY_HEAD.substitute(options, safe=console.safe_box)
        border = console.get_style("") + console.get_style("")
        new_line = Segment.line()
        yield Segment(box.get_top(widths), border)
        yield new_line
        header = console.get_style(HEADER_STYLE) + console.get_style("")
        head = _Line(
            console, [header] * len(self.columns), border, box.head_left, box.head_vertical
        )
        yield from head.draw([(c.header, "") for c in self.columns], self.columns, box.head_right)
        yield Segment(box.get_row(widths, "head", edge=True), border)
        yield new_line
        styles = [console.get_style(c.style) for c in self.columns]
        middle = _Line(console, styles, border, box.mid_left, box.mid_vertical)
        foot = _Line(console, styles, border, box.foot_left, box.foot_vertical)
        last = len(self.rows) - 1
        for n, row in enumerate(self.rows):
            if n < last:
                yield from middle.draw(row, self.columns, box.mid_right)
            else:
                yield from foot.draw(row, self.columns, box.foot_right)
        yield Segment(box.get_bottom(widths), border)
        yield new_line

    def _title(self) -> Text | None:
        # Plain text: no markup or :emoji: codes read into it (reading them would import
        # Rich's table of emoji names, a tenth of a listing's cost).
        return Text(self.title, style="table.title") if self.title else None

    def as_rich_table(self) -> Table:
        """The same table as a ``rich.table.Table``."""
        from rich.table import Table  # here: only a table wider than the console needs it

        table = Table(
            title=self._title(), title_justify="left", header_style=HEADER_STYLE, pad_edge=False
        )
        for c in self.columns:
            table.add_column(
                c.header,
                justify=c.justify,
                style=c.style,
                no_wrap=True,
                overflow="ellipsis",
                width=c.width,
            )
        for row in self.rows:
            table.add_row(*(Text(plain, style=style) for plain, style in row))
        return table


class _Line:
    """The segments of one kind of row (header, middle or last), made once and reused."""

    def __init__(
        self,
        console: Console,
        styles: list[Style],
        border: Style,
        left: str,
        divider: str,
    ) -> None:
        self.console = console
        self.styles = styles
        self.left = Segment(left, border)
        self.border = border
        # Between two cells: the one's right padding, the divider, the other's left padding.
        self.between = [
            (Segment(" ", a), Segment(divider, border), Segment(" ", b))
            for a, b in pairwise(styles)
        ]
        self.cell_styles: dict[tuple[int, str], Style] = {}

    def _style(self, i: int, text_style: str) -> Style:
        style = self.cell_styles.get((i, text_style))
        if style is None:
            style = self.styles[i] + self.console.get_style(text_style)
            self.cell_styles[(i, text_style)] = style
        return style

    def draw(self, cells: Sequence[Cell], columns: list[Column], right: str) -> list[Segment]:
        """The row of ``cells``, from its left edge to its new line."""
        out = [self.left]
        for i, (plain, style) in enumerate(cells):
            if i:
                out.extend(self.between[i - 1])
            out.append(Segment(_fit(plain, columns[i]), self._style(i, style)))
        out.append(Segment(right, self.border))
        out.append(Segment.line())
        return out


def _fit(plain: str, column: Column) -> str:
    """``plain`` set in ``column``'s width as Text does with no_wrap and an ellipsis."""
    width = column.width
    if column.justify == "right":
        plain = plain.rstrip()
    elif len(plain) > width:  # as Text.rstrip_end: trailing space past the width goes first
        excess = len(plain) - width
        plain = plain[: len(plain) - min(excess, len(plain) - len(plain.rstrip()))]
    length = cell_len(plain)
    if length > width:
        return set_cell_size(plain, width - 1) + "…"
    if column.justify == "right":
        return " " * (width - length) + plain
    return plain + " " * (width - length)

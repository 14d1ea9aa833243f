"""A table of one-line cells at fixed widths, drawn as ``rich.table.Table`` draws it.

``Table`` renders every cell through Rich's general layout: padding, wrapping,
measuring, cropping, each a pass of new segments. That cost about 0.3 M
instructions a cell, and a `hero inbox` on a terminal (100 rows of 8 columns)
spent twice as long drawing the table as doing everything else. The inbox's
cells are one line each, at widths it chose itself, so ``FixedTable`` lays out
the very pieces ``Table`` would (the same box characters, padding, ellipsis and
styles, cell by cell) straight from each cell's text, once, for two writers:
Rich's console, which writes them as any renderable (colour system, NO_COLOR,
width and cropping are its own), and ``render.screen``, which writes them to a
plain terminal without importing Rich at all. A table wider than the console is
handed to ``Table``, which shrinks its columns to fit. ``tests/test_table.py``
holds the first to ``Table``'s output, ``tests/test_screen.py`` the second to the first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from functools import reduce
from itertools import pairwise
from operator import add
from typing import TYPE_CHECKING, Generic, Literal, TypeAlias, TypeVar

from herocli.records import record
from herocli.render.cells import cell_len, set_cell_size, single_cells

if TYPE_CHECKING:
    from rich.box import Box
    from rich.console import Console, ConsoleOptions
    from rich.segment import Segment
    from rich.style import Style
    from rich.table import Table
    from rich.text import Text

# As Table(header_style="bold", pad_edge=False, title_justify="left") draws.
HEADER_STYLE = "bold"
TITLE_STYLE = "table.title"

# A cell: its text (one line, no control codes: render.text.clean) and its style.
Cell: TypeAlias = tuple[str, str]
# The names of the styles a piece of a line is drawn in, added left to right as Rich adds them.
Styles: TypeAlias = tuple[str, ...]
# The border's style: Table adds its own (none) to the box's (none).
BORDER: Styles = ("", "")
T = TypeVar("T")


@record
class Edges:
    """The box a table is drawn in: for each kind of line, its left, fill, divider, right."""

    top: tuple[str, str, str, str]
    head: tuple[str, str, str]  # a header row's left edge, divider and right edge
    head_rule: tuple[str, str, str, str]
    mid: tuple[str, str, str]
    foot: tuple[str, str, str]  # the last row's
    bottom: tuple[str, str, str, str]

    @classmethod
    def of(cls, box: Box) -> Edges:
        """The edges of Rich's ``box``."""
        return cls(
            top=(box.top_left, box.top, box.top_divider, box.top_right),
            head=(box.head_left, box.head_vertical, box.head_right),
            head_rule=(
                box.head_row_left,
                box.head_row_horizontal,
                box.head_row_cross,
                box.head_row_right,
            ),
            mid=(box.mid_left, box.mid_vertical, box.mid_right),
            foot=(box.foot_left, box.foot_vertical, box.foot_right),
            bottom=(box.bottom_left, box.bottom, box.bottom_divider, box.bottom_right),
        )


# rich.box.HEAVY_HEAD's edges, for a writer that does not import Rich (tests/test_screen.py
# holds them to Edges.of(HEAVY_HEAD)).
HEAVY_HEAD = Edges(
    top=("┏", "━", "┳", "┓"),
    head=("┃", "┃", "┃"),
    head_rule=("┡", "━", "╇", "┩"),
    mid=("│", "│", "│"),
    foot=("│", "│", "│"),
    bottom=("└", "─", "┴", "┘"),
)


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
        self.title = title or None  # Table draws no empty title

    def _padded_widths(self) -> list[int]:
        # One space each side of a cell, but none at the table's edges (pad_edge=False).
        last = len(self.columns) - 1
        return [c.width + (i > 0) + (i < last) for i, c in enumerate(self.columns)]

    @property
    def width(self) -> int:
        """How many cells wide the table is drawn (when it fits the console)."""
        return sum(self._padded_widths()) + len(self.columns) + 1  # with edges and dividers

    def lines(self, edges: Edges, paint: Callable[[str, Styles], T]) -> Iterator[list[T]]:
        """The table under its title, line by line, each line's pieces without its new line.

        ``paint`` makes a piece from its text and the names of its styles: a Segment
        for Rich's console, text with its escape codes for ``render.screen``.
        """
        widths = self._padded_widths()
        yield [paint(_rule(edges.top, widths), BORDER)]
        header: Styles = (HEADER_STYLE, "")
        head = _Line([header] * len(self.columns), edges.head, paint)
        yield head.draw(
            [(c.header, "") for c in self.columns], [_fitter(c, False) for c in self.columns]
        )
        yield [paint(_rule(edges.head_rule, widths), BORDER)]
        styles: list[Styles] = [(c.style,) for c in self.columns]
        middle = _Line(styles, edges.mid, paint)
        foot = _Line(styles, edges.foot, paint)
        last = len(self.rows) - 1
        # Columns whose every cell is one cell a character are set by length alone.
        fits = [
            _fitter(c, single_cells("".join(row[i][0] for row in self.rows)))
            for i, c in enumerate(self.columns)
        ]
        for n, row in enumerate(self.rows):
            yield (middle if n < last else foot).draw(row, fits)
        yield [paint(_rule(edges.bottom, widths), BORDER)]

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> Iterator[object]:
        from rich.box import HEAVY_HEAD as box
        from rich.segment import Segment

        if self.width > options.max_width:
            yield self.as_rich_table()  # its columns shrink to fit, as far as they can
            return
        render_options = options.update(width=self.width, highlight=False, height=None)
        title = self._title()
        if title is not None:
            yield from console.render(title, render_options.update(justify="left"))
        styles: dict[Styles, Style] = {}

        def paint(text: str, names: Styles) -> Segment:
            style = styles.get(names)
            if style is None:
                style = styles[names] = reduce(add, map(console.get_style, names))
            return Segment(text, style)

        new_line = Segment.line()
        for line in self.lines(Edges.of(box.substitute(options, safe=console.safe_box)), paint):
            yield from line
            yield new_line

    def _title(self) -> Text | None:
        from rich.text import Text

        # Plain text: no markup or :emoji: codes read into it (reading them would import
        # Rich's table of emoji names, a tenth of a listing's cost).
        return Text(self.title, style=TITLE_STYLE) if self.title else None

    def as_rich_table(self) -> Table:
        """The same table as a ``rich.table.Table``."""
        from rich.table import Table  # here: only a table wider than the console needs it
        from rich.text import Text

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


def _rule(edge: tuple[str, str, str, str], widths: list[int]) -> str:
    """A line of the box across cells of ``widths`` (as ``Box.get_top`` draws one)."""
    left, fill, divider, right = edge
    return left + divider.join(fill * width for width in widths) + right


class _Line(Generic[T]):
    """One kind of row (header, middle or last): its edges and dividers painted once."""

    def __init__(
        self, styles: list[Styles], edge: tuple[str, str, str], paint: Callable[[str, Styles], T]
    ) -> None:
        self.styles = styles
        self.paint = paint
        left, divider, right = edge
        self.left = paint(left, BORDER)
        self.right = paint(right, BORDER)
        # Between two cells: the one's right padding, the divider, the other's left padding.
        self.between = [
            (paint(" ", a), paint(divider, BORDER), paint(" ", b)) for a, b in pairwise(styles)
        ]
        # Each column's styles with a cell's own, by the cell's style name.
        self.names: list[dict[str, Styles]] = [{} for _ in styles]

    def draw(self, cells: Sequence[Cell], fits: list[Callable[[str], str]]) -> list[T]:
        """The row of ``cells``, from its left edge to its right, each set by its column's fit."""
        paint, between, names = self.paint, self.between, self.names
        out = [self.left]
        for i, (plain, style) in enumerate(cells):
            if i:
                out += between[i - 1]
            styles = names[i].get(style)
            if styles is None:
                styles = names[i][style] = (*self.styles[i], style)
            out.append(paint(fits[i](plain), styles))
        out.append(self.right)
        return out


def _fitter(column: Column, single: bool) -> Callable[[str], str]:
    """``_fit`` for ``column``, quick for the usual cell (``single``: see _fit) that fits."""
    width = column.width
    if not single:
        return lambda plain: _fit(plain, column)
    if column.justify == "right":

        def right(plain: str) -> str:
            plain = plain.rstrip()
            n = len(plain)
            return " " * (width - n) + plain if n <= width else _fit(plain, column, single=True)

        return right

    def left(plain: str) -> str:
        n = len(plain)
        return plain + " " * (width - n) if n <= width else _fit(plain, column, single=True)

    return left


def _fit(plain: str, column: Column, single: bool = False) -> str:
    """``plain`` set in ``column``'s width as Text does with no_wrap and an ellipsis.

    ``single``: every character of ``plain`` is known to be one cell wide.
    """
    width = column.width
    if column.justify == "right":
        plain = plain.rstrip()
    elif len(plain) > width:  # as Text.rstrip_end: trailing space past the width goes first
        excess = len(plain) - width
        plain = plain[: len(plain) - min(excess, len(plain) - len(plain.rstrip()))]
    length = len(plain) if single else cell_len(plain)
    if length > width:
        return (plain[: width - 1] if single else set_cell_size(plain, width - 1)) + "…"
    if column.justify == "right":
        return " " * (width - length) + plain
    return plain + " " * (width - length)

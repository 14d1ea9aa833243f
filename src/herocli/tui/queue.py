"""The queue pane: a virtual list that renders only the rows on screen.

It holds the ordered ids of the whole view (a list of ints, cheap even for
100,000 items) and asks for the items of the visible slice as it draws them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from herocli.models import Item
from herocli.render.items import CHANNEL_STYLE, urgency, waiting_text
from herocli.render.rows import wait_start
from herocli.render.text import safe
from herocli.render.times import since

Fetch = Callable[[list[int]], dict[int, Item]]

# Below these widths a column gives way to the title (labels first, channel last).
_WIDE_ENOUGH = {"Labels": 110, "Assignee": 66, "Chan": 50}


@dataclass(frozen=True)
class _Column:
    name: str
    width: int
    right: bool = False


class QueueList(ScrollView, can_focus=True):
    """One line per item, the cursor on one; posts ``Moved`` when the cursor's item changes."""

    BINDINGS = [
        Binding("j,down", "move(1)", "Down", show=False),
        Binding("k,up", "move(-1)", "Up", show=False),
        Binding("pagedown,ctrl+d", "page(1)", "Page down", show=False),
        Binding("pageup,ctrl+u", "page(-1)", "Page up", show=False),
        Binding("g,home", "edge(0)", "First", show=False),
        Binding("G,end", "edge(1)", "Last", show=False),
        Binding("enter", "open", "Open"),
    ]
    DEFAULT_CSS = """
    QueueList { scrollbar-size-vertical: 1; overflow-x: hidden; }
    QueueList > .queue-list--header { text-style: bold; }
    QueueList > .queue-list--cursor { text-style: reverse; }
    """
    COMPONENT_CLASSES = {"queue-list--header", "queue-list--cursor"}

    class Moved(Message):
        def __init__(self, item_id: int | None) -> None:
            super().__init__()
            self.item_id = item_id

    class Opened(Message):
        def __init__(self, item_id: int) -> None:
            super().__init__()
            self.item_id = item_id

    def __init__(
        self, fetch: Fetch, now: Callable[[], datetime], target_minutes: int, **kwargs: object
    ) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._fetch = fetch
        self._now = now
        self._target = target_minutes
        self.ids: list[int] = []
        self.cursor = 0
        self._cache: dict[int, Item] = {}
        self._strips: dict[int, Strip] = {}  # drawn rows, until the next tick or reload
        self._number_width = 3

    # --- what is shown ---------------------------------------------------------------------

    @property
    def current(self) -> int | None:
        """The id under the cursor, if the view has any item."""
        return self.ids[self.cursor] if self.ids else None

    def show(self, ids: list[int], keep: int | None = None) -> None:
        """Show these ids; the cursor stays on ``keep`` if it is still there, else in place."""
        self.ids = ids
        self._cache.clear()
        self._strips.clear()
        self._number_width = max(len(str(max(ids, default=0))) + 1, 3)
        if keep is not None and keep in ids:
            self.cursor = ids.index(keep)
        self.cursor = max(0, min(self.cursor, len(ids) - 1))
        self.virtual_size = Size(self.size.width, len(ids) + 1)
        self._follow()
        self.refresh()
        self.post_message(self.Moved(self.current))

    def tick(self) -> None:
        """Draw every row again: the wait times have moved on."""
        self._strips.clear()
        self.refresh()

    def item(self, item_id: int) -> Item | None:
        if item_id not in self._cache:
            self._cache.update(self._fetch([item_id]))
        return self._cache.get(item_id)

    # --- keys ---------------------------------------------------------------------------------

    def action_move(self, step: int) -> None:
        self._go(self.cursor + step)

    def action_page(self, direction: int) -> None:
        self._go(self.cursor + direction * max(self._rows_visible() - 1, 1))

    def action_edge(self, end: int) -> None:
        self._go(len(self.ids) - 1 if end else 0)

    def action_open(self) -> None:
        if self.current is not None:
            self.post_message(self.Opened(self.current))

    def _go(self, row: int) -> None:
        row = max(0, min(row, len(self.ids) - 1))
        if not self.ids or row == self.cursor:
            return
        before, top = self.cursor, int(self.scroll_offset.y)
        self.cursor = row
        self._follow()
        if int(self.scroll_offset.y) == top:  # only the two rows whose cursor style changed
            for changed in (before, row):
                self.refresh(Region(0, changed - top + 1, self.size.width, 1))
        else:
            self.refresh()
        self.post_message(self.Moved(self.current))

    def _rows_visible(self) -> int:
        return max(self.size.height - 1, 1)

    def _follow(self) -> None:
        top = int(self.scroll_offset.y)
        visible = self._rows_visible()
        if self.cursor < top:
            top = self.cursor
        elif self.cursor >= top + visible:
            top = self.cursor - visible + 1
        self.scroll_to(y=top, animate=False, immediate=True)

    def on_resize(self) -> None:
        self.virtual_size = Size(self.size.width, len(self.ids) + 1)
        self._strips.clear()
        self._follow()

    # --- drawing -------------------------------------------------------------------------------

    def _columns(self, width: int) -> list[_Column]:
        columns = [
            _Column("#", self._number_width, right=True),
            _Column("Chan", 6),
            _Column("Title", 0),
            _Column("Waiting", 7),
            _Column("For", 8, right=True),
            _Column("Assignee", 10),
            _Column("Labels", 14),
        ]
        kept = [c for c in columns if width >= _WIDE_ENOUGH.get(c.name, 0)]
        rest = width - sum(c.width + 1 for c in kept if c.name != "Title")
        return [c if c.name != "Title" else _Column("Title", max(rest, 8)) for c in kept]

    def _cells(self, item: Item, now: datetime) -> dict[str, Text]:
        start = wait_start(item)
        return {
            "#": Text(str(item.id)),
            "Chan": Text(item.channel, style=CHANNEL_STYLE.get(item.channel, "")),
            "Title": safe(item.title, single_line=True),
            "Waiting": waiting_text(item),
            "For": Text(since(start, now), style=urgency(item, start, now, self._target)),
            "Assignee": safe(item.assignee or "", single_line=True),
            "Labels": safe(", ".join(item.labels), "dim", single_line=True),
        }

    def _line(self, cells: dict[str, Text], columns: list[_Column], style: Style) -> Strip:
        line = Text(end="", no_wrap=True)
        for n, column in enumerate(columns):
            cell = cells[column.name].copy()
            cell.truncate(column.width, overflow="ellipsis")
            if column.right:
                cell.pad_left(column.width - cell.cell_len)
            else:
                cell.pad_right(column.width - cell.cell_len)
            if n:
                line.append(" ")
            line.append_text(cell)
        segments = list(line.render(self.app.console))
        return Strip(segments).adjust_cell_length(self.size.width).apply_style(style)

    def render_lines(self, crop: object) -> list[Strip]:
        # One query for the whole visible slice, not one per line.
        top = int(self.scroll_offset.y)
        wanted = [i for i in self.ids[top : top + self.size.height] if i not in self._cache]
        if wanted:
            self._cache.update(self._fetch(wanted))
        return super().render_lines(crop)  # type: ignore[arg-type]

    def _blank(self, width: int, style: Style) -> Strip:
        key = -width  # ids are positive: blank rows share the drawn rows' cache
        if key not in self._strips:
            self._strips[key] = Strip.blank(width, style)
        return self._strips[key]

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        columns = self._columns(width)
        base = self.rich_style
        if y == 0:
            header = {c.name: Text(c.name) for c in columns}
            return self._line(
                header, columns, base + self.get_component_rich_style("queue-list--header")
            )
        row = int(self.scroll_offset.y) + y - 1
        if row >= len(self.ids):
            return self._blank(width, base)
        item_id = self.ids[row]
        strip = self._strips.get(item_id)
        if strip is None:
            item = self._cache.get(item_id)
            if item is None:  # gone since the ids were read; the next reload drops it
                return self._blank(width, base)
            strip = self._line(self._cells(item, self._now()), columns, base)
            self._strips[item_id] = strip
        if row == self.cursor:
            return strip.apply_style(self.get_component_rich_style("queue-list--cursor"))
        return strip

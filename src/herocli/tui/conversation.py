"""The conversation pane: the thread as `hero show` renders it, notes included, scrollable.

The thread is rendered to lines once per item and width, and the pane shows
the ones in view: opening an item never re-lays-out the screen.
"""

from __future__ import annotations

from datetime import UTC, datetime

from rich.console import RenderableType
from rich.segment import Segment
from rich.text import Text
from textual.binding import Binding
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from herocli.render.thread_view import thread_view
from herocli.services.inbox import ItemDetail

PADDING = 1  # columns left blank on each side


class ConversationView(ScrollView, can_focus=True):
    """Shows one item's detail; ``escape`` hands the keys back to the queue."""

    BINDINGS = [
        Binding("j,down", "scroll_down", "Down", show=False),
        Binding("k,up", "scroll_up", "Up", show=False),
        Binding("space", "page_down", "Page down", show=False),
        Binding("escape", "back", "Queue", show=False),
    ]
    DEFAULT_CSS = """
    ConversationView { scrollbar-size-vertical: 1; overflow-x: hidden; }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.detail: ItemDetail | None = None
        self._view: RenderableType = Text("No item here.", style="dim")
        self._lines: list[Strip] = []
        self._width = 0
        self._blank = Strip([])

    def show(self, detail: ItemDetail | None, now: datetime, *, keep_scroll: bool = False) -> None:
        """Show ``detail`` (or an empty pane); a new item starts at its top."""
        same = (
            detail is not None and self.detail is not None and detail.item.id == self.detail.item.id
        )
        self.detail = detail
        if detail is None:
            self._view = Text("No item here.", style="dim")
        else:
            zone = getattr(self.app, "zone", UTC)  # the hero's zone, as `hero show` uses
            self._view = thread_view(detail.item, detail.messages, detail.notes, now, zone=zone)
        self._draw()
        if not (same and keep_scroll):
            self.scroll_to(y=0, animate=False, immediate=True)

    def _draw(self) -> None:
        width = self.scrollable_content_region.width
        self._width = width
        if width <= 2 * PADDING:
            self._lines = []
        else:
            console = self.app.console
            options = console.options.update_width(width - 2 * PADDING)
            base = self.rich_style
            pad = Segment(" " * PADDING, base)
            # Styled once here, under the pane's own style (Textual's filters, NO_COLOR's
            # among them, want a style on every segment): each frame reuses these.
            self._lines = [
                Strip(
                    [pad, *(Segment(t, base + s if s else base, c) for t, s, c in line), pad]
                ).adjust_cell_length(width, base)
                for line in console.render_lines(self._view, options, pad=True)
            ]
        self.virtual_size = Size(width, len(self._lines))
        self.refresh()

    def on_resize(self) -> None:
        if self.scrollable_content_region.width != self._width:
            self._draw()

    def render_line(self, y: int) -> Strip:
        row = int(self.scroll_offset.y) + y
        if row < len(self._lines):
            return self._lines[row]
        width = self.scrollable_content_region.width
        if self._blank.cell_length != width:
            self._blank = Strip.blank(width, self.rich_style)
        return self._blank

    def action_back(self) -> None:
        self.screen.query_one("QueueList").focus()

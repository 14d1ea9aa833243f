"""The conversation pane: the thread as `hero show` renders it, notes included, scrollable."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from herocli.render.items import thread_view
from herocli.services.inbox import ItemDetail


class ConversationView(VerticalScroll, can_focus=True):
    """Shows one item's detail; ``escape`` hands the keys back to the queue."""

    BINDINGS = [
        Binding("j,down", "scroll_down", "Down", show=False),
        Binding("k,up", "scroll_up", "Up", show=False),
        Binding("space", "page_down", "Page down", show=False),
        Binding("escape", "back", "Queue", show=False),
    ]
    DEFAULT_CSS = """
    ConversationView { scrollbar-size-vertical: 1; padding: 0 1; }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.detail: ItemDetail | None = None
        self._body = Static(Text("Nothing here. Nobody is waiting on us.", style="dim"))

    def compose(self) -> ComposeResult:
        yield self._body

    def show(self, detail: ItemDetail | None, now: datetime, *, keep_scroll: bool = False) -> None:
        """Show ``detail`` (or an empty pane); a new item starts at its top."""
        same = (
            detail is not None and self.detail is not None and detail.item.id == self.detail.item.id
        )
        self.detail = detail
        if detail is None:
            self._body.update(Text("No item here.", style="dim"))
        else:
            self._body.update(thread_view(detail.item, detail.messages, detail.notes, now))
        if not (same and keep_scroll):
            self.scroll_home(animate=False)

    def action_back(self) -> None:
        self.screen.query_one("QueueList").focus()

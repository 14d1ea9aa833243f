"""The status line: what the last action did, and how far the queue can be trusted."""

from __future__ import annotations

from datetime import datetime

from rich.console import Group
from rich.text import Text
from textual.widgets import Static

from herocli.render.text import safe
from herocli.render.times import since
from herocli.services.status import QueueStatus


def status_text(status: QueueStatus, now: datetime, view: str) -> Text:
    """``view · github 2m ago · slack never · outbox 1 pending · on duty: Hana``."""
    line = Text.assemble((view, "bold"))
    for name, at in status.synced.items():
        line.append(" · ")
        line.append_text(safe(name))
        line.append(f" {since(at, now)} ago" if at else " never synced", style="dim")
    if status.outbox:
        counts = ", ".join(f"{n} {state}" for state, n in status.outbox.items())
        line.append(" · outbox ", style="")
        line.append(counts, style="yellow")
    else:
        line.append(" · outbox empty", style="dim")
    if status.on_duty:
        line.append(" · on duty: ")
        line.append_text(safe(status.on_duty, "bold"))
    return line


class StatusLine(Static):
    """Two lines: the last result (one line, never a traceback), then the queue's status."""

    DEFAULT_CSS = """
    StatusLine { height: 2; background: $panel; padding: 0 1; }
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.result = Text("")
        self.facts = Text("")

    def say(self, text: Text | str, style: str = "") -> None:
        """Show one line of result: a string is sanitised here; a ``Text`` must be already."""
        line = text.copy() if isinstance(text, Text) else safe(text, style, single_line=True)
        line.no_wrap = True
        line.overflow = "ellipsis"
        self.result = line
        self._draw()

    def error(self, message: str) -> None:
        self.say(Text.assemble(("✗ ", "bold red"), safe(message, single_line=True)))

    def show_status(self, status: QueueStatus, now: datetime, view: str) -> None:
        self.facts = status_text(status, now, view)
        self.facts.no_wrap = True
        self.facts.overflow = "ellipsis"
        self._draw()

    def _draw(self) -> None:
        self.update(Group(self.result, self.facts))

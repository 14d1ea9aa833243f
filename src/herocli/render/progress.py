"""A Rich progress display that channels report into while they sync."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TaskID, TextColumn

from herocli.render.text import clean

if TYPE_CHECKING:
    from herocli.services.sync import SyncResult


def sync_progress(console: Console) -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.fields[channel]:<7}"),
        BarColumn(bar_width=24),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        console=console,
        transient=False,
        disable=not console.is_terminal,
    )


class ChannelProgress:
    """One channel's line in the display (implements exchange.SyncProgress)."""

    def __init__(self, progress: Progress, channel: str) -> None:
        self.progress = progress
        self.task: TaskID = progress.add_task("starting", channel=channel, total=None)

    def update(
        self, description: str, *, completed: int | None = None, total: int | None = None
    ) -> None:
        self.progress.update(
            self.task,
            description=clean(description, single_line=True),
            completed=completed,
            total=total,
        )

    def waiting(self, seconds: float, reason: str) -> None:
        self.progress.update(
            self.task, description=f"waiting {seconds:.0f}s: {clean(reason, single_line=True)}"
        )

    def finish(self, summary: str) -> None:
        task = next(t for t in self.progress.tasks if t.id == self.task)
        total = task.total or max(task.completed, 1)
        self.progress.update(self.task, description=summary, completed=total, total=total)


def sync_summary(result: SyncResult) -> str:
    """One channel's sync in a few words: "2 new, 1 updated" or "failed: why"."""
    if result.error is not None:
        return f"failed: {result.error.message}"
    if result.summary is not None:
        return result.summary
    parts = [f"{result.new_items} new", f"{result.updated_items} updated"]
    if result.closed:
        parts.append(f"{result.closed} closed upstream")
    if result.reopened:
        parts.append(f"{result.reopened} reopened")
    return ", ".join(parts)

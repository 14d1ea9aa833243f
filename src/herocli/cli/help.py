"""Help that reads like gh's: usage lines a person writes, and examples under every command."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup


def examples(*lines: str) -> str:
    """An epilog listing example command lines, kept as written (never re-wrapped)."""
    # "\b" on its own line tells the help formatter not to re-wrap the paragraph.
    return "Examples:\n\n\b\n" + "\n".join(f"  {line}" for line in lines)


def _plain(piece: str) -> str:
    # Typer writes a required argument as {ID}; people write ID.
    if piece.startswith("{") and piece.endswith("}"):
        return piece[1:-1]
    return piece


class HeroCommand(TyperCommand):
    """A command whose usage line names its arguments plainly: `hero snooze ID... WHEN`."""

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        return [_plain(piece) for piece in super().collect_usage_pieces(ctx)]


class HeroGroup(TyperGroup):
    """A command group whose usage line reads `hero config COMMAND`."""

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        return [_plain(piece) for piece in super().collect_usage_pieces(ctx)]


class HeroTyper(typer.Typer):
    """A Typer whose commands use ``HeroCommand`` unless told otherwise."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("cls", HeroGroup)
        kwargs.setdefault("rich_markup_mode", None)
        super().__init__(**kwargs)

    def command(self, *args: Any, **kwargs: Any) -> Callable[[Any], Any]:
        kwargs.setdefault("cls", HeroCommand)
        return super().command(*args, **kwargs)

"""What every command shares: the context, item ids, range checks, and the JSON switch.

Every value from the command line is checked here, at the boundary, so a huge
id or limit becomes one line naming the argument instead of an overflow deep
in SQLite or datetime.
"""

from __future__ import annotations

from datetime import tzinfo
from typing import Annotated

import typer

from herocli.context import Context
from herocli.errors import UsageError

# SQLite stores integers in 64 bits; nothing past this can be an item, a limit or an offset.
MAX_INT = 2**63 - 1
# Longer command-line text than this (a search, a note, a member name) is a mistake.
MAX_TEXT = 10_000


def zone_of(hero: Context) -> tzinfo | None:
    """The hero's time zone (``[hero] timezone``); ``None`` means the system's."""
    if not hero.config.hero.timezone:
        return None
    from zoneinfo import ZoneInfo  # here: only a configured zone pays for tzdata

    return ZoneInfo(hero.config.hero.timezone)


def context_of(ctx: typer.Context) -> Context:
    root = ctx.find_root()
    assert isinstance(root.obj, Context)
    return root.obj


def item_number(value: str, name: str = "ID") -> int:
    """Accept 12 or #12: ASCII digits only (``²`` is a digit to ``str.isdigit``), in range."""
    text = value.strip().lstrip("#")
    if not (text.isascii() and text.isdigit()):
        raise UsageError(
            f"{name}: {value[:40]!r} is not an item number", hint="`hero inbox` shows them"
        )
    if len(text) > len(str(MAX_INT)):
        raise UsageError(f"{name} must be between 1 and {MAX_INT}, not {text[:20]}…")
    return in_range(name, int(text), 1, MAX_INT)


def in_range(name: str, value: int, low: int, high: int) -> int:
    """``value`` if ``low <= value <= high``; else a usage error naming ``name``."""
    if not low <= value <= high:
        raise UsageError(f"{name} must be between {low} and {high}, not {value}")
    return value


def text_arg(name: str, value: str | None, limit: int = MAX_TEXT) -> str | None:
    """``value`` unless it is longer than ``limit`` characters or holds a NUL."""
    if value is None:
        return None
    if len(value) > limit:
        raise UsageError(f"{name} is {len(value):,} characters long; at most {limit:,}")
    if "\x00" in value:
        raise UsageError(f"{name} holds a NUL character")
    return value


def item_numbers(values: list[str]) -> list[int]:
    """Several item numbers (``12 13 #14``, or ``12,13``), each once, in the order given."""
    words = [part for value in values for part in value.replace(",", " ").split()]
    if not words:
        raise UsageError("name at least one item number (see `hero inbox`)")
    return list(dict.fromkeys(item_number(word, "ID") for word in words))


def is_item_number(value: str) -> bool:
    """Whether ``value`` reads as an item number (12, #12)."""
    text = value.strip().lstrip("#")
    return text.isascii() and text.isdigit()


ItemArg = Annotated[
    str, typer.Argument(metavar="ID", help="Item number, as shown by `hero inbox` (12 or #12).")
]
ItemsArg = Annotated[
    list[str],
    typer.Argument(metavar="ID...", help="One or more item numbers, as `hero inbox` shows them."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON with stable field names.")]

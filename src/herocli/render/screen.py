"""The inbox's table written to a plain terminal without importing Rich.

Importing ``rich.console`` and the modules it needs costs a `hero inbox` on a
terminal more than everything else it does: reading the queue, laying out the
table, Python and Typer included, add up to less. The inbox on a plain terminal
(a tty on Linux or macOS, UTF-8, not ``TERM=dumb``) needs none of Rich's
generality: the table's pieces are laid out by ``render.table`` and only want
their styles, a few standard colours and attributes, written as SGR codes.

``screen_of`` says whether a stream is such a terminal, and how wide, by the
rules Rich's ``Console`` follows; whatever it is not sure of (FORCE_COLOR,
TTY_COMPATIBLE, an empty NO_COLOR, Windows, another encoding) it leaves to Rich,
as ``draw`` leaves any table that does not fit, a style it does not know and a
title or line that would wrap. ``tests/test_screen.py`` holds both to Rich: the
same terminal facts as ``Console`` finds, the same bytes as ``Console.print``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import IO

from herocli.records import record
from herocli.render.cells import cell_len
from herocli.render.table import HEAVY_HEAD, TITLE_STYLE, FixedTable, Styles

# SGR codes as Rich's Style writes them: attributes in this order, then the colour.
_ATTRIBUTES = {"bold": 1, "dim": 2, "italic": 3, "underline": 4, "reverse": 7, "strike": 9}
_COLOURS = {
    name: 30 + n
    for n, name in enumerate(
        ["black", "red", "green", "yellow", "blue", "magenta", "cyan", "white"]
    )
}
# Names of Rich's default theme that hero's tables use, as that theme defines them.
_THEME = {TITLE_STYLE: "italic"}


@record
class Screen:
    """A terminal Rich would draw on in colour (``no_color``: attributes only), ``width`` cells."""

    width: int
    no_color: bool = False


def screen_of(env: Mapping[str, str], stream: IO[str]) -> Screen | None:
    """``stream`` as the terminal Rich's ``Console`` would find, if it plainly is one.

    None when it is not a terminal, or when telling would mean following rules
    that differ between Rich's versions: ask Rich then.
    """
    if sys.platform == "win32" or any(
        name in env for name in ("FORCE_COLOR", "TTY_COMPATIBLE", "JUPYTER_COLUMNS")
    ):
        return None
    try:
        if not stream.isatty():
            return None
    except ValueError:  # closed
        return None
    encoding = (getattr(stream, "encoding", None) or "utf-8").lower()
    if env.get("TERM", "").lower() in ("dumb", "unknown") or not encoding.startswith("utf"):
        return None
    no_color = env.get("NO_COLOR")
    if no_color == "":
        return None
    width = _width(env)
    return None if width is None else Screen(width, no_color=no_color is not None)


def _width(env: Mapping[str, str]) -> int | None:
    # As Console.size: COLUMNS when it is a number, else the first standard stream's size.
    columns = env.get("COLUMNS")
    if columns is not None and columns.isdigit():
        return int(columns) if columns.isascii() else None  # "²" is a digit int() refuses
    for fd in (0, 1, 2):
        try:
            return os.get_terminal_size(fd).columns or 80
        except (ValueError, OSError):
            continue
    return 80


class _UnknownStyle(Exception):
    """A style this module cannot write: Rich draws the table then."""


def draw(table: FixedTable, screen: Screen, footer: str | None = None) -> str | None:
    """What ``Console.print`` writes for ``table`` (then ``footer``, dim) on ``screen``.

    None when Rich must draw it: a table wider than the screen (Table shrinks it),
    a title or footer that would wrap, or a style not in the tables above.
    """
    if table.width > screen.width:
        return None
    codes: dict[Styles, str] = {}

    def paint(text: str, names: Styles) -> str:
        code = codes.get(names)
        if code is None:
            code = codes[names] = _sgr(names, screen)
        # As Style.render: no codes around nothing, nor for a style that sets nothing.
        return f"\x1b[{code}m{text}\x1b[0m" if code and text else text

    title, out = table.title, []
    try:
        if title is not None:
            # Justified left in the table's width, as Text pads a line that fits.
            if not _one_line(title, table.width):
                return None
            out.append(paint(title + " " * (table.width - cell_len(title)), (TITLE_STYLE,)))
        out.extend("".join(line) for line in table.lines(HEAVY_HEAD, paint))
        if footer is not None:
            if not _one_line(footer, screen.width):
                return None
            out.append(paint(footer, ("dim",)))
    except _UnknownStyle:
        return None
    out.append("")
    return "\n".join(out)


def _one_line(text: str, width: int) -> bool:
    # Printable text (no tab, no new line) that fits is one line for Text, not wrapped.
    return text.isprintable() and cell_len(text) <= width


def _sgr(names: Styles, screen: Screen) -> str:
    """The SGR parameters of the styles ``names`` added together."""
    attributes: set[int] = set()
    colour: int | None = None
    for name in names:
        for word in _THEME.get(name, name).split():
            if word in _ATTRIBUTES:
                attributes.add(_ATTRIBUTES[word])
            elif word in _COLOURS:
                colour = _COLOURS[word]
            else:
                raise _UnknownStyle(word)
    codes = sorted(attributes)
    if colour is not None and not screen.no_color:
        codes.append(colour)
    return ";".join(map(str, codes))

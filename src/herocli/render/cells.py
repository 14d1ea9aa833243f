"""How many terminal cells text takes, as Rich counts them, without importing Rich for most text.

Rich measures every string against its tables of wide and zero-width characters;
importing them costs a terminal listing about as much as drawing it. Printable
text of Latin, IPA and spacing-modifier letters (most names and titles) is one
cell a character in every Rich version: such text is measured by its length,
and anything else is handed to ``rich.cells``. ``tests/test_screen.py`` holds
both functions to Rich's over any text.
"""

from __future__ import annotations

from collections.abc import Sequence

# Below U+0300 (the combining marks) every printable character is one cell wide.
_LAST_SINGLE = "\u02ff"


def single_cells(text: str) -> bool:
    """Whether every character of ``text`` is one cell wide, so its length is its width."""
    # isprintable refuses the controls, NBSP and the soft hyphen, which Rich sizes apart.
    return text.isprintable() and (text.isascii() or max(text) <= _LAST_SINGLE)


def cell_len(text: str) -> int:
    """The cells ``text`` takes on a terminal (``rich.cells.cell_len``)."""
    if single_cells(text):
        return len(text)
    from rich.cells import cell_len as measure

    return measure(text)


def set_cell_size(text: str, total: int) -> str:
    """``text`` cut or padded with spaces to ``total`` cells (``rich.cells.set_cell_size``)."""
    if single_cells(text):
        return text[:total] if len(text) >= total else text + " " * (total - len(text))
    from rich.cells import set_cell_size as fit

    return fit(text, total)


def widest(texts: Sequence[str]) -> int:
    """The most cells any of ``texts`` takes (0 for none), measured together where it can be."""
    if single_cells("".join(texts)):
        return max(map(len, texts), default=0)
    return max(map(cell_len, texts), default=0)

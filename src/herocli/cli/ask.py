"""Asking on the terminal: plain lines on stderr, answers from stdin.

Not click's prompt: it turns Ctrl-C into the same "Aborted" as end of input,
and Ctrl-C must stay an interrupt (exit 130) wherever it is pressed.
"""

from __future__ import annotations

import sys

from rich.console import Console


def ask(err: Console, question: str, default: str = "") -> str | None:
    """One answer to ``question`` (``default`` on a bare Enter); ``None`` at end of input."""
    shown = f"{question} [{default}]: " if default else f"{question}: "
    err.print(shown, end="", markup=False, highlight=False, soft_wrap=True)
    err.file.flush()
    line = sys.stdin.readline()
    if not line:
        err.print()
        return None
    return line.strip() or default


def choose(err: Console, question: str, choices: dict[str, str]) -> str | None:
    """One of ``choices`` (key: what it does), by its first letter or whole word.

    A bare Enter is no choice: the question is asked again, so nothing happens by
    accident. ``None`` at end of input.
    """
    menu = " · ".join(f"{key[0]} {words}" for key, words in choices.items())
    while True:
        answer = ask(err, f"{question} ({menu})")
        if answer is None:
            return None
        word = answer.lower()
        for key in choices:
            if word in (key, key[0]):
                return key
        letters = ", ".join(key[0] for key in choices)
        err.print(f"Type one of {letters}.", style="yellow")

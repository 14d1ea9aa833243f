"""Streamed JSON listings are byte for byte what json.dumps gives for the whole list."""

from __future__ import annotations

import io
import json

import pytest
from rich.console import Console

from herocli.context import Context

ENTRIES = [
    {"number": 1, "title": "Grüße [bold]x[/] \x1b[2J", "labels": ["a", "b"], "url": None},
    {"number": 2, "title": "second", "labels": [], "nested": {"k": [1, 2]}},
]


MANY = [{**ENTRIES[n % 2], "number": n} for n in range(250)]  # chunks of 100, and a rest


@pytest.mark.parametrize("terminal", [True, False])
@pytest.mark.parametrize("entries", [[], ENTRIES[:1], ENTRIES, MANY[:100], MANY[:101], MANY])
def test_streamed_list_matches_whole_dump(entries: list[dict[str, object]], terminal: bool) -> None:
    out = io.StringIO()
    ctx = Context(out=Console(file=out, force_terminal=terminal), err=Console(file=io.StringIO()))
    ctx.print_json_list(iter(entries))
    if terminal:  # indented for a person, as json.dumps indents it
        expected = json.dumps(entries, indent=2, ensure_ascii=False)
    else:  # compact for a pipe: one line, no space after "," or ":"
        expected = json.dumps(entries, separators=(",", ":"), ensure_ascii=False)
    assert out.getvalue() == expected + "\n"


@pytest.mark.parametrize("terminal", [True, False])
def test_one_value_is_indented_only_on_a_terminal(terminal: bool) -> None:
    out = io.StringIO()
    ctx = Context(out=Console(file=out, force_terminal=terminal), err=Console(file=io.StringIO()))
    ctx.print_json(ENTRIES[1])
    text = out.getvalue()
    assert json.loads(text) == ENTRIES[1]
    assert text.count("\n") == (11 if terminal else 1)

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


@pytest.mark.parametrize("entries", [[], ENTRIES[:1], ENTRIES, MANY[:100], MANY[:101], MANY])
def test_streamed_list_matches_whole_dump(entries: list[dict[str, object]]) -> None:
    out = io.StringIO()
    ctx = Context(out=Console(file=out), err=Console(file=io.StringIO()))
    ctx.print_json_list(iter(entries))
    assert out.getvalue() == json.dumps(entries, indent=2, ensure_ascii=False) + "\n"

"""Streamed JSON listings are byte for byte what json.dumps gives for the whole list."""

from __future__ import annotations

import io
import json
import re
from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from herocli.context import Context
from herocli.render.text import UNSAFE, json_text

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


# Text built from what the sanitiser escapes (C0, DEL, C1, bidi controls, the separators),
# what json escapes itself (quotes, backslashes), what both keep (non-ASCII, astral
# characters) and lone surrogates, which json passes through as they are.
HOSTILE = st.text(
    st.sampled_from(
        [chr(c) for c in (*range(0x00, 0x21), *range(0x7E, 0xA2), 0x061C, 0x200B, 0x200E)]
        + [chr(c) for c in (0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))]
        + ["\u2028", "\u2029", "\ufeff", "é", "日", "\U0001f600", "\ud800", "\udfff", '"', "\\"]
    )
    | st.characters(),
    max_size=12,
)
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | HOSTILE,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(HOSTILE | st.integers() | st.booleans() | st.none(), inner, max_size=4)
    ),
    max_leaves=12,
)


def _escaped(text: str) -> str:
    return re.sub(UNSAFE, lambda m: f"\\u{ord(m.group()):04x}", text)


@given(VALUES)
def test_compact_json_is_json_dumps_with_the_unsafe_characters_escaped(value: object) -> None:
    # Piped --json is encoded without importing json: byte for byte what json.dumps
    # writes, escaped as every other output is, whatever the text holds.
    expected = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    assert json_text(value, indent=None) == _escaped(expected)
    assert json_text(value) == _escaped(json.dumps(value, ensure_ascii=False, indent=2))


@given(st.lists(st.dictionaries(HOSTILE, VALUES, max_size=3), max_size=250))
@settings(max_examples=25)
def test_a_streamed_list_of_hostile_entries_is_the_whole_dump_escaped(
    entries: list[dict[str, object]],
) -> None:
    out = io.StringIO()
    ctx = Context(out=Console(file=out, force_terminal=False), err=Console(file=io.StringIO()))
    ctx.print_json_list(iter(entries))
    expected = json.dumps(entries, ensure_ascii=False, separators=(",", ":"))
    assert out.getvalue() == _escaped(expected) + "\n"


def test_what_json_cannot_write_is_its_own_error() -> None:
    for value in ({"at": datetime(2026, 1, 1)}, [1, {2: object()}]):
        with pytest.raises(TypeError) as wanted:
            json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        with pytest.raises(TypeError) as got:
            json_text(value, indent=None)
        assert str(got.value) == str(wanted.value)

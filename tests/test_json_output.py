"""Streamed JSON listings are byte for byte what json.dumps gives for the whole list."""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from herocli.context import Context
from herocli.models import Item, ItemState, Waiting, iso
from herocli.render.rows import item_json
from herocli.render.text import UNSAFE, json_text
from herocli.store.item_rows import JsonMeta

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


NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
MOMENTS = st.datetimes(
    # A day inside datetime's range: the same instant in UTC exists, whatever the zone.
    min_value=datetime(1, 1, 2),
    max_value=datetime(9999, 12, 30),
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=-5)), timezone(timedelta(hours=9))]),
)
TIMES = st.none() | MOMENTS


@st.composite
def items(draw: st.DrawFn) -> Item:
    last = draw(TIMES)
    # Waiting since the last message (what most items wait since), the same instant in
    # another zone, or any other time.
    since = draw(st.sampled_from([last, last and last.astimezone(UTC), None]) | TIMES)
    meta = draw(
        st.fixed_dictionaries(
            {},
            optional={"provisional": st.booleans(), "why": st.none() | HOSTILE, "ts": HOSTILE},
        )
    )
    return Item(
        id=draw(st.integers(1, 10**9)),
        channel=draw(st.sampled_from(["github", "email", "slack"])),
        external_id=draw(HOSTILE),
        title=draw(HOSTILE),
        url=draw(st.none() | HOSTILE),
        state=draw(st.sampled_from(ItemState)),
        snoozed_until=draw(TIMES),
        remote_state=None,
        assignee=draw(st.none() | HOSTILE),
        labels=tuple(draw(st.lists(HOSTILE, max_size=3))),
        created_at=draw(MOMENTS),
        updated_at=NOW,
        closed_at=draw(TIMES),
        message_count=draw(st.integers(0, 10**6)),
        first_message_at=None,
        last_message_at=last,
        last_author=draw(st.none() | HOSTILE),
        last_from_team=draw(st.none() | st.booleans()),
        waiting_since=since,
        meta=JsonMeta(json.dumps(meta)),
        reply_uncertain=draw(st.booleans()),
    )


def _plain_item_json(item: Item, now: datetime) -> dict[str, object]:
    # What each field is, in plain values: the definition item_json's output is held to.
    waiting = item.waiting
    start = item.waiting_since if waiting is Waiting.US else item.last_message_at
    why = item.meta.get("why")
    return {
        "number": item.id,
        "channel": item.channel,
        "external_id": item.external_id,
        "title": item.title,
        "url": item.url,
        "state": item.state.value,
        "waiting": waiting.value if waiting else None,
        "waiting_provisional": bool(item.meta.get("provisional")),
        "reply_uncertain": item.reply_uncertain,
        "waiting_since": iso(start),
        "wait_seconds": int((now - start).total_seconds()) if start else None,
        "assignee": item.assignee,
        "labels": list(item.labels),
        "last_author": item.last_author,
        "last_message_at": iso(item.last_message_at),
        "message_count": item.message_count,
        "snoozed_until": iso(item.snoozed_until),
        "created_at": iso(item.created_at),
        "closed_at": iso(item.closed_at),
        "closed_why": str(why) if item.state is ItemState.CLOSED and why else None,
    }


@given(st.lists(items(), max_size=3))
@settings(max_examples=100)
def test_an_items_json_is_the_text_of_its_plain_fields(listed: list[Item]) -> None:
    got = [item_json(item, NOW) for item in listed]
    want = [_plain_item_json(item, NOW) for item in listed]
    assert json_text(got, indent=None) == json_text(want, indent=None)
    assert json_text(got) == json_text(want)

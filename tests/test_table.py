"""FixedTable draws what rich.table.Table draws for the same columns and cells, byte for byte.

The inbox on a terminal is drawn by FixedTable (render/table.py) for its cost;
Table stays the reference: every case here renders both through the same
console and compares the text the terminal would get, escape codes included,
in each colour system, without colour, with NO_COLOR, and without UTF-8.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from herocli.models import Item, ItemState
from herocli.render.items import inbox_table
from herocli.render.table import Column, FixedTable

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)

CONSOLES = [
    {"color_system": "truecolor", "force_terminal": True},
    {"color_system": "256", "force_terminal": True},
    {"color_system": "standard", "force_terminal": True},
    {"color_system": "standard", "force_terminal": True, "no_color": True},
    {"color_system": None},
    {"color_system": "standard", "force_terminal": True, "legacy_windows": False},
]


def _drawn(renderable: object, width: int, *, ascii_only: bool = False, **options: object) -> str:
    raw = io.BytesIO()
    out = io.TextIOWrapper(raw, encoding="ascii" if ascii_only else "utf-8", errors="replace")
    console = Console(file=out, width=width, highlight=False, **options)  # type: ignore[arg-type]
    assert console.options.ascii_only is ascii_only
    # As print_items prints a FixedTable: a table that fits is not cropped again.
    fits = isinstance(renderable, FixedTable) and renderable.width <= width
    console.print(renderable, crop=not fits)
    out.flush()
    return raw.getvalue().decode("utf-8")


def _same_everywhere(table: FixedTable, width: int) -> None:
    for options in CONSOLES:
        assert _drawn(table, width, **options) == _drawn(table.as_rich_table(), width, **options)
    # A console that cannot write UTF-8 gets Table's ASCII box.
    assert _drawn(table, width, ascii_only=True) == _drawn(
        table.as_rich_table(), width, ascii_only=True
    )


# Text as strangers write it, cleaned as safe() cleans it: wide CJK, emoji, combining marks.
_plain = st.lists(
    st.sampled_from([*"abc xyz-_.,:#", "日", "本", "😀", "é", "e\u0301", "\uff57", "…"]),
    max_size=30,
).map(lambda parts: " ".join("".join(parts).split()))
_styles = st.sampled_from(["", "dim", "bold yellow", "bold red", "blue", "magenta", "green"])
_cells = st.tuples(_plain, _styles)


@settings(max_examples=60, deadline=None, print_blob=True)
@given(
    widths=st.lists(st.integers(1, 14), min_size=1, max_size=6),
    data=st.data(),
    title=st.one_of(st.none(), _plain),
    console_width=st.integers(20, 130),
)
def test_any_one_line_cells_are_drawn_as_table_draws_them(
    widths: list[int], data: st.DataObject, title: str | None, console_width: int
) -> None:
    _same_everywhere(_any_table(data, widths, title or None, max_rows=5), console_width)


def _any_table(
    data: st.DataObject, widths: list[int], title: str | None, *, max_rows: int
) -> FixedTable:
    """A table of drawn columns of ``widths`` (either justification, bold or not) and rows."""
    columns = [
        Column(
            f"H{i}",
            width,
            justify=data.draw(st.sampled_from(["left", "right"])),
            style=data.draw(st.sampled_from(["", "bold"])),
        )
        for i, width in enumerate(widths)
    ]
    rows = data.draw(
        st.lists(
            st.lists(_cells, min_size=len(widths), max_size=len(widths)),
            min_size=1,
            max_size=max_rows,
        )
    )
    return FixedTable(columns, rows, title=title)


def _item(n: int, **fields: object) -> Item:
    start = NOW - timedelta(minutes=7 * n)
    values: dict[str, object] = {
        "id": n,
        "channel": ("github", "email", "slack", "other")[n % 4],
        "external_id": f"x{n}",
        "title": f"Customer question {n}: " + "something does not work " * (n % 3),
        "url": None,
        "state": ItemState.OPEN,
        "snoozed_until": None,
        "remote_state": None,
        "assignee": ("Hana", None, "Ravi Shankar-Longname")[n % 3],
        "labels": (("bug", "p1"), (), ("billing",))[n % 3],
        "created_at": start,
        "updated_at": start,
        "closed_at": None,
        "message_count": 2,
        "first_message_at": start,
        "last_message_at": start,
        "last_author": "Customer 日本 " * (n % 2) + "Name",
        "last_from_team": n % 5 == 0,
        "waiting_since": start,
        **fields,
    }
    return Item(**values)  # type: ignore[arg-type]


def test_the_inbox_is_drawn_as_its_table_at_every_width() -> None:
    items = [_item(n) for n in range(1, 12)]
    items.append(_item(12, state=ItemState.SNOOZED, snoozed_until=NOW + timedelta(hours=2)))
    items.append(_item(13, state=ItemState.CLOSED, meta={"why": "not_planned"}))
    items.append(_item(14, meta={"provisional": True}, reply_uncertain=True, last_from_team=False))
    # From a wide terminal to one so narrow the side columns go, and one where even the
    # title cannot keep 12 cells (there Table shrinks the columns itself).
    for width in (200, 120, 100, 80, 60, 45, 30):
        table = inbox_table(items, NOW, title="14 items waiting on us · synced 3m ago", width=width)
        _same_everywhere(table, width)


def test_an_inbox_table_on_a_plain_console_has_its_columns_and_no_escape() -> None:
    out = _drawn(inbox_table([_item(1), _item(2)], NOW, title="2 items", width=140), 140)
    lines = out.splitlines()
    assert lines[0].rstrip() == "2 items"
    headers = [cell.strip() for cell in lines[2].split("┃")[1:-1]]
    assert headers == ["#", "Chan", "Title", "Waiting", "For", "Last from", "Assignee", "Labels"]
    assert lines[4].split("│")[1].strip() == "1"
    assert "\x1b" not in out

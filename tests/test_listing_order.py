"""Every listing of the queue holds exactly the items its filter names, in the inbox order.

The listing query reads the queue in slices (open, due snoozes, snoozed, closed) so the
index gives the order; this holds it to the plain definition, worked out here in Python
over random queues: the effective state (a due snooze is open), whose turn it is,
merged items left out, then the longest wait first, the least recently active next.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from herocli.models import ItemState, Waiting
from herocli.store import Store, queue
from herocli.store.queue import ItemFilter
from herocli.store.timefmt import to_db

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
# A few minutes apart, so ties in the order are common.
times = st.integers(-3, 3).map(lambda m: to_db(NOW + timedelta(minutes=m)))

rows = st.fixed_dictionaries(
    {
        "state": st.sampled_from(["open", "snoozed", "closed"]),
        "snoozed_until": times,
        "last_from_team": st.sampled_from([0, 1, None]),
        "waiting_since": st.none() | times,
        "last_message_at": st.none() | times,
        "channel": st.sampled_from(["github", "email"]),
        "merged": st.booleans(),
    }
)
filters = st.builds(
    ItemFilter,
    states=st.lists(st.sampled_from(list(ItemState)), max_size=3).map(tuple),
    waiting=st.sampled_from([Waiting.US, Waiting.THEM, None]),
    channels=st.sampled_from([(), ("email",)]),
    limit=st.none() | st.integers(1, 6),
)


@contextmanager
def _queue() -> Iterator[Store]:
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(Path(tmp) / "queue.db")
        try:
            yield store
        finally:
            store.close()


def _fill(store: Store, items: list[dict[str, Any]]) -> None:
    db = store.conn
    db.execute("DELETE FROM items")
    for n, item in enumerate(items, start=1):
        db.execute(
            "INSERT INTO items (id, channel, external_id, title, state, snoozed_until, meta, "
            "created_at, updated_at, last_from_team, waiting_since, last_message_at) "
            "VALUES (?, ?, ?, ?, ?, ?, '{}', ?, ?, ?, ?, ?)",
            (
                n,
                item["channel"],
                f"t{n}",
                f"T{n}",
                item["state"],
                item["snoozed_until"] if item["state"] == "snoozed" else None,
                to_db(NOW),
                to_db(NOW),
                item["last_from_team"],
                item["waiting_since"],
                item["last_message_at"],
            ),
        )
    for n, item in enumerate(items, start=1):
        if item["merged"] and n > 1:
            db.execute("UPDATE items SET merged_into = 1 WHERE id = ?", (n,))


def _expected(items: list[dict[str, Any]], f: ItemFilter) -> list[int]:
    now = to_db(NOW)

    def effective(item: dict[str, Any]) -> ItemState:
        if item["state"] == "snoozed":
            return ItemState.SNOOZED if item["snoozed_until"] > now else ItemState.OPEN
        return ItemState(item["state"])

    turn = {Waiting.US: 0, Waiting.THEM: 1}
    chosen = [
        (n, item)
        for n, item in enumerate(items, start=1)
        if not (item["merged"] and n > 1)
        and (not f.states or effective(item) in f.states)
        and (f.waiting is None or item["last_from_team"] == turn[f.waiting])
        and (not f.channels or item["channel"] in f.channels)
    ]

    def order(entry: tuple[int, dict[str, Any]]) -> tuple[Any, ...]:
        n, item = entry
        waited, active = item["waiting_since"], item["last_message_at"]
        # SQLite sorts NULL first; an unset wait goes last.
        return (waited is None, waited or "", active is not None, active or "", n)

    ids = [n for n, _ in sorted(chosen, key=order)]
    return ids[: f.limit] if f.limit else ids


@settings(max_examples=150)
@given(items=st.lists(rows, max_size=12), f=filters)
def test_a_listing_is_its_filter_in_the_inbox_order(
    items: list[dict[str, Any]], f: ItemFilter
) -> None:
    with _queue() as store:
        _fill(store, items)
        expected = _expected(items, f)
        assert [i.id for i in queue.list_items(store.conn, f, NOW)] == expected
        assert queue.item_ids(store.conn, f, NOW) == expected
        unlimited = ItemFilter(states=f.states, waiting=f.waiting, channels=f.channels)
        assert queue.count_items(store.conn, f, NOW) == len(_expected(items, unlimited))

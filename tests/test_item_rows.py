"""An item as the queue reads it: every field from its column, and meta decoded when read."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from herocli.exchange import Conversation
from herocli.models import Item, ItemState, Message, RemoteState
from herocli.records import field_names, replace
from herocli.render.rows import item_json
from herocli.store import Store, queue
from herocli.store import ingest as store_ingest
from herocli.store.item_rows import LISTED_KEYS, JsonMeta

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


ISSUE = Conversation(
    channel="github",
    external_id="acme/widget#7",
    title="Export fails",
    url="https://example.test/7",
    remote_state=RemoteState.OPEN,
    labels=("bug",),
    meta={"repo": "acme/widget", "number": 7, "why": None},
    messages=(Message("m1", "carol", "Carol", T0, "It fails"),),
)


def _stored(tmp_path: Path) -> tuple[Store, int]:
    store = Store.open(tmp_path / "queue.db")
    with store.transaction() as db:
        result = store_ingest.ingest(db, ISSUE, lambda m: False, T0 + timedelta(minutes=5))
    return store, result.item_id


def test_a_listed_item_has_each_field_from_its_own_column(tmp_path: Path) -> None:
    # item_from_row gives Item's fields by position: a field moved in Item, or a column
    # moved in ITEM_COLUMNS, must show here as a wrong value, not pass unseen.
    store, item_id = _stored(tmp_path)
    item = queue.get_item(store.conn, item_id, T0 + timedelta(hours=1))
    assert item is not None
    row = store.conn.execute("SELECT * FROM items WHERE id = ?", (item_id,)).fetchone()
    expected = {
        "id": item_id,
        "channel": "github",
        "external_id": "acme/widget#7",
        "title": "Export fails",
        "url": "https://example.test/7",
        "state": ItemState.OPEN,
        "snoozed_until": None,
        "remote_state": RemoteState.OPEN,
        "assignee": None,
        "labels": ("bug",),
        "created_at": datetime.fromisoformat(row["created_at"]),
        "updated_at": datetime.fromisoformat(row["updated_at"]),
        "closed_at": None,
        "message_count": 1,
        "first_message_at": T0,
        "last_message_at": T0,
        "last_author": "Carol",
        "last_from_team": False,
        "waiting_since": T0,
        "meta": {"repo": "acme/widget", "number": 7, "why": None},
        "reply_uncertain": False,
    }
    assert list(expected) == list(field_names(Item))
    assert {name: getattr(item, name) for name in field_names(Item)} == expected
    assert item == Item(**expected)  # type: ignore[arg-type]
    store.close()


def test_an_unknown_stored_state_is_the_enums_own_error(tmp_path: Path) -> None:
    store, item_id = _stored(tmp_path)
    store.conn.execute("UPDATE items SET state = 'gone' WHERE id = ?", (item_id,))
    with pytest.raises(ValueError, match="'gone' is not a valid ItemState"):
        queue.get_item(store.conn, item_id, T0)
    store.close()


def test_meta_reads_as_the_dict_its_json_holds() -> None:
    text = json.dumps({"repo": "acme/widget", "nested": {"a": [1, 2]}, "why": None})
    meta = JsonMeta(text)
    assert meta == json.loads(text)
    assert json.loads(text) == meta
    assert meta != {"repo": "acme/widget"}
    assert meta["repo"] == "acme/widget"
    assert meta.get("nested") == {"a": [1, 2]}
    assert meta.get("missing") is None
    assert meta.get("missing", 3) == 3
    assert "why" in meta
    assert "missing" not in meta
    assert list(meta) == ["repo", "nested", "why"]
    assert len(meta) == 3
    assert dict(meta) == json.loads(text)
    assert json.dumps(dict(meta)) == text
    assert repr(meta) == repr(json.loads(text))
    with pytest.raises(KeyError):
        meta["missing"]
    assert JsonMeta("{}") == {}
    assert not JsonMeta("{}")


# Keys a reader asks for (identifiers, read without decoding when absent from the text)
# and keys it cannot be sure of that way, each also put in values and nested objects,
# where finding the name in the text must not count as having the key.
PROBES = ["provisional", "why", "merged_into", "ts", "a", "ü", "two words", 'q"uote', "b\\s"]
META_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.sampled_from(PROBES) | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(PROBES) | st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)


@given(
    st.dictionaries(st.sampled_from(PROBES) | st.text(max_size=8), META_VALUES, max_size=5),
    st.sampled_from([{}, {"ensure_ascii": False}, {"separators": (",", ":")}, {"indent": 1}]),
)
def test_meta_answers_each_key_as_its_decoded_dict_does(
    data: dict[str, object], how: dict[str, Any]
) -> None:
    # The store writes meta with json.dumps; whichever way, every question gets the answer
    # of the whole decoded object, asked before or after anything decoded it.
    text = json.dumps(data, **how)
    for key in [*PROBES, *data]:
        meta = JsonMeta(text)
        assert meta.get(key) == data.get(key), key
        assert meta.get(key, "absent") == data.get(key, "absent"), key
        assert (key in meta) is (key in data), key
        if key in data:
            assert meta[key] == data[key]
        else:
            with pytest.raises(KeyError):
                meta[key]
        assert meta == data
        assert meta.get(key) == data.get(key), key
    assert 1 not in JsonMeta(text)


def test_a_listings_json_reads_each_channels_stored_meta(tmp_path: Path) -> None:
    # The meta each channel stores, through the store and back: a Slack thread still
    # being read is provisional, a GitHub issue never says, a closed one says why.
    store, github = _stored(tmp_path)
    slack = Conversation(
        channel="slack",
        external_id="C1:1.0",
        title="Export slow",
        meta={"channel": "C1", "ts": "1.0", "provisional": True},
        messages=(Message("1.0", "U1", "Ann", T0, "It hangs"),),
    )
    with store.transaction() as db:
        slack_id = store_ingest.ingest(db, slack, lambda m: False, T0).item_id
        closing = replace(
            ISSUE,
            remote_state=RemoteState.CLOSED,
            meta={"repo": "acme/widget", "number": 7, "why": "not_planned"},
            closed_at=T0 + timedelta(minutes=10),
        )
        store_ingest.ingest(db, closing, lambda m: False, T0 + timedelta(minutes=10))
    now = T0 + timedelta(hours=1)
    listed = queue.list_items(store.conn, queue.ItemFilter(states=(), waiting=None), now)
    entries = {entry["number"]: entry for entry in (item_json(item, now) for item in listed)}
    assert entries[slack_id]["waiting_provisional"] is True
    assert entries[slack_id]["closed_why"] is None
    assert entries[github]["waiting_provisional"] is False
    assert (entries[github]["state"], entries[github]["closed_why"]) == ("closed", "not_planned")


_json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
    # NUL, lone surrogates, non-ASCII: what SQLite's json_extract would mangle.
    | st.text(st.characters(blacklist_categories=()), max_size=4),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=6,
)


@settings(max_examples=100, deadline=None, print_blob=True)
@given(
    meta=st.dictionaries(st.sampled_from([*LISTED_KEYS, "repo", "ts"]), _json_values, max_size=4)
)
def test_the_keys_a_listing_reads_come_from_sqlite_as_json_reads_them(
    tmp_path_factory: pytest.TempPathFactory, meta: dict[str, object]
) -> None:
    store, item_id = _stored(tmp_path_factory.mktemp("q"))
    text = json.dumps(meta)
    store.conn.execute("UPDATE items SET meta = ? WHERE id = ?", (text, item_id))
    item = queue.get_item(store.conn, item_id, T0)
    assert item is not None
    store.close()
    for key in LISTED_KEYS:
        assert (key in item.meta) is (key in meta)
        got = item.meta.get(key, "default")
        assert got == meta.get(key, "default")
        assert type(got) is type(meta.get(key, "default"))
        if key in meta:
            assert item.meta[key] == meta[key]
    assert item.meta == meta


def test_a_listing_decodes_no_meta_for_the_keys_it_reads(tmp_path: Path) -> None:
    store, item_id = _stored(tmp_path)
    store.conn.execute(
        "UPDATE items SET meta = ? WHERE id = ?",
        (json.dumps({"provisional": True, "why": "completed", "repo": "a/b"}), item_id),
    )
    item = queue.get_item(store.conn, item_id, T0)
    assert item is not None
    assert item.meta.get("provisional") is True
    assert item.meta["why"] == "completed"
    assert item.meta._data is None  # type: ignore[attr-defined]
    assert item.meta["repo"] == "a/b"  # any other key decodes it
    store.close()


def test_meta_that_is_not_json_fails_only_its_reader(tmp_path: Path) -> None:
    store, item_id = _stored(tmp_path)
    store.conn.execute("UPDATE items SET meta = ? WHERE id = ?", ('{"provisional": tru', item_id))
    item = queue.get_item(store.conn, item_id, T0)  # the listing itself reads
    assert item is not None
    with pytest.raises(json.JSONDecodeError):
        item.meta.get("provisional")
    store.close()

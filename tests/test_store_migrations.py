"""Opening a queue: every migration, an old queue upgraded with its data, a newer one refused."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from herocli.errors import StoreError
from herocli.models import Waiting
from herocli.store import Store, queue
from herocli.store.migrations import MIGRATIONS
from herocli.store.timefmt import to_db
from tests.test_store import T0, conv, get, ingest, msg


def test_a_new_queue_has_every_migration(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "q.db")
    assert store.applied_migrations() == [name for name, _ in MIGRATIONS]
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    store.close()


def test_migrations_upgrade_an_old_queue_and_keep_its_data(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    name, first = MIGRATIONS[0]
    assert name == "001_queue"
    conn.execute("CREATE TABLE schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    conn.execute("BEGIN")
    first(conn)
    conn.execute("INSERT INTO schema_migrations VALUES (?, ?)", (name, to_db(T0)))
    conn.execute(
        "INSERT INTO items (channel, external_id, title, created_at, updated_at) "
        "VALUES ('github', 'acme/widget#7', 'Old item', ?, ?)",
        (to_db(T0), to_db(T0)),
    )
    conn.execute(
        "INSERT INTO messages (item_id, external_id, author_id, author_name, from_team, sent_at, body) "
        "VALUES (1, 'c1', 'ann', 'Ann', 0, ?, 'kept body')",
        (to_db(T0),),
    )
    conn.execute("COMMIT")
    conn.close()

    store = Store.open(path)
    assert store.applied_migrations() == [n for n, _ in MIGRATIONS]
    columns = {row[1] for row in store.conn.execute("PRAGMA table_info(items)")}
    assert {"waiting_since", "last_from_team", "message_count"} <= columns
    item = get(store, 1)
    assert (item.external_id, item.title) == ("acme/widget#7", "Old item")
    assert [m.message.body for m in queue.messages(store.conn, 1)] == ["kept body"]
    # The old row works with the new code: a new message derives the new columns.
    ingest(store, conv(msg(2, "ann", 5), external_id="acme/widget#7", title="Old item"))
    item = get(store, 1)
    assert item.message_count == 2
    assert item.waiting is Waiting.US
    assert item.waiting_since == T0
    store.close()
    again = Store.open(path)  # opening an up-to-date queue runs nothing and keeps everything
    assert again.applied_migrations() == [n for n, _ in MIGRATIONS]
    assert get(again, 1).message_count == 2
    again.close()


def test_a_queue_from_a_newer_herocli_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    Store.open(path).close()
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO schema_migrations VALUES ('999_from_the_future', ?)", (to_db(T0),))
    conn.commit()
    conn.close()
    with pytest.raises(StoreError) as caught:
        Store.open(path)
    assert "newer herocli" in caught.value.message
    assert "999_from_the_future" in caught.value.message
    assert caught.value.hint == "upgrade herocli"


def test_a_file_that_is_not_a_database_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(StoreError):
        Store.open(path)

"""Replies being composed: one draft per item, kept until it is sent or discarded."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from herocli.store.timefmt import from_db, to_db


def get(db: sqlite3.Connection, item_id: int) -> tuple[str, datetime] | None:
    """The item's draft and when it was last saved, if there is one."""
    row = db.execute("SELECT body, updated_at FROM drafts WHERE item_id = ?", (item_id,)).fetchone()
    return None if row is None else (str(row[0]), from_db(row[1]))


def put(db: sqlite3.Connection, item_id: int, body: str, at: datetime) -> None:
    """Save (or replace) the item's draft."""
    db.execute(
        "INSERT INTO drafts (item_id, body, updated_at) VALUES (?, ?, ?) "
        "ON CONFLICT (item_id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at",
        (item_id, body, to_db(at)),
    )


def delete(db: sqlite3.Connection, item_id: int) -> bool:
    """Drop the item's draft; whether there was one."""
    return db.execute("DELETE FROM drafts WHERE item_id = ?", (item_id,)).rowcount > 0


def items_with_drafts(db: sqlite3.Connection) -> list[int]:
    """The items that have a draft, by number."""
    return [int(row[0]) for row in db.execute("SELECT item_id FROM drafts ORDER BY item_id")]

"""Per-channel sync cursors, stored as JSON the channel owns."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from herocli.models import JSON
from herocli.store.timefmt import from_db, to_db


def load(db: sqlite3.Connection, channel: str) -> JSON:
    import json  # here, as in save: the inbox's title asks only last_synced

    row = db.execute("SELECT data FROM cursors WHERE channel = ?", (channel,)).fetchone()
    return dict(json.loads(row[0])) if row else {}


def save(db: sqlite3.Connection, channel: str, cursor: JSON, at: datetime) -> None:
    import json

    db.execute(
        "INSERT INTO cursors (channel, data, updated_at) VALUES (?, ?, ?) "
        "ON CONFLICT (channel) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at",
        (channel, json.dumps(cursor, separators=(",", ":")), to_db(at)),
    )


#: The team mirror's read position (services/mirror): kept here, but no channel's sync.
MIRROR = "mirror"


def last_synced(db: sqlite3.Connection) -> dict[str, datetime]:
    """When each channel last synced (the mirror's cursor is not a channel's)."""
    rows = db.execute("SELECT channel, updated_at FROM cursors WHERE channel != ?", (MIRROR,))
    return {row[0]: from_db(row[1]) for row in rows}

"""Schema migrations: ordered, named, each run once and recorded in ``schema_migrations``.

Append new migrations at the end; never edit one that has shipped. Keep the
SQL plain (no SQLite-only types beyond what PostgreSQL also reads).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

Migration = Callable[[sqlite3.Connection], None]


def _run(db: sqlite3.Connection, script: str) -> None:
    # Not executescript(): it commits first, which would break the migration's transaction.
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)


def m001_queue(db: sqlite3.Connection) -> None:
    _run(
        db,
        """
        CREATE TABLE items (
            id INTEGER PRIMARY KEY,
            channel TEXT NOT NULL,
            external_id TEXT NOT NULL,
            title TEXT NOT NULL,
            url TEXT,
            state TEXT NOT NULL DEFAULT 'open',
            snoozed_until TEXT,
            remote_state TEXT,
            assignee TEXT,
            meta TEXT NOT NULL DEFAULT '{}',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            closed_at TEXT,
            UNIQUE (channel, external_id)
        );
        CREATE TABLE messages (
            id INTEGER PRIMARY KEY,
            item_id INTEGER NOT NULL REFERENCES items (id),
            external_id TEXT NOT NULL,
            author_id TEXT NOT NULL,
            author_name TEXT NOT NULL,
            from_team INTEGER NOT NULL,
            sent_at TEXT NOT NULL,
            body TEXT NOT NULL,
            url TEXT,
            deleted INTEGER NOT NULL DEFAULT 0,
            edited_at TEXT,
            attachments TEXT NOT NULL DEFAULT '[]',
            meta TEXT NOT NULL DEFAULT '{}',
            UNIQUE (item_id, external_id)
        );
        CREATE INDEX messages_external_id ON messages (external_id);
        CREATE TABLE labels (
            item_id INTEGER NOT NULL REFERENCES items (id),
            name TEXT NOT NULL,
            PRIMARY KEY (item_id, name)
        );
        CREATE TABLE notes (
            id INTEGER PRIMARY KEY,
            item_id INTEGER NOT NULL REFERENCES items (id),
            at TEXT NOT NULL,
            author TEXT,
            body TEXT NOT NULL
        );
        CREATE TABLE events (
            id INTEGER PRIMARY KEY,
            item_id INTEGER REFERENCES items (id),
            kind TEXT NOT NULL,
            at TEXT NOT NULL,
            actor TEXT,
            detail TEXT NOT NULL DEFAULT '{}'
        );
        CREATE INDEX events_item ON events (item_id, at);
        CREATE INDEX events_kind_at ON events (kind, at);
        CREATE TABLE outbox (
            id INTEGER PRIMARY KEY,
            key TEXT NOT NULL UNIQUE,
            item_id INTEGER REFERENCES items (id),
            channel TEXT NOT NULL,
            op TEXT NOT NULL,
            payload TEXT NOT NULL DEFAULT '{}',
            state TEXT NOT NULL DEFAULT 'pending',
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            sent_id TEXT,
            sent_at TEXT
        );
        CREATE INDEX outbox_state ON outbox (state, id);
        CREATE TABLE cursors (
            channel TEXT PRIMARY KEY,
            data TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        """,
    )


def m002_waiting(db: sqlite3.Connection) -> None:
    """Keep whose turn it is on the item row, so the inbox is one indexed query.

    These columns are derived from the messages on every ingest (see
    item_changes.refresh_summary), never set by hand.
    """
    _run(
        db,
        """
        ALTER TABLE items ADD COLUMN message_count INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE items ADD COLUMN first_message_at TEXT;
        ALTER TABLE items ADD COLUMN last_message_at TEXT;
        ALTER TABLE items ADD COLUMN last_author TEXT;
        ALTER TABLE items ADD COLUMN last_from_team INTEGER;
        ALTER TABLE items ADD COLUMN waiting_since TEXT;
        CREATE INDEX items_inbox ON items (state, last_from_team, waiting_since);
        CREATE INDEX items_assignee ON items (assignee);
        """,
    )


def m003_report_indexes(db: sqlite3.Connection) -> None:
    """Let stats and the handoff read a week out of years of history without a full scan."""
    _run(
        db,
        """
        CREATE INDEX items_first_message ON items (first_message_at);
        CREATE INDEX messages_item_sent ON messages (item_id, sent_at);
        CREATE INDEX messages_sent ON messages (sent_at);
        """,
    )


def m004_queue_order_indexes(db: sqlite3.Connection) -> None:
    """Read the inbox's first page and the due snoozes off an index, however big the queue.

    The inbox's order (longest wait first) is an index of its own, so a page of the
    open items is read in order and stops at the limit instead of sorting every open
    item; the snoozes that are due are found without reading every snoozed row.
    """
    _run(
        db,
        """
        DROP INDEX items_inbox;
        CREATE INDEX items_queue ON items
            (state, last_from_team, waiting_since IS NULL, waiting_since, last_message_at, id);
        CREATE INDEX items_snoozed ON items (state, snoozed_until);
        """,
    )


def m005_thread_links(db: sqlite3.Connection) -> None:
    """Let threading merge items whatever order mail arrives in.

    ``thread_links`` holds what each item's messages point at (``ref``: an id they
    answer) and the loose evidence they carry (``offer``/``seek``: a subject with a
    customer address, first and last seen); ``merged_into`` marks an item whose
    messages moved to another.
    """
    _run(
        db,
        """
        CREATE TABLE thread_links (
            item_id INTEGER NOT NULL REFERENCES items (id),
            channel TEXT NOT NULL,
            kind TEXT NOT NULL,
            link TEXT NOT NULL,
            at TEXT,
            last_at TEXT,
            PRIMARY KEY (channel, kind, link, item_id)
        );
        CREATE INDEX thread_links_item ON thread_links (item_id);
        ALTER TABLE items ADD COLUMN merged_into INTEGER REFERENCES items (id);
        """,
    )


def m006_reply_drafts(db: sqlite3.Connection) -> None:
    """Keep a reply being composed, per item, until it is sent or discarded."""
    _run(
        db,
        """
        CREATE TABLE drafts (
            item_id INTEGER PRIMARY KEY REFERENCES items (id),
            body TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        """,
    )


def m007_message_roles(db: sqlite3.Connection) -> None:
    """Say which team messages are not answers, and who really sent a reply.

    ``internal``: a teammate ping or a message addressed to a teammate; it does
    not change whose turn it is and is not a first response. ``sent_by``: the
    member who sent it through hero (the outbox knows), whatever bot or shared
    identity carried it.
    """
    _run(
        db,
        """
        ALTER TABLE messages ADD COLUMN internal INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE messages ADD COLUMN sent_by TEXT;
        """,
    )


def m008_outbox_claims(db: sqlite3.Connection) -> None:
    """Leases for exactly-once sending, and the item fields each entry sets.

    ``lease_owner``/``lease_until`` are taken in one UPDATE before anything is
    sent, so two processes never send the same entry. ``outbox_fields`` names
    what a state-setting entry changes on its item (``state``, ``assignee``,
    ``label:NAME``), so a newer entry on the same field wins over an older one.
    """
    _run(
        db,
        """
        ALTER TABLE outbox ADD COLUMN lease_owner TEXT;
        ALTER TABLE outbox ADD COLUMN lease_until TEXT;
        ALTER TABLE outbox ADD COLUMN batch TEXT;
        CREATE TABLE outbox_fields (
            entry_id INTEGER NOT NULL REFERENCES outbox (id) ON DELETE CASCADE,
            item_id INTEGER NOT NULL REFERENCES items (id),
            field TEXT NOT NULL,
            PRIMARY KEY (entry_id, field)
        );
        CREATE INDEX outbox_fields_item ON outbox_fields (item_id, field, entry_id);
        CREATE INDEX outbox_batch ON outbox (batch, id)
        """,
    )


def m009_queue_order_skips_merged(db: sqlite3.Connection) -> None:
    """Keep the inbox's page an index read now that it leaves merged items out.

    Every listing asks for ``merged_into IS NULL``; with that column first, the
    filter and the order are both read from the index, instead of every open
    item's row (32 ms on 100,000 items, against 2 ms).
    """
    _run(
        db,
        """
        DROP INDEX items_queue;
        CREATE INDEX items_queue_unmerged ON items (merged_into, state, last_from_team,
            waiting_since IS NULL, waiting_since, last_message_at, id);
        """,
    )


def m010_mirror(db: sqlite3.Connection) -> None:
    """The team mirror: each item's parent message in the mirror channel, and what was read there.

    ``mirror_threads`` holds one row per mirrored item: the parent's Slack ts once
    posted, the text last queued for it (``wanted``; ``settled`` when it shows the
    item closed) and the last message id mirrored into its thread (``upto``).
    ``mirror_seen`` records each teammate message read in a mirror thread, by its
    ts, once: relayed to the customer or kept as a note, never both, never twice.
    """
    _run(
        db,
        """
        CREATE TABLE mirror_threads (
            item_id INTEGER PRIMARY KEY REFERENCES items (id),
            channel_id TEXT,
            parent_ts TEXT,
            wanted TEXT NOT NULL,
            settled INTEGER NOT NULL DEFAULT 0,
            upto INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL
        );
        CREATE INDEX mirror_threads_parent ON mirror_threads (parent_ts);
        CREATE TABLE mirror_seen (
            ts TEXT PRIMARY KEY,
            item_id INTEGER NOT NULL REFERENCES items (id),
            kind TEXT NOT NULL,
            author TEXT,
            at TEXT NOT NULL
        )
        """,
    )


def m011_reply_delivery(db: sqlite3.Connection) -> None:
    """A team message whose send is uncertain (or was dropped) is no answer.

    ``messages.delivery`` is NULL for every message that counts, ``uncertain`` for
    an email reply whose Sent copy is still marked as sending while the outbox has
    not settled it, ``dropped`` once the hero dropped its entry; ``items.reply_uncertain``
    says an item holds an uncertain one. ``outbox.sent_id`` of an uncertain entry is
    the id the message has if it went out, which the index finds on every ingest.
    """
    _run(
        db,
        """
        ALTER TABLE messages ADD COLUMN delivery TEXT;
        ALTER TABLE items ADD COLUMN reply_uncertain INTEGER NOT NULL DEFAULT 0;
        CREATE INDEX outbox_sent_id ON outbox (sent_id)
        """,
    )


def m012_mirror_seen_edits(db: sqlite3.Connection) -> None:
    """What a teammate message in a mirror thread looked like when it was taken.

    ``mark`` is its Slack ``edited.ts`` then ('' when not edited): a later read that
    finds another one knows the message was edited after hero took it. Rows taken
    before this have none (NULL): their next read records the mark it finds.
    ``thread_ts`` is the parent it was written under (a merged item's old one, say),
    so a relayed answer's thread is read again for a while to catch such an edit.
    """
    _run(
        db,
        """
        ALTER TABLE mirror_seen ADD COLUMN mark TEXT;
        ALTER TABLE mirror_seen ADD COLUMN thread_ts TEXT;
        CREATE INDEX mirror_seen_relays ON mirror_seen (kind, at);
        """,
    )


def m013_mirror_shown(db: sqlite3.Connection) -> None:
    """Which message an item's mirror parent quotes (``shown``, a ``messages`` id).

    The parent keeps quoting it: a mail that arrives late but was written earlier goes
    into the thread, and never edits the message the team already saw out of the
    parent. Parents posted before this have none (NULL): they quote the item's first.
    """
    _run(db, "ALTER TABLE mirror_threads ADD COLUMN shown INTEGER")


MIGRATIONS: list[tuple[str, Migration]] = [
    ("001_queue", m001_queue),
    ("002_waiting", m002_waiting),
    ("003_report_indexes", m003_report_indexes),
    ("004_queue_order_indexes", m004_queue_order_indexes),
    ("005_thread_links", m005_thread_links),
    ("006_reply_drafts", m006_reply_drafts),
    ("007_message_roles", m007_message_roles),
    ("008_outbox_claims", m008_outbox_claims),
    ("009_queue_order_skips_merged", m009_queue_order_skips_merged),
    ("010_mirror", m010_mirror),
    ("011_reply_delivery", m011_reply_delivery),
    ("012_mirror_seen_edits", m012_mirror_seen_edits),
    ("013_mirror_shown", m013_mirror_shown),
]

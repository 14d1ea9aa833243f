"""Opening the queue database and running its migrations."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from herocli.errors import StoreError
from herocli.store.faults import damaged, fault_error
from herocli.store.migrations import MIGRATIONS
from herocli.store.timefmt import to_db

# Long enough that a second `hero` process waits for a sync's transaction to
# commit instead of failing with "database is locked".
BUSY_TIMEOUT_MS = 30_000


class Store:
    """A connection to the queue. Writes go through ``transaction()``."""

    def __init__(
        self, conn: sqlite3.Connection, path: Path | None, busy_timeout_ms: int = BUSY_TIMEOUT_MS
    ) -> None:
        self.conn = conn
        self.path = path
        self.busy_timeout_ms = busy_timeout_ms

    @classmethod
    def open(cls, path: Path | str, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> Store:
        """Open (creating if needed) the queue at ``path`` and bring its schema up to date.

        Every failure (read-only, full, damaged, locked) is a ``StoreError`` naming the file.
        """
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(path, isolation_level=None, timeout=busy_timeout_ms / 1000)
        except (OSError, sqlite3.Error) as exc:
            raise fault_error(path, exc) from None
        store = cls(conn, path, busy_timeout_ms)
        try:
            store._configure(wal=True)
            store.migrate()
        except sqlite3.Error as exc:
            conn.close()
            raise fault_error(path, exc) from None
        except StoreError:
            conn.close()
            raise
        return store

    @classmethod
    def memory(cls) -> Store:
        store = cls(sqlite3.connect(":memory:", isolation_level=None), None)
        store._configure(wal=False)
        store.migrate()
        return store

    def _configure(self, *, wal: bool) -> None:
        self.conn.row_factory = sqlite3.Row
        self.conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_ms)}")
        if wal:
            self._use_wal()
            self.conn.execute("PRAGMA synchronous = NORMAL")
        self.conn.execute("PRAGMA foreign_keys = ON")

    def check_integrity(self) -> None:
        """Raise ``StoreError`` unless SQLite finds the whole file sound (``quick_check``).

        Damage in pages a command does not read goes unnoticed otherwise; a sync
        checks first, so it never reports success on a damaged queue.
        """
        try:
            rows = self.conn.execute("PRAGMA quick_check").fetchall()
        except sqlite3.Error as exc:
            raise fault_error(self.path, exc) from None
        problems = [str(row[0]) for row in rows if row[0] != "ok"]
        if problems:
            raise damaged(str(self.path), problems[0][:200])

    def _use_wal(self) -> None:
        """Switch to WAL, waiting for other processes opening the same new file.

        Changing the journal mode does not go through the busy handler: two
        `hero` processes opening a fresh queue together would otherwise fail at
        once with "database is locked".
        """
        deadline = time.monotonic() + self.busy_timeout_ms / 1000
        while True:
            try:
                if self.conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                    self.conn.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.005)

    def close(self) -> None:
        self.conn.close()

    def data_version(self) -> int:
        """A number that changes when another connection commits: a cheap "did the queue change?"."""
        return int(self.conn.execute("PRAGMA data_version").fetchone()[0])

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction. BEGIN IMMEDIATE takes the write lock up front, so a
        concurrent writer waits on busy_timeout instead of failing on lock upgrade."""
        if self.conn.in_transaction:  # nested: join the outer transaction
            yield self.conn
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            # SQLite rolls back by itself on some errors (a full disk); a second
            # ROLLBACK would then hide the real error behind "no transaction is active".
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def applied_migrations(self) -> list[str]:
        rows = self.conn.execute("SELECT name FROM schema_migrations ORDER BY name").fetchall()
        return [row["name"] for row in rows]

    def migrate(self) -> None:
        """Run every migration not yet recorded, each in its own transaction."""
        self.conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
        )
        done = set(self.applied_migrations())
        known = {name for name, _ in MIGRATIONS}
        unknown = done - known
        if unknown:
            raise StoreError(
                f"the queue at {self.path} was written by a newer herocli ({', '.join(sorted(unknown))})",
                hint="upgrade herocli",
            )
        for name, migration in MIGRATIONS:
            if name in done:
                continue
            with self.transaction() as db:
                if name in set(self.applied_migrations()):  # another process just did it
                    continue
                migration(db)
                db.execute(
                    "INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)",
                    (name, to_db(datetime.now(UTC))),
                )

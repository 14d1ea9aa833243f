"""What a failing queue file is told as: one line naming the file, what is wrong, and what to do.

SQLite says the same few things whatever the command: the disk is full, the
file or its directory cannot be written, the file is damaged, another process
holds it. Each becomes a ``StoreError`` here, so no command prints a raw
``sqlite3`` error or a traceback, and none carries on as if nothing happened.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from herocli.errors import StoreError

# Every error the sqlite3 module raises; callers above the store catch this name.
DatabaseFault = sqlite3.Error

# Primary result codes (https://sqlite.org/rescode.html); extended codes keep them in the low byte.
_PERM = 3
_BUSY = 5
_LOCKED = 6
_READONLY = 8
_IOERR = 10
_CORRUPT = 11
_FULL = 13
_CANTOPEN = 14
_NOTADB = 26
_ELSEWHERE = "or point $HERO_DATA_DIR (or [store] data_dir) at a writable directory"


def fault_error(path: Path | None, exc: sqlite3.Error | OSError) -> StoreError:
    """The one line ``exc``, met while using the queue at ``path``, becomes."""
    where = str(path) if path is not None else "the in-memory queue"
    if isinstance(exc, OSError):
        return StoreError(
            f"cannot create the queue at {where}: {exc.strerror or exc}",
            hint=f"make {path.parent if path else 'its directory'} writable, {_ELSEWHERE}",
        )
    code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
    text = str(exc)
    if code == _FULL or "disk is full" in text:
        return StoreError(
            f"the disk holding the queue at {where} is full; the write under way was undone",
            hint="free some space and run it again (a sync goes on from where it stopped)",
        )
    if code in (_READONLY, _PERM, _CANTOPEN) or "readonly" in text:
        return StoreError(
            f"cannot write the queue at {where}: the file or its directory is read-only",
            hint=f"make both writable, {_ELSEWHERE}",
        )
    if code in (_BUSY, _LOCKED) or "locked" in text:
        return StoreError(
            f"the queue at {where} is locked by another hero process and stayed locked",
            hint="wait for the other process (a long sync?) to finish, then run this again",
        )
    if code in (_CORRUPT, _NOTADB) or "malformed" in text or "not a database" in text:
        return damaged(where, text)
    if code == _IOERR:
        return StoreError(
            f"cannot read or write the queue at {where}: {text}",
            hint="check the disk (and that it is still mounted), then run this again",
        )
    return StoreError(f"the queue at {where} failed: {text}")


def damaged(where: str, what: str) -> StoreError:
    """The queue file is not a sound SQLite database (truncated, overwritten, not ours)."""
    return StoreError(
        f"the queue at {where} is damaged or not a herocli queue ({what})",
        hint="restore it from a backup, or move it aside and run `hero sync` to fetch "
        "everything again (local notes, labels and assignments are lost)",
    )

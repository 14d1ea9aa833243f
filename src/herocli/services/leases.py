"""Who holds an outbox lease, and whether that process still runs.

A lease names its owner as ``host:pid:start``, ``start`` being when the process
started (from ``/proc``, or a random token where there is none). A sender
killed mid-send leaves its lease behind; on the same host another `hero` sees
that no process with that pid and start time runs any more and may take the
entry over at once (after the "did it already land?" check) instead of waiting
for the lease to run out. A pid reused by a later process does not pass for the
owner, thanks to the start time. An owner on another host, or one still
running, is trusted until its lease expires.
"""

from __future__ import annotations

import os
import socket
import uuid
from pathlib import Path

_mine: dict[int, str] = {}  # pid -> owner name; a forked child has another pid


def owner_id() -> str:
    """This process's lease owner name (a forked child gets its own)."""
    pid = os.getpid()
    if pid not in _mine:
        _mine[pid] = f"{socket.gethostname()}:{pid}:{_started(pid) or uuid.uuid4().hex[:12]}"
    return _mine[pid]


def dead(owners: list[str]) -> tuple[str, ...]:
    """The owners among ``owners`` known to have stopped (same host, process gone)."""
    host = socket.gethostname()
    me = owner_id()
    gone = []
    for owner in owners:
        name, pid, start = _parts(owner)
        if owner != me and name == host and pid is not None and not _running(pid, start):
            gone.append(owner)
    return tuple(gone)


def _parts(owner: str) -> tuple[str, int | None, str]:
    rest, _, start = owner.rpartition(":")
    name, _, pid = rest.rpartition(":")
    return name, (int(pid) if pid.isdigit() else None), start


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name, or None where there is none."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    return text.rpartition(")")[2].split()


def _started(pid: int) -> str | None:
    fields = _stat(pid)
    return fields[19] if fields and len(fields) > 19 else None  # starttime, in clock ticks


def _running(pid: int, start: str) -> bool:
    if Path("/proc/self/stat").exists():
        fields = _stat(pid)
        if fields is None:
            return False
        if fields[0] == "Z":  # killed, not yet reaped by its parent
            return False
        return not start.isdigit() or len(fields) <= 19 or fields[19] == start
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True

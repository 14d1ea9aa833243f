"""Who holds an outbox lease, and whether that process still runs.

A lease names its owner as ``host:pid:nonce``. A sender killed mid-send leaves
its lease behind; on the same host another `hero` sees the pid is gone and may
take the entry over at once (after the "did it already land?" check) instead
of waiting for the lease to run out. An owner on another host, or one whose pid
still runs, is trusted until its lease expires.
"""

from __future__ import annotations

import os
import socket
import uuid
from functools import cache
from pathlib import Path


@cache
def owner_id() -> str:
    """This process's lease owner name (stable for the life of the process)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def dead(owners: list[str]) -> tuple[str, ...]:
    """The owners among ``owners`` known to have stopped: same host, pid gone (or a zombie)."""
    host = socket.gethostname()
    me = owner_id()
    gone = []
    for owner in owners:
        name, _, rest = owner.rpartition(":")[0].rpartition(":")
        if owner == me or name != host or not rest.isdigit():
            continue
        if not _running(int(rest)):
            gone.append(owner)
    return tuple(gone)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: it runs
    try:  # a killed process its parent has not reaped yet still answers kill(0)
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return True
    return stat.rpartition(")")[2].split()[:1] != ["Z"]

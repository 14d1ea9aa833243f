"""Start `hero` commands as real processes, cheaply, and kill them with SIGKILL on request.

``python -m tests.hero_zygote`` imports herocli and every channel once, then reads one
JSON request a line from stdin: ``{"args": [...], "kill_after": seconds or null}``. For
each it forks a child that runs ``hero ARGS`` (the real CLI, real channels, a real queue
file), waits up to ``kill_after`` and sends SIGKILL if the child still runs, reaps it at
once (a zombie would still look alive to the lease check) and answers one JSON line:
``{"pid", "code", "killed", "seconds"}``. Forking from a process that has already
imported everything makes a round cost milliseconds instead of a Python start-up.

``python -m tests.hero_zygote --loop STOPFILE`` runs ``hero outbox retry`` over and over
until STOPFILE exists, then prints how many times it ran: the second process of the
crash tests.

The clock is the wall clock with sleeps cut to a millisecond, so GitHub's pacing and
Slack's rate buckets do not stretch a test to minutes (time is patched; our code is not).
"""

from __future__ import annotations

import io
import json
import os
import select
import signal
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console

import herocli.channels.github
import herocli.channels.mail.channel
import herocli.channels.slack
import herocli.cli.main
import herocli.services.outbox  # noqa: F401  (imported before forking)
from herocli.cli.main import run_cli
from herocli.context import Context

LOG = os.environ.get("HERO_ZYGOTE_LOG")  # where each run's output goes, when debugging


class QuickClock:
    """Wall-clock time; sleeps of at most a millisecond."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def sleep(self, seconds: float) -> None:
        time.sleep(min(max(seconds, 0.0), 0.001))


def run(args: list[str]) -> int:
    """One `hero ARGS` in this process, output discarded."""
    sink = io.StringIO()
    ctx = Context(
        clock=QuickClock(),
        out=Console(file=sink, width=120),
        err=Console(file=sink, width=120),
    )
    try:
        return run_cli(["--debug", *args] if LOG else args, ctx)
    finally:
        ctx.close()
        if LOG:
            with open(LOG, "a", encoding="utf-8") as log:
                log.write(f"$ hero {' '.join(args)}  [{os.getpid()}]\n{sink.getvalue()}")


def _child(args: list[str]) -> None:
    code = 1
    try:
        code = run(args)
    finally:
        os._exit(code)


def serve() -> None:
    for line in sys.stdin:
        request = json.loads(line)
        started = time.monotonic()
        pid = os.fork()
        if pid == 0:
            _child(list(request["args"]))
        fd = os.pidfd_open(pid)
        kill_after = request.get("kill_after")
        ready, _, _ = select.select([fd], [], [], kill_after)
        killed = False
        if not ready:
            os.kill(pid, signal.SIGKILL)
            killed = True
        _, status = os.waitpid(pid, 0)
        os.close(fd)
        answer = {
            "pid": pid,
            "code": os.waitstatus_to_exitcode(status),
            "killed": killed,
            "seconds": time.monotonic() - started,
        }
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


def loop(stop: Path, args: list[str]) -> None:
    runs = 0
    while not stop.exists():
        run(args)
        runs += 1
        time.sleep(0.01)  # leave the other core some room on a busy machine
    print(runs, flush=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--loop"]:
        loop(Path(sys.argv[2]), sys.argv[3:] or ["outbox", "retry"])
    else:
        serve()

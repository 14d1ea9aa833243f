"""Start `hero` commands as real processes, cheaply, and kill them with SIGKILL on request.

``python -m tests.hero_zygote`` imports herocli and every channel once, then reads one
JSON request a line from stdin: ``{"args": [...], "kill_after": seconds or null}``. For
each it forks a child that runs ``hero ARGS`` (the real CLI, real channels, a real queue
file), waits up to ``kill_after`` and sends SIGKILL if the child still runs, reaps it at
once (a zombie would still look alive to the lease check) and answers one JSON line:
``{"pid", "code", "killed", "seconds"}``. Optional keys: ``"kill_on": path`` kills the
child as soon as that file exists (a test's server, stalled at a chosen request, makes
it); ``"env": {...}`` adds to the child's environment (another world's config);
``"alongside": [...]`` forks a second `hero` at the same time, answered as
``"alongside_code"`` once both ended. Forking from a process that has already
imported everything makes a round cost milliseconds instead of a Python start-up.

``python -m tests.hero_zygote --loop STOPFILE`` runs ``hero outbox retry`` over and over
until STOPFILE exists (or the process that started it is gone), then prints how many
times it ran: the second process of the crash tests.

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


def _child(args: list[str], env: dict[str, str]) -> None:
    code = 1
    try:
        os.environ.update(env)
        code = run(args)
    finally:
        os._exit(code)


def _fork(args: list[str], env: dict[str, str]) -> int:
    pid = os.fork()
    if pid == 0:
        _child(args, env)
    return pid


def _wait(pid: int, kill_after: float | None, kill_on: str | None) -> tuple[int, bool]:
    """Reap ``pid``, sent SIGKILL first after ``kill_after`` seconds or once ``kill_on`` exists."""
    fd = os.pidfd_open(pid)
    deadline = None if kill_after is None else time.monotonic() + kill_after
    killed = False
    while True:
        left = None if deadline is None else max(0.0, deadline - time.monotonic())
        step = left if kill_on is None else min(left if left is not None else 0.005, 0.005)
        ready, _, _ = select.select([fd], [], [], step)
        if ready:
            break
        if (deadline is not None and time.monotonic() >= deadline) or (
            kill_on is not None and os.path.exists(kill_on)
        ):
            os.kill(pid, signal.SIGKILL)
            killed = True
            break
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), killed


def serve() -> None:
    for line in sys.stdin:
        request = json.loads(line)
        started = time.monotonic()
        env = dict(request.get("env") or {})
        pid = _fork(list(request["args"]), env)
        alongside = request.get("alongside")
        other = _fork(list(alongside), env) if alongside else None
        code, killed = _wait(pid, request.get("kill_after"), request.get("kill_on"))
        answer = {
            "pid": pid,
            "code": code,
            "killed": killed,
            "seconds": time.monotonic() - started,
        }
        if other is not None:
            answer["alongside_code"] = _wait(other, None, None)[0]
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


def loop(stop: Path, args: list[str]) -> None:
    runs = 0
    parent = os.getppid()
    # Also stop when the test that started it is gone (killed, interrupted): nothing
    # would ever write STOPFILE, and the loop would hold a core for good.
    while not stop.exists() and os.getppid() == parent:
        run(args)
        runs += 1
        time.sleep(0.01)  # leave the other core some room on a busy machine
    print(runs, flush=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--loop"]:
        loop(Path(sys.argv[2]), sys.argv[3:] or ["outbox", "retry"])
    else:
        serve()

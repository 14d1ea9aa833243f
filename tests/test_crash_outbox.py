"""Kill `hero` with SIGKILL at random points of every write while `hero outbox retry` loops.

Per channel, one long-lived server (the GitHub or Slack simulator, an IMAP server and an
aiosmtpd sink) answers slowly. A zygote process forks a real `hero` for each round and
kills it after a random delay; a second process runs `hero outbox retry` in a loop the
whole time. At the end the outbox is drained and the server's own state is compared with
the outbox: every write landed exactly once (email: exactly once, or at most once and
shown as uncertain), no message upstream without its entry, and every item field holds
the value of the newest write on it. The seed is printed; HERO_CRASH_SEED replays one.
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.outbox_worlds import (
    GithubWorld,
    SlackWorld,
    World,
    email_world,
    github_world,
    slack_world,
)

ROUNDS = int(os.environ.get("HERO_CRASH_ROUNDS", "100"))
ROOT = Path(__file__).parent.parent
TEXTS = ("Thanks, looking into it.", "Fixed in 1.2.3.", "Could you send the log?")


class Zygote:
    """The forking `hero` starter (tests/hero_zygote.py) for one world."""

    def __init__(self, world: World) -> None:
        self.env = world.process_env(dict(os.environ))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.hero_zygote"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env=self.env,
        )

    def run(self, args: list[str], kill_after: float | None = None, **more: Any) -> dict[str, Any]:
        """`hero ARGS` forked; ``more``: the zygote's other keys (``kill_on``, ``env``, ...)."""
        assert self.proc.stdin is not None
        assert self.proc.stdout is not None
        request = {"args": args, "kill_after": kill_after, **more}
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        return dict(json.loads(self.proc.stdout.readline()))

    def stop(self) -> None:
        assert self.proc.stdin is not None
        assert self.proc.stdout is not None
        self.proc.stdin.close()  # the zygote ends at the end of its input
        self.proc.wait(timeout=30)
        self.proc.stdout.close()


@contextmanager
def retry_loop(world: World, zygote: Zygote, *args: str) -> Iterator[Callable[[], int]]:
    """A second process running `hero outbox retry` (or `hero ARGS`) over and over; yields
    its stopper."""
    stop = world.root / f"stop-{'-'.join(args) or 'retrying'}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.hero_zygote", "--loop", str(stop), *args],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=zygote.env,
    )

    def stopper() -> int:
        stop.touch()
        out, _ = proc.communicate(timeout=60)
        return int(out.strip() or 0)

    try:
        yield stopper
    finally:
        if proc.poll() is None:
            stopper()


@dataclass
class Tally:
    """What the final comparison found."""

    entries: int = 0
    doubled: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)
    uncertain: int = 0
    superseded: int = 0
    wrong_state: list[str] = field(default_factory=list)
    strangers: list[str] = field(default_factory=list)


def _entries(world: World) -> list[sqlite3.Row]:
    db = sqlite3.connect(world.queue)
    db.row_factory = sqlite3.Row
    try:
        rows = db.execute(
            "SELECT o.*, i.external_id FROM outbox o LEFT JOIN items i ON i.id = o.item_id "
            "ORDER BY o.id"
        ).fetchall()
        return list(rows)
    finally:
        db.close()


def compare(world: World) -> Tally:
    """Every entry against the server: exactly once, nothing extra, newest write wins."""
    tally = Tally()
    rows = _entries(world)
    tally.entries = len(rows)
    upstream = Counter(world.keyed())
    known = set()
    newest: dict[tuple[int, str], sqlite3.Row] = {}
    for row in rows:
        payload = json.loads(row["payload"])
        state = row["state"]
        tally.uncertain += state == "uncertain"
        tally.superseded += state == "superseded"
        if "body" in payload:
            count = world.count(row["key"])
            known.add(row["key"])
            what = f"entry {row['id']} ({row['op']}, {state}): {count} upstream"
            if count > 1:
                tally.doubled.append(what)
            elif state == "sent" and count == 0:
                tally.lost.append(what)
        if state in ("pending", "failed", "sending"):
            tally.lost.append(f"entry {row['id']} ({row['op']}) still {state}")
        if row["op"] in ("close", "reopen") and state != "dropped":
            newest[(row["item_id"], "state")] = row
        if row["op"] == "labels" and state != "dropped":
            newest[(row["item_id"], "label")] = row
    if world.name == "email":
        from herocli.channels.mail.smtp import reply_message_id
        from tests.outbox_worlds import MAIL_FROM

        ids = {reply_message_id(k, MAIL_FROM) for k in known}
        tally.strangers = [m for m in upstream if m not in ids]
    else:
        tally.strangers = [k for k in upstream if k not in known]
    for (item_id, what), row in newest.items():
        number = int(str(row["external_id"]).rsplit("#", 1)[-1]) if world.name == "github" else 0
        if world.name == "slack":
            assert isinstance(world, SlackWorld)
            number = _slack_number(world, str(row["external_id"]))
        if what == "state" and isinstance(world, GithubWorld | SlackWorld):
            want = row["op"] == "close"
            if world.closed(number) != want:
                tally.wrong_state.append(f"item {item_id}: newest is {row['op']} {row['id']}")
        if what == "label" and isinstance(world, GithubWorld):
            want = "urgent" in json.loads(row["payload"]).get("add", [])
            if ("urgent" in world.labels(number)) != want:
                tally.wrong_state.append(f"item {item_id}: newest label entry {row['id']}")
    return tally


def _slack_number(world: SlackWorld, external_id: str) -> int:
    return world.parents.index(external_id.partition(":")[2]) + 1


def _kinds(world: World) -> list[tuple[str, Callable[[int, str], list[str]]]]:
    reply = ("reply", lambda n, text: ["reply", str(n), "-m", text, "--yes"])
    if world.name == "email":
        return [reply]
    kinds = [
        reply,
        ("close", lambda n, _t: ["close", str(n)]),
        ("reopen", lambda n, _t: ["reopen", str(n)]),
        ("ping", lambda n, _t: ["assign", str(n), "Ravi", "--ping"]),
    ]
    if world.name == "github":
        kinds += [
            ("label+", lambda n, _t: ["label", str(n), "+urgent"]),
            ("label-", lambda n, _t: ["label", str(n), "--", "-urgent"]),
            (
                "handoff",
                lambda _n, _t: ["handoff", "--to", "Ravi", "--post", "github:acme/widget#1"],
            ),
        ]
    else:
        kinds.append(
            ("handoff", lambda _n, _t: ["handoff", "--to", "Ravi", "--post", "slack:#support"])
        )
    return kinds


def crash_rounds(world: World, rounds: int, latency: float) -> Tally:
    seed = int(os.environ.get("HERO_CRASH_SEED") or random.randrange(2**32))
    rng = random.Random(seed)
    started = time.monotonic()
    zygote = Zygote(world)
    try:
        synced = zygote.run(["sync"])
        assert synced["code"] == 0, synced
        world.set_latency(latency)
        kinds = _kinds(world)
        # How long each write takes here, now: kills are spread over that span.
        took = {name: [zygote.run(args(1, TEXTS[0]))["seconds"]] for name, args in kinds}
        killed = 0
        with retry_loop(world, zygote) as stop_retrying:
            for _ in range(rounds):
                name, args = rng.choice(kinds)
                number = rng.randint(1, world.items)
                span = 1.2 * sorted(took[name])[len(took[name]) // 2]
                kill_after = rng.uniform(0.0, span) if rng.random() < 0.85 else None
                answer = zygote.run(args(number, rng.choice(TEXTS)), kill_after)
                if answer["killed"]:
                    killed += 1
                else:
                    took[name].append(answer["seconds"])
            retries = stop_retrying()
        world.set_latency(0.0)
        for _ in range(5):  # drain: every entry finished, or parked as uncertain
            zygote.run(["outbox", "retry"])
            if all(r["state"] not in ("pending", "failed", "sending") for r in _entries(world)):
                break
    finally:
        zygote.stop()
    tally = compare(world)
    print(
        f"\ncrash test {world.name}: seed={seed} rounds={rounds} killed={killed} "
        f"retry-loop runs={retries} entries={tally.entries} doubled={len(tally.doubled)} "
        f"lost={len(tally.lost)} uncertain={tally.uncertain} superseded={tally.superseded} "
        f"wrong state={len(tally.wrong_state)} time={time.monotonic() - started:.1f}s"
    )
    problems = tally.doubled + tally.lost + tally.wrong_state + tally.strangers
    assert not problems, f"seed {seed} (HERO_CRASH_SEED={seed} replays it): {problems}"
    return tally


# 100 rounds take 15-50 s on two busy cores; the bound is for a machine far busier still.
pytestmark = pytest.mark.timeout(300)


def test_github_writes_land_exactly_once_through_kills(tmp_path: Path) -> None:
    with github_world(tmp_path / "gh") as world:
        crash_rounds(world, ROUNDS, latency=0.02)


def test_slack_writes_land_exactly_once_through_kills(tmp_path: Path) -> None:
    with slack_world(tmp_path / "slack") as world:
        crash_rounds(world, ROUNDS, latency=0.02)


def test_email_replies_land_at_most_once_and_never_silently_twice(tmp_path: Path) -> None:
    with email_world(tmp_path / "mail") as world:
        tally = crash_rounds(world, ROUNDS, latency=0.03)
        assert tally.entries > 0

"""Kill `hero sync` with SIGKILL at random points of relaying teammates' answers, while two
more processes loop `hero outbox retry` and `hero sync`: every answer reaches its customer
exactly once.

The world is the mirror's (GitHub and Slack simulators, an IMAP server and an aiosmtpd
sink, answering slowly). Each round a teammate writes a prefixed answer and some
chatter in one parent's thread, then a forked `hero sync` is killed after a random
delay (or left to finish). At the end the server's own state is compared with what the
teammates wrote: each answer once on its channel (email: once, or not at all and shown
as uncertain), no chatter anywhere upstream, one parent per item. The seed is printed;
HERO_CRASH_SEED replays one.
"""

from __future__ import annotations

import os
import random
import sqlite3
import time
from pathlib import Path

import pytest

from herocli.services.mirror_writes import relay_key
from tests.mirror_world import MIRROR, MirrorWorld, mirror_world
from tests.test_crash_outbox import Zygote, retry_loop

ROUNDS = int(os.environ.get("HERO_MIRROR_CRASH_ROUNDS", "18"))

pytestmark = pytest.mark.timeout(300)


def _uncertain(world: MirrorWorld) -> int:
    db = sqlite3.connect(world.queue)
    try:
        row = db.execute("SELECT COUNT(*) FROM outbox WHERE state = 'uncertain'").fetchone()
        return int(row[0])
    finally:
        db.close()


def _settle(world: MirrorWorld, zygote: Zygote) -> None:
    for _ in range(4):  # a few full runs: every entry finished, or parked as uncertain
        assert zygote.run(["sync"])["code"] in (0, 1)
        zygote.run(["outbox", "retry"])


def test_relayed_answers_land_exactly_once_through_kills(tmp_path: Path) -> None:
    seed = int(os.environ.get("HERO_CRASH_SEED") or random.randrange(2**32))
    rng = random.Random(seed)
    started = time.monotonic()
    with mirror_world(tmp_path / "world") as world:
        zygote = Zygote(world)
        try:
            assert zygote.run(["sync"])["code"] == 0
            # "*#1* · GitHub · ...": the item's channel is the parent's second field.
            sources = {"GitHub": "github", "Email": "email", "Slack": "slack"}
            parents = {p["text"].split(" · ")[0]: p["ts"] for p in world.parents()}
            where = {
                p["text"].split(" · ")[0]: sources[p["text"].split(" · ")[1]]
                for p in world.parents()
            }
            numbers = sorted(parents)
            world.slack.latency = world.github.latency = 0.02
            assert world.smtp is not None
            world.smtp.delay = 0.03
            took = [zygote.run(["sync"])["seconds"]]
            answers: dict[str, tuple[str, str]] = {}  # text -> (item number, its ts)
            chatter: list[str] = []
            killed = 0
            # Two more processes loop all along: `hero outbox retry`, and `hero sync`
            # (two syncs reading the same threads and relaying at once).
            with (
                retry_loop(world, zygote) as stop_retrying,
                retry_loop(world, zygote, "sync") as stop_syncing,
            ):
                for round_ in range(ROUNDS):
                    number = rng.choice(numbers)
                    answer = f"Answer {round_} for {number}."
                    note = f"Chatter {round_} for {number}."
                    world.teammate_says(parents[number], note)
                    ts = world.teammate_says(parents[number], f"!reply {answer}")
                    answers[answer] = (number, ts)
                    chatter.append(note)
                    span = 1.5 * sorted(took)[len(took) // 2]
                    kill_after = rng.uniform(0.0, span) if rng.random() < 0.8 else None
                    ran = zygote.run(["sync"], kill_after)
                    if ran["killed"]:
                        killed += 1
                    else:
                        took.append(ran["seconds"])
                retries = stop_retrying() + stop_syncing()
            world.slack.latency = world.github.latency = 0.0
            world.smtp.delay = 0.0
            _settle(world, zygote)
        finally:
            zygote.stop()
        problems = []
        uncertain = _uncertain(world)
        for answer, (number, ts) in answers.items():
            counts = world.landed(relay_key(MIRROR, ts), answer)
            channel = where[number]
            others = {c: n for c, n in counts.items() if c != channel and n}
            wanted = (0, 1) if channel == "email" and uncertain else (1,)
            if counts[channel] not in wanted or others:
                problems.append(f"{answer!r}: {counts}")
        for note in chatter:
            if any(world.upstream(note).values()):
                problems.append(f"chatter sent: {note!r}")
        if len(world.parents()) != 3:
            problems.append(f"{len(world.parents())} parents")
        print(
            f"\nmirror crash test: seed={seed} rounds={ROUNDS} killed={killed} "
            f"retry-loop runs={retries} uncertain={uncertain} "
            f"time={time.monotonic() - started:.1f}s"
        )
        assert not problems, f"seed {seed} (HERO_CRASH_SEED={seed} replays it): {problems}"

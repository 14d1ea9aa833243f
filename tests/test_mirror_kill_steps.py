"""Kill `hero sync` with SIGKILL at each upstream request of a relay, one by one, and retry.

The scenario is the mirror's world (tests/mirror_world.py): an email, a GitHub issue and
a Slack question, each with its parent in #team; in each parent's thread a teammate
writes an internal note and a prefixed answer. The sync that then relays the three
answers makes a fixed sequence of requests to the Slack and GitHub simulators, the
aiosmtpd sink and the IMAP server (each HTTP request, each SMTP DATA, and each IMAP write:
the APPEND of the Sent copy marked as sending, the STORE that clears the mark, the STORE
of \\Answered, seen through the proxy of tests/imap_steps.py). A first run numbers them. Then, for each step k, in a fresh world: `hero sync` runs as a real
process, the server stalls at request k, either *after* carrying it out (its answer not
yet sent) or *before* (and then drops it unapplied), hero is killed with SIGKILL while
it waits, the server is let go, and a second `hero sync` runs with `hero outbox retry`
at the same moment. A last `hero sync` settles. Checked against the servers' own state:
every answer landed once on its customer's channel (a GitHub comment, a threaded Slack
reply, one SMTP message in the right thread), or, for the email, exactly when the kill
hit while its Sent copy was marked as sending (from the APPEND taking effect to the
STORE clearing the mark taking effect: SMTP may or may not have taken it), it is
*uncertain*, at most once upstream, never resent, and its thread says so; never two
answers; no note ever left; one parent per item.

By default each request name is stalled at its first occurrence, in both variants (every
kind of request at least once); HERO_MIRROR_KILL_STEPS=all stalls every request.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from herocli.channels.slack.convert import message_key
from herocli.services.mirror_writes import relay_key
from tests.imap_steps import ImapSteps
from tests.mail_servers import ImapServer, dovecot_available, imap_server
from tests.mirror_world import MIRROR, QUESTION_ID, MirrorWorld, mirror_world
from tests.outbox_worlds import hero
from tests.slack_fixtures import SUPPORT
from tests.test_crash_outbox import Zygote, _entries

EVERY_STEP = os.environ.get("HERO_MIRROR_KILL_STEPS") == "all"
SMTP_STEP = "SMTP DATA"
APPEND_STEP = "IMAP APPEND"  # the Sent copy, marked as sending
UNMARK_STEP = "IMAP UID STORE -FLAGS"  # the mark cleared: the copy says "sent"
CONFIRM = "incoming_envelope"

pytestmark = pytest.mark.timeout(600)


class Steps:
    """Numbers the requests the world's servers get, and stalls one of them.

    Installed as the simulators' ``hold`` and the SMTP sink's: hero makes one request
    at a time, so the request being held is always the last one numbered.
    """

    def __init__(self, world: MirrorWorld, proxy: ImapSteps, kill_file: Path) -> None:
        self.names: list[str] = []
        self.at: int | None = None  # the step to stall
        self.applied = True  # stall after the request was carried out, or before
        self.kill_file = kill_file
        self.release = threading.Event()
        self._lock = threading.Lock()
        assert world.smtp is not None
        world.slack.hold = world.github.hold = self.hold
        world.smtp.hold = lambda kept: self.hold(SMTP_STEP, kept)
        proxy.hold = self.hold

    def hold(self, name: str, applied: bool) -> bool:
        with self._lock:
            if not applied:
                self.names.append(name)
            stall = self.at == len(self.names) - 1 and self.applied == applied
        if not stall:
            return True
        self.kill_file.touch()  # the zygote kills hero on seeing it
        assert self.release.wait(60), "the test never let the server go"
        return applied  # before: dropped unapplied; after: answered to a dead client

    def let_go(self) -> None:
        self.at = None
        self.release.set()


@dataclass
class Relay:
    """One item's teammate answer and note, and where the answer must land."""

    number: str
    channel: str
    answer: str
    note: str
    ts: str = ""

    @property
    def key(self) -> str:
        return relay_key(MIRROR, self.ts)


@dataclass
class Run:
    world: MirrorWorld
    steps: Steps
    relays: list[Relay] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)


@contextmanager
def relay_world(root: Path, imap: ImapServer, proxy: ImapSteps) -> Iterator[Run]:
    """A fresh world whose next sync relays three answers, its requests numbered."""
    with mirror_world(root, imap=imap, imap_port=proxy.port) as world:
        first = hero(world, "sync")  # the parents, in this process: not a step
        assert first.code == 0, first
        sources = {"GitHub": "github", "Email": "email", "Slack": "slack"}
        run = Run(world, Steps(world, proxy, root / "kill"), env=world.process_env({}))
        for parent in world.parents():
            number, source = parent["text"].split(" · ")[:2]
            relay = Relay(
                number,
                sources[source],
                f"Answer for {number}: it is fixed.",
                f"Note on {number}: not for the customer.",
            )
            world.teammate_says(parent["ts"], relay.note)
            relay.ts = world.teammate_says(parent["ts"], f"!reply {relay.answer}")
            run.relays.append(relay)
        yield run


def _states(world: MirrorWorld) -> dict[str, str]:
    return {str(row["key"]): str(row["state"]) for row in _entries(world)}


def _problems(run: Run, unknown: bool, settled: bool) -> list[str]:
    """What is wrong upstream: ``settled`` wants every answer landed (or, for the email
    when ``unknown``, uncertain)."""
    world, problems = run.world, []
    states = _states(world)
    for relay in run.relays:
        counts = world.landed(relay.key, relay.answer)
        others = {c: n for c, n in counts.items() if c != relay.channel and n}
        here = counts[relay.channel]
        state = states.get(relay.key)
        if others or here > 1:
            problems.append(f"{relay.number} landed {counts}")
        if not settled:
            continue
        uncertain = state == "uncertain"
        if uncertain != (relay.channel == "email" and unknown):
            problems.append(f"{relay.number}: entry {state}")
        if uncertain:
            notices = [
                m
                for m in world.thread(world.parent_for(int(relay.number[2:-1]))["ts"])
                if message_key(m) == f"{relay.key}-failed"
            ]
            if len(notices) != 1 or "may not have reached" not in str(notices[0]["text"]):
                problems.append(f"{relay.number}: uncertain, thread told {notices}")
        elif here != 1:
            problems.append(f"{relay.number} ({state}) landed {counts}")
        else:
            problems += _delivered_well(world, relay)
    for relay in run.relays:
        if any(world.upstream(relay.note).values()):
            problems.append(f"note left: {relay.note!r}")
    numbers = sorted(p["text"].split(" · ")[0] for p in world.parents())
    if numbers != sorted(r.number for r in run.relays):
        problems.append(f"parents {numbers}")
    if settled:
        unfinished = {k: s for k, s in states.items() if s not in ("sent", "uncertain")}
        if unfinished:
            problems.append(f"unfinished {unfinished}")
    return problems


def _delivered_well(world: MirrorWorld, relay: Relay) -> list[str]:
    """The landed answer is threaded where its customer reads, and confirmed in #team."""
    problems = []
    if relay.channel == "email":
        mail = next(m for m in world.mails() if relay.answer in str(m.get_payload(decode=True)))
        if str(mail["In-Reply-To"]).strip() != QUESTION_ID:
            problems.append(f"{relay.number}: In-Reply-To {mail['In-Reply-To']}")
    if relay.channel == "slack":
        top = [m for m in world.slack.messages(SUPPORT) if relay.answer in str(m.get("text"))]
        if any(m.get("thread_ts", m["ts"]) == m["ts"] for m in top):
            problems.append(f"{relay.number}: posted at the top of the channel")
    reactions = world.slack.message(MIRROR, relay.ts).get("reactions") or []
    if [r["count"] for r in reactions if r["name"] == CONFIRM] != [1]:
        problems.append(f"{relay.number}: reactions {reactions}")
    return problems


def _chosen(names: list[str]) -> list[tuple[int, bool]]:
    """The (step, stalled after applying) pairs to run."""
    steps = range(len(names)) if EVERY_STEP else sorted({names.index(n) for n in names})
    return [(k, applied) for k in steps for applied in (True, False)]


def _marked(names: list[str], k: int, applied: bool) -> bool:
    """Whether a kill at step ``k`` finds the email's Sent copy marked as sending: from
    the APPEND's effect to the effect of the STORE that clears the mark. Then nobody
    can know whether SMTP took the mail, and the answer must be uncertain."""
    append = names.index(APPEND_STEP)
    unmark = names.index(UNMARK_STEP, append)
    after_append = k > append or (k == append and applied)
    before_unmark = k < unmark or (k == unmark and not applied)
    return after_append and before_unmark


def _kill_at(zygote: Zygote, run: Run, names: list[str], k: int, applied: bool) -> list[str]:
    """Stall request ``k``, kill hero there, let the server go, retry twice at once, settle."""
    run.steps.at, run.steps.applied = k, applied
    killed = zygote.run(["sync"], env=run.env, kill_on=str(run.steps.kill_file))
    run.steps.let_go()
    if not killed["killed"] or run.steps.names != names[: k + 1]:
        return [f"not reached: {run.steps.names}"]
    zygote.run(["sync"], env=run.env, alongside=["outbox", "retry"])
    found = _problems(run, unknown=False, settled=False)
    settle = zygote.run(["sync"], env=run.env)
    found += _problems(run, unknown=_marked(names, k, applied), settled=True)
    if settle["code"] not in (0, 1):
        found.append(f"settling sync: {settle}")
    return list(dict.fromkeys(found))


def test_a_kill_at_each_step_of_a_relay_then_a_retry_lands_each_answer_once(
    tmp_path: Path,
) -> None:
    started = time.monotonic()
    kind = "dovecot" if dovecot_available() else "pymap"
    failures: dict[str, list[str]] = {}
    with (
        imap_server(kind, tmp_path / "imap") as imap,
        ImapSteps(imap.port) as proxy,
        relay_world(tmp_path / "count", imap, proxy) as counting,
    ):
        zygote = Zygote(counting.world)
        try:
            ran = zygote.run(["sync"], env=counting.env)
            assert ran["code"] == 0, ran
            names = list(counting.steps.names)
            assert names.count(SMTP_STEP) == 1, names
            assert names.count(APPEND_STEP) == 1, names
            assert names.index(APPEND_STEP) < names.index(SMTP_STEP), names
            assert names.index(SMTP_STEP) < names.index(UNMARK_STEP), names
            assert not _problems(counting, unknown=False, settled=True)
            chosen = _chosen(names)
            for n, (k, applied) in enumerate(chosen):
                with relay_world(tmp_path / f"w{n}", imap, proxy) as run:
                    found = _kill_at(zygote, run, names, k, applied)
                if found:
                    failures[f"step {k} ({names[k]}, {'after' if applied else 'before'})"] = found
        finally:
            zygote.stop()
    print(
        f"\nmirror kill steps: {len(names)} requests {names}; ran {len(chosen)} kills "
        f"({'every step' if EVERY_STEP else 'first of each request'}), "
        f"time={time.monotonic() - started:.1f}s"
    )
    assert not failures, json.dumps(failures, indent=1)

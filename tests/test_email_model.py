"""Model-based test of the email channel: a real IMAP server, random mail, syncs, faults, kills.

Hypothesis drives Dovecot (pymap where Dovecot is missing) through a second IMAP
connection, as mail clients and delivery would: customers start conversations and
reply in every client's shape (full References, In-Reply-To only, References only,
Outlook's first-and-last References, no threading headers at all so only subject and
customer tie it; a fresh mail on a subject the customer wrote about before), some mail
held back and delivered after its replies, a Message-ID reused with other content,
bodies in odd or wrong charsets, long Outlook ids, no Message-ID at all, messages over
1 MiB with a file attached (named in ASCII, RFC 2231 or not); teammates file answers
into Sent from another client and the hero answers with `hero reply` (the outbox, SMTP
to aiosmtpd), closes items and reopens them; mail is moved between folders (watched or
not), expunged, flagged; a folder is rebuilt (new UIDVALIDITY). The clock (injected:
the mail's dates and hero's own) moves by hours, or by weeks around the 30 days the
subject fallback looks back, so a reply without threading headers joins the newest
thread of its customer and subject still active, or starts a new one. Syncs run with changes landing *during* them (at the channel's progress
reports, between folder reads and pages; another `hero sync` process among them),
with the connection dropped or a command refused by a relay in front of the server,
killed in process at a random report, or run as a real `hero sync` process killed
with SIGKILL after a random delay.

The model is the ground truth of the generator (tests/mail_world.py): every message
knows its conversation, whether the team wrote it, and where it is upstream. After
every sync that completes, the queue must be what upstream says (docs/email.md,
"What a sync does" and "Threads", is the promise):

- no item holds two conversations; every item is open unless the hero closed it: a
  closed one that a customer wrote to since is open again, one that nothing joined
  since stays closed;
- messages whose threading headers tie them (a reply and its parent, two replies to
  one parent, a reused Message-ID, hero's reply and the message it answered) are in
  one item, whatever order and batches they came in; a conversation every message of
  which was seen is exactly one item (the subject joins the header-less replies). Only
  while a message that ties the others is missing (held back, or gone before any sync
  saw it) may a conversation stand in several items;
- each message is in the queue once (a move between watched folders, a rebuilt
  folder, Sent read back: no copy), every message that was in a watched folder when a
  completed sync started is there (and stays: expunged or moved away, the queue is the
  record of what was said), and nothing that never was in a watched folder;
- whose turn it is follows the newest message: the team's means waiting on them;
- text in a declared charset (wrong or missing ones that are UTF-8 included) reads
  back exactly; a big message's text is kept and its files are listed by name, and
  no sync downloads 1 MiB (the files are read by BODYSTRUCTURE, never fetched);
- a hero reply carries the answered message's id bare in In-Reply-To and last in
  References (a 90-character Outlook id too), and no In-Reply-To at all when that
  message had no Message-ID.

``HERO_EMAIL_MODEL_EXAMPLES`` and ``HERO_EMAIL_MODEL_STEPS`` set the number of examples
and of steps in each (a long local hunt: 500 and 40),
``HERO_EMAIL_MODEL_SERVER=pymap`` runs it on pymap where Dovecot is installed;
the blob to replay a failure is printed. The SIGKILL rule depends on timing, so a
failure it causes may not replay exactly: the steps and the model's log are shown.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from email import message_from_bytes
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import event as hypothesis_event
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule

from herocli.channels.mail.channel import WORKER_FROM, EmailChannel
from herocli.config import Config, load_config
from herocli.exchange import SilentProgress
from herocli.models import Item, ItemState, Waiting
from herocli.secrets import EnvSecrets
from herocli.services import triage
from herocli.services.sync import sync_channel
from herocli.services.team import TeamDirectory
from herocli.store import Store, queue, threads
from herocli.store.queue import ItemFilter
from tests.clock import FakeClock
from tests.imap_faults import FaultyRelay
from tests.mail_servers import (
    ImapServer,
    SmtpSink,
    dovecot_available,
    imap_kinds,
    smtp_sink,
    start_dovecot,
    start_pymap,
)
from tests.mail_world import BIG, HOME, SENT, START, MailWorld, Said
from tests.sample_config import HANA, RAVI, sample_config, team
from tests.test_crash_outbox import Zygote

pytestmark = pytest.mark.imap

PASSWORD_ENV = "TEST_HERO_IMAP_PASSWORD"
PICKS = st.integers(0, 99)
SEED_KINDS = ("new", "new", "customer", "customer", "team", "late", "big")
KINDS = (
    *("new", "new", "customer", "customer", "customer", "team", "team"),
    *("reuse_id", "late", "late", "move", "expunge", "flag", "rebuild", "drop_folder"),
    *("big", "bare"),
)
# "hero sync": another `hero sync` process runs to its end in the middle of this one.
DURING_KINDS = ("new", "customer", "team", "late", "move", "expunge", "rebuild", "hero sync")


def event(text: str) -> None:
    """Count ``text`` in Hypothesis's statistics (when a pinned test runs the rules, not)."""
    if currently_in_test_context():
        hypothesis_event(text)


class Killed(BaseException):
    """A crash at a progress report of the sync: nothing in hero may catch it."""


@dataclass
class Servers:
    imap: ImapServer | None = None
    smtp: SmtpSink | None = None
    relay: FaultyRelay | None = None
    zygote: Zygote | None = None
    smtp_stack: Any = None
    root: Path | None = None


SHARED = Servers()


def servers() -> Servers:
    """One IMAP server, SMTP sink and relay for every example (each emptied per example)."""
    if SHARED.imap is None:
        if not imap_kinds():
            pytest.skip("neither Dovecot nor pymap is available")
        SHARED.root = Path(tempfile.mkdtemp(prefix="hero-email-model-"))
        kind = os.environ.get("HERO_EMAIL_MODEL_SERVER") or (
            "dovecot" if dovecot_available() else "pymap"
        )
        SHARED.imap = start_dovecot() if kind == "dovecot" else start_pymap(SHARED.root)
        SHARED.smtp_stack = smtp_sink()
        SHARED.smtp = SHARED.smtp_stack.__enter__()
        SHARED.relay = FaultyRelay(SHARED.imap.port)
    return SHARED


class Cue(SilentProgress):
    """The sync's progress reports, where changes land during the sync and a kill hits."""

    def __init__(self, hooks: dict[int, list[Callable[[], None]]], kill_at: int | None) -> None:
        self.hooks = hooks
        self.kill_at = kill_at
        self.reports = 0

    def update(self, description: str, **_: Any) -> None:
        self.reports += 1
        for hook in self.hooks.pop(self.reports, []):
            hook()
        if self.kill_at is not None and self.reports >= self.kill_at:
            raise Killed


@dataclass
class Place:
    """What the zygote needs of a world: the environment (each run names its config)."""

    env: dict[str, str]

    def process_env(self, base: dict[str, str]) -> dict[str, str]:
        return {**base, **self.env}


class EmailModel(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.srv = servers()
        assert self.srv.imap is not None
        assert self.srv.smtp is not None
        self.srv.imap.reset()
        self.srv.smtp.received.clear()
        self.clock = FakeClock(START)
        self.world = MailWorld(self.srv.imap, self.clock)
        self.dir = Path(tempfile.mkdtemp(prefix="hero-email-model-"))
        self.config = self._write_config()
        self.env = {PASSWORD_ENV: self.srv.imap.password}
        self.store = Store.open(self.dir / "data" / "queue.db")
        self.directory = TeamDirectory(self.config.team)
        self.batch = 500
        self.worker_from = WORKER_FROM
        # Items the hero closed, with the messages they held then (a reopen forgets one).
        self.closes: dict[int, frozenset[str]] = {}

    def teardown(self) -> None:
        self.world.close()
        self.store.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def _write_config(self) -> Config:
        """The config `hero sync` reads too (the killed process), and the channel's settings."""
        assert self.srv.relay is not None
        assert self.srv.smtp is not None
        assert self.srv.imap is not None
        email = {
            "imap_host": "127.0.0.1",
            "imap_port": self.srv.relay.port,
            "imap_security": "none",
            "username": self.srv.imap.username,
            "password_env": PASSWORD_ENV,
            "folders": ["INBOX", "Support"],
            "sent_folder": "auto",
            "smtp_host": "127.0.0.1",
            "smtp_port": self.srv.smtp.port,
            "smtp_security": "none",
            "from_address": HOME,
            "quote_original": False,
            "allow_insecure": True,
        }
        store = {"data_dir": str(self.dir / "data")}
        text = sample_config(
            email=email, github=None, slack=None, team=team(HANA, RAVI), store=store
        )
        path = self.dir / "config.toml"
        path.write_text(text, encoding="utf-8")
        return load_config(path)

    def _channel(self) -> EmailChannel:
        """The channel as `hero` builds it from the config (context.py)."""
        assert self.config.email is not None
        channel = EmailChannel(
            self.config.email,
            EnvSecrets(self.env),
            self.clock,
            self.directory.email_addresses(),
            self.config.team.email_domains,
        )
        channel.batch = self.batch
        channel.worker_from = self.worker_from
        return channel

    @initialize(
        batch=st.sampled_from([1, 2, 500]),
        forked=st.booleans(),
        seed=st.lists(st.tuples(st.sampled_from(SEED_KINDS), PICKS, PICKS), max_size=10),
    )
    def configure(self, batch: int, forked: bool, seed: list[tuple[str, int, int]]) -> None:
        """A mailbox with some conversations already; how many messages per folder a page
        holds (1 and 2 split every sync into pages); whether syncs parse and thread in a
        worker process, as a big first sync does."""
        self.batch = batch
        self.worker_from = 0 if forked else WORKER_FROM
        for kind, a, b in seed:
            self.world.change(kind, a, b)

    # ------------------------------------------------------------------ upstream
    @rule(burst=st.lists(st.tuples(st.sampled_from(KINDS), PICKS, PICKS), min_size=1, max_size=6))
    def upstream(self, burst: list[tuple[str, int, int]]) -> None:
        for kind, a, b in burst:
            self.world.change(kind, a, b)

    @rule(hours=st.integers(1, 48))
    def time_passes(self, hours: int) -> None:
        self.clock.advance(hours=hours)

    @rule(
        days=st.integers(threads.LOOSE_WINDOW.days - 5, threads.LOOSE_WINDOW.days + 15),
        then=st.none() | st.tuples(PICKS, PICKS),
    )
    def weeks_pass(self, days: int, then: tuple[int, int] | None) -> None:
        """Close to the window the subject fallback looks back, or past it; ``then`` a
        customer writes back with no threading headers, which joins a thread still
        active or starts a new one."""
        self.world.log.append(f"{days} days pass")
        self.clock.advance(days=days)
        if then is not None:
            self.world.change("bare", *then)

    # ------------------------------------------------------------------ the hero
    def _items(self) -> list[Any]:
        return queue.list_items(
            self.store.conn, ItemFilter(states=(), waiting=None), self.clock.now()
        )

    def _held(self, item_id: int) -> list[Said]:
        """The item's messages as the ground truth knows them, oldest first."""
        return [self.world.of(m.message.body) for m in queue.messages(self.store.conn, item_id)]

    @rule(pick=PICKS)
    def hero_replies(self, pick: int) -> None:
        """`hero reply` on an item: the outbox sends it by SMTP and files it in Sent."""
        items = [i for i in self._items() if i.state is ItemState.OPEN]
        if not items:
            return
        item = items[pick % len(items)]
        held = self._held(item.id)
        if len({s.conv for s in held}) != 1:
            return  # the check after the sync says what is wrong with it
        parent = held[-1]  # the newest message: the one a reply answers
        token = self.world.new_token()
        self.world.tick()
        channel = self._channel()
        actor = triage.Actor("Hana", lambda _name: channel, self.clock)
        assert self.srv.smtp is not None
        before = len(self.srv.smtp.received)
        try:
            delivery = triage.reply(self.store, actor, item.id, f"Thanks, we are on it [{token}]")
        finally:
            channel.shutdown()
        assert delivery.sent is not None, "\n".join(
            [str(delivery.error), *self.srv.imap.errors()[-10:]]  # what a SERVERBUG refers to
        )
        [(_from, _to, raw)] = self.srv.smtp.received[before:]
        sent = message_from_bytes(raw)
        irt = str(sent["In-Reply-To"]).strip() if sent["In-Reply-To"] else None
        refs = str(sent["References"] or "").split()
        if parent.message_id is None:
            assert irt is None, f"a reply to a message without Message-ID has In-Reply-To {irt}"
        else:
            assert irt == parent.message_id, f"In-Reply-To {irt!r}"
            assert refs, "a reply without References"
            assert refs[-1] == parent.message_id, f"References {refs}"
        mid = delivery.sent.external_id
        said = Said(token, parent.conv, True, self.clock.now(), mid, [*refs, mid], SENT)
        said.refers, said.answered = frozenset([*refs, *([irt] if irt else [])]), parent.token
        self.world.record(said)
        self.world.must.add(token)  # recorded in the queue as it went out
        self.world.log.append(f"{token}: conv {parent.conv} hero reply to {parent.token} id={mid}")
        event("hero replied")

    def _actor(self) -> tuple[triage.Actor, EmailChannel]:
        channel = self._channel()
        return triage.Actor("Hana", lambda _name: channel, self.clock), channel

    def _triage(self, act: Callable[..., object], state: ItemState, pick: int) -> Item | None:
        """Run the triage action ``act`` as the hero on the picked item in ``state``."""
        items = [i for i in self._items() if i.state is state]
        if not items:
            return None
        item = items[pick % len(items)]
        actor, channel = self._actor()
        try:
            act(self.store, actor, item.id)
        finally:
            channel.shutdown()
        return item

    @rule(pick=PICKS, then=st.none() | PICKS)
    def hero_closes(self, pick: int, then: int | None) -> None:
        """`hero close`: local (close_action is "none"); a customer's next mail reopens it
        (``then`` the customer writes back at once)."""
        item = self._triage(triage.close, ItemState.OPEN, pick)
        if item is None:
            return
        held = self._held(item.id)
        self.closes[item.id] = frozenset(s.token for s in held)
        self.world.log.append(f"hero closes item {item.id} holding {sorted(self.closes[item.id])}")
        event("hero closed an item")
        if then is not None and len({s.conv for s in held}) == 1:
            self.world.reply(held[0].conv, then, team=False)

    @rule(pick=PICKS)
    def hero_reopens(self, pick: int) -> None:
        item = self._triage(triage.reopen, ItemState.CLOSED, pick)
        if item is None:
            return
        for closed in [i for i in self.closes if threads.resolve(self.store.conn, i) == item.id]:
            del self.closes[closed]
        self.world.log.append(f"hero reopens item {item.id}")
        event("hero reopened an item")

    # ------------------------------------------------------------------ syncs
    def _sync(self, hooks: dict[int, list[Callable[[], None]]], kill_at: int | None) -> bool:
        channel = self._channel()
        assert self.srv.relay is not None
        self.srv.relay.received = 0
        try:
            result = sync_channel(
                self.store, channel, self.config.team, self.clock, Cue(hooks, kill_at)
            )
        except Killed:
            return False
        finally:
            channel.shutdown()
            assert self.srv.relay is not None
            self.srv.relay.disarm()
        # A big message is read by its structure: its file's bytes stay on the server.
        downloaded = self.srv.relay.received
        assert downloaded < BIG, f"a sync downloaded {downloaded:,} bytes\n" + "\n".join(
            self.world.log[-30:]
        )
        if result.error is None:
            return True
        # A deleted folder is named, and the others are synced all the same.
        missing = self.world.up.missing
        text = result.error.message
        return bool(missing) and "has no folder" in text and all(f"'{f}'" in text for f in missing)

    @rule(
        during=st.lists(
            st.tuples(st.integers(1, 8), st.sampled_from(DURING_KINDS), PICKS, PICKS), max_size=3
        ),
        fault=st.sampled_from(["none", "none", "drop", "no"]),
        at_command=st.integers(1, 14),
        kill_at=st.none() | st.integers(1, 10),
    )
    def sync(
        self,
        during: list[tuple[int, str, int, int]],
        fault: str,
        at_command: int,
        kill_at: int | None,
    ) -> None:
        """A sync with mail changing under it, maybe a fault, maybe killed at a report."""
        self.world.tick()
        start = self.world.present()
        touched: set[str] = set()
        hooks: dict[int, list[Callable[[], None]]] = {}
        for at, kind, a, b in during:

            def later(kind: str = kind, a: int = a, b: int = b) -> None:
                self.world.log.append(f"(during the sync) {kind}")
                if kind == "hero sync":
                    self._hero_sync(kill_after=None)
                else:
                    touched.update(self.world.change(kind, a, b))

            hooks.setdefault(at, []).append(later)
        assert self.srv.relay is not None
        if fault != "none":
            self.srv.relay.arm(fault, at_command)
        self.world.log.append(
            f"sync: fault {fault}@{at_command}, kill at {kill_at}, {len(during)} during"
        )
        completed = self._sync(hooks, kill_at)
        fired = bool(self.srv.relay.fired)
        self.srv.relay.fired.clear()
        event(f"sync {'completed' if completed else 'failed'}{', a fault hit' if fired else ''}")
        if not completed:
            return
        if len(hooks) < len({at for at, *_ in during}):
            event("a change landed during a sync that completed")
        for hook in [h for hs in hooks.values() for h in hs]:
            hook()  # at reports the sync never made: after it, then
        self.world.must |= (start & self.world.present()) - touched
        self.check()

    @rule()
    def clean_sync(self) -> None:
        self.world.tick()
        start = self.world.present()
        self.world.log.append("clean sync")
        assert self._sync({}, None), "a sync with no fault failed"
        self.world.must |= start
        self.check()

    @rule(after=st.sampled_from([0.05, 0.1, 0.2, 0.3, 0.5]))
    def hero_sync_killed(self, after: float) -> None:
        """A real `hero sync` process, SIGKILLed after ``after`` seconds (if still running)."""
        self.world.log.append(f"hero sync killed after {after}s")
        self._hero_sync(kill_after=after)

    def _hero_sync(self, kill_after: float | None) -> None:
        if SHARED.zygote is None:
            SHARED.zygote = Zygote(Place(self.env))  # type: ignore[arg-type]
        SHARED.zygote.run(["--config", str(self.dir / "config.toml"), "sync"], kill_after)

    def _count_news(self) -> None:
        """What the examples reached, for Hypothesis's statistics."""
        for line in self.world.log:
            for what in ("starts a thread", "joins its thread", "with a big file", "days pass"):
                if what in line:
                    event(what)

    # ------------------------------------------------------------------ the invariant
    def _check_state(
        self, item: Any, held: list[Said], closed: set[str] | None, where: str, log: str
    ) -> None:
        """Open, unless the hero closed it and no customer wrote since (docs/commands.md)."""
        if closed is None:
            assert item.state is ItemState.OPEN, f"{where}: {item.state}, never closed\n{log}"
            return
        tokens = {s.token for s in held}
        since = sorted(s.token for s in held if not s.team and s.token not in closed)
        if item.state is ItemState.CLOSED:
            assert not since, f"{where}: closed, though the customer wrote {since} since\n{log}"
            event("a closed item stayed closed through a sync")
        elif tokens == closed:  # nothing joined it since: a quiet re-sync leaves it closed
            raise AssertionError(f"{where}: the hero closed it, and a sync reopened it\n{log}")
        elif since:
            event("a customer's mail reopened a closed item")

    def check(self) -> None:
        """The queue is what upstream says (see the module's docstring)."""
        event(f"checked, {min(len(self.world.must), 20) // 5 * 5}+ messages that must be in")
        self._count_news()
        log = "\n".join(self.world.log[-60:])
        items_of: dict[int, list[int]] = {}
        item_holding: dict[str, int] = {}
        closed_by_hero: dict[int, set[str]] = {}
        for closed, tokens in self.closes.items():
            closed_by_hero.setdefault(threads.resolve(self.store.conn, closed), set()).update(
                tokens
            )
        for item in self._items():
            held = self._held(item.id)
            tokens = [s.token for s in held]
            where = f"item {item.id} {item.external_id!r} holding {tokens}"
            assert len(tokens) == len(set(tokens)), f"{where}: a message twice\n{log}"
            convs = {s.conv for s in held}
            assert len(convs) == 1, f"{where}: mixes conversations {sorted(convs)}\n{log}"
            items_of.setdefault(held[0].conv, []).append(item.id)
            twice = {t: item_holding[t] for t in tokens if t in item_holding}
            assert not twice, f"{where}: messages also in other items {twice}\n{log}"
            item_holding.update((t, item.id) for t in tokens)
            extra = set(tokens) - self.world.ever
            assert not extra, f"{where}: holds {sorted(extra)}, never in a watched folder\n{log}"
            self._check_state(item, held, closed_by_hero.get(item.id), where, log)
            last = max(held, key=lambda s: s.when)
            turn = Waiting.THEM if last.team else Waiting.US
            assert item.waiting is turn, (
                f"{where}: waiting on {item.waiting}, the newest is {last.token}\n{log}"
            )
            for m in queue.messages(self.store.conn, item.id):
                one = self.world.of(m.message.body)
                assert one.text is None or one.text in m.message.body, (
                    f"{where}: {one.token} reads {m.message.body!r}, written {one.text!r}\n{log}"
                )
                names = [a.name for a in m.message.attachments]
                assert set(one.attachments) <= set(names), (
                    f"{where}: {one.token} lists files {names}, sent with {one.attachments}\n{log}"
                )
        for conv in self.world.convs:
            found = [t for t in conv.said if t in item_holding]
            missing = {t for t in conv.said if t in self.world.must} - set(found)
            assert not missing, f"conversation {conv.number} misses {sorted(missing)}\n{log}"
            items = items_of.get(conv.number, [])
            if all(t in self.world.must for t in conv.said):
                # Every message of it was seen: one item, whatever order they came in.
                assert len(items) <= 1, f"conversation {conv.number} split over {items}\n{log}"
            for part in self.world.threads([self.world.said[t] for t in found]):
                where = {item_holding[t] for t in part}
                assert len(where) == 1, (
                    f"conversation {conv.number}: {sorted(part)} refer to each other, "
                    f"split over items {sorted(where)}\n{log}"
                )


EmailModel.TestCase.settings = settings(
    max_examples=int(os.environ.get("HERO_EMAIL_MODEL_EXAMPLES", "0"))
    # 60 under "ci" (about a minute on two busy cores) and 20 under "quick" on Dovecot;
    # pymap is three times slower.
    or min(60 if dovecot_available() else 20, settings.default.max_examples),
    stateful_step_count=int(os.environ.get("HERO_EMAIL_MODEL_STEPS", "15")),
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    # HERO_EMAIL_MODEL_NO_SHRINK=1 while hunting: the first failure as found, at once.
    phases=[Phase.explicit, Phase.reuse, Phase.generate]
    if os.environ.get("HERO_EMAIL_MODEL_NO_SHRINK")
    else list(Phase),
)
TestEmailModel = pytest.mark.timeout(900)(EmailModel.TestCase)


@pytest.fixture(scope="module", autouse=True)
def _stop_servers() -> Iterator[None]:
    yield
    with ExitStack() as stack:  # each one stopped even when another fails to
        if SHARED.imap is not None:
            stack.callback(SHARED.imap.stop)
        if SHARED.root is not None:
            stack.callback(shutil.rmtree, SHARED.root, ignore_errors=True)
        if SHARED.smtp_stack is not None:
            stack.callback(SHARED.smtp_stack.__exit__, None, None, None)
        if SHARED.relay is not None:
            stack.callback(SHARED.relay.stop)
        if SHARED.zygote is not None:
            stack.callback(SHARED.zygote.stop)
        stack.callback(SHARED.__init__)


# --- what the machine found, pinned ---------------------------------------------------------
def _pinned_model() -> EmailModel:
    model = EmailModel()
    model.configure(batch=500, forked=False, seed=[])
    return model


@pytest.mark.parametrize("at_command", [1, 2, 3])
def test_connection_dropped_before_login_fails_the_sync_cleanly(at_command: int) -> None:
    """The relay drops the link at the greeting's CAPABILITY, at LOGIN, or right after:
    the sync returns an error naming host:port, never imaplib's own exception."""
    model = _pinned_model()
    try:
        model.world.new_conversation(0, 1)
        assert model.srv.relay is not None
        model.srv.relay.arm("drop", at_command)
        channel = model._channel()
        try:
            result = sync_channel(
                model.store, channel, model.config.team, model.clock, SilentProgress()
            )
        finally:
            channel.shutdown()
            model.srv.relay.disarm()
        assert result.error is not None
        assert f"127.0.0.1:{model.srv.relay.port}" in result.error.message
        model.clean_sync()  # and the next sync brings everything in
    finally:
        model.teardown()


def test_a_deleted_watched_folder_is_named_and_the_others_sync() -> None:
    model = _pinned_model()
    try:
        model.world.new_conversation(0, 0)  # b % 4 == 0: filed in Support
        model.clean_sync()
        model.world.drop_folder()
        model.world.new_conversation(1, 1)  # INBOX
        model.world.reply(0, 3, team=True)  # Sent
        channel = model._channel()
        try:
            result = sync_channel(
                model.store, channel, model.config.team, model.clock, SilentProgress()
            )
        finally:
            channel.shutdown()
        assert result.error is not None
        assert "'Support'" in result.error.message
        model.clean_sync()  # the check: INBOX and Sent are in, Support's mail kept
    finally:
        model.teardown()


# --- the subject fallback's window, on the injected clock ------------------------------------
def _items_of(model: EmailModel) -> list[list[str]]:
    """Each item's message tokens, oldest item first."""
    return [[s.token for s in model._held(item.id)] for item in model._items()]


def test_a_headerless_reply_past_the_window_is_a_new_item() -> None:
    model = _pinned_model()
    try:
        [first] = model.world.new_conversation(0, 1)
        model.clean_sync()
        model.clock.advance(days=threads.LOOSE_WINDOW.days + 1)
        [late] = model.world.reply(0, 1, team=False, shape="bare")
        model.clean_sync()
        assert _items_of(model) == [[first], [late]]
    finally:
        model.teardown()


def test_a_headerless_reply_joins_only_the_newest_thread_in_the_window() -> None:
    model = _pinned_model()
    try:
        [older] = model.world.new_conversation(0, 1)  # Carla, "Invoice"
        model.clock.advance(days=3)
        [newer] = model.world.new_conversation(0, 0)  # Carla again, "Invoice" again
        model.clean_sync()
        model.clock.advance(days=threads.LOOSE_WINDOW.days - 5)
        [bare] = model.world.reply(1, 1, team=False, shape="bare")
        model.clean_sync()
        assert _items_of(model) == [[older], [newer, bare]]
    finally:
        model.teardown()


def test_a_headerless_reply_past_the_window_stays_apart_whatever_is_read_first() -> None:
    """The thread it would have joined wrote again after it, and that mail is read first
    (INBOX before Support): the reply still starts its own item, as it does when it is
    read first. A thread's mail after the reply is no evidence about the reply."""
    model = _pinned_model()
    try:
        [first] = model.world.new_conversation(0, 1)
        model.clean_sync()
        model.clock.advance(days=threads.LOOSE_WINDOW.days + 10)
        [bare] = model.world.reply(0, 2, team=False, shape="bare")  # into Support
        [again] = model.world.reply(0, 0, team=False)  # into INBOX, with headers
        model.clean_sync()
        assert _items_of(model) == [[first, again], [bare]]
    finally:
        model.teardown()

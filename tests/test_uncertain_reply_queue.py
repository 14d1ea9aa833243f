"""A reply whose SMTP send is uncertain never hides the customer it answers.

hero files the reply's Sent copy marked as sending before the SMTP transaction. When
hero is killed after the server took the mail and before its ``250``, that copy stays
marked, and nobody knows whether the customer has the reply. A sync that reads the copy
must not count it as the team's answer: the item stays waiting on us, and `show` and
`inbox` say that a reply's delivery is uncertain, until the hero settles it with
`hero outbox mark-sent`, `hero outbox retry --resend` or `hero outbox drop`.

Against a real IMAP server (Dovecot, else pymap) and an aiosmtpd sink that stalls after
keeping the mail; hero runs as a real process (``tests/hero_zygote.py``) killed there.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.outbox_worlds import EmailWorld, email_world, hero, outbox_rows
from tests.test_crash_outbox import Zygote

pytestmark = pytest.mark.timeout(300)

ANSWER = "We shipped a fix; please update."


class Stall:
    """The SMTP sink's hold: after keeping the mail, make the kill file, wait to be let go."""

    def __init__(self, world: EmailWorld) -> None:
        self.kill_file = world.root / "kill-now"
        self.release = threading.Event()
        self.armed = True
        world.smtp.hold = self.hold

    def hold(self, kept: bool) -> bool:
        if not kept or not self.armed:
            return True
        self.armed = False
        self.kill_file.touch()
        assert self.release.wait(60), "the test never let the server go"
        return True  # a killed client never reads the 250; a live one does


@contextmanager
def killed_mid_send(tmp_path: Path) -> Iterator[tuple[EmailWorld, Zygote]]:
    """A world where `hero reply 1` was killed between DATA and the server's 250."""
    with email_world(tmp_path) as world:
        assert hero(world, "sync").code == 0
        stall = Stall(world)
        zygote = Zygote(world)
        try:
            run = zygote.run(["reply", "1", "-m", ANSWER, "--yes"], kill_on=str(stall.kill_file))
            assert run["killed"], run
            stall.release.set()
            assert len(world.smtp.received) == 1  # the server has it; hero never heard back
            yield world, zygote
        finally:
            stall.release.set()
            zygote.stop()


def _item(world: EmailWorld, number: int = 1) -> dict[str, Any]:
    shown = hero(world, "show", str(number), "--json")
    assert shown.code == 0, shown
    return dict(json.loads(shown.out))


def _inbox(world: EmailWorld) -> dict[int, dict[str, Any]]:
    listed = hero(world, "inbox", "--all", "--json")
    assert listed.code == 0, listed
    return {row["number"]: row for row in json.loads(listed.out)}


def _events(world: EmailWorld, kind: str) -> list[str]:
    """When item 1's events of ``kind`` happened, as `hero show --json` writes times."""
    from herocli.models import iso
    from herocli.store import Store, log

    store = Store.open(world.queue)
    try:
        return [str(iso(e.at)) for e in log.item_events(store.conn, 1) if e.kind.value == kind]
    finally:
        store.close()


def _answered(world: EmailWorld) -> tuple[int, list[dict[str, Any]]]:
    """`hero stats`: how many items were answered, and the replies by author."""
    stats = hero(world, "stats", "--since", "2026-11-01", "--json")
    assert stats.code == 0, stats
    data = json.loads(stats.out)
    return data["totals"]["answered"], data["replies_by"]


def _sync_and_settle(world: EmailWorld) -> int:
    """Sync, then retry the outbox (which finds the marked copy: uncertain); the entry id."""
    assert hero(world, "sync").code == 0
    assert hero(world, "outbox", "retry").code == 1
    [entry] = [e for e in outbox_rows(world) if e["op"] == "reply"]
    assert entry["state"] == "uncertain", entry
    return int(entry["id"])


def _waits_on_us_and_says_so(world: EmailWorld) -> None:
    item = _item(world)
    assert item["waiting"] == "us", item
    assert item["reply_uncertain"] is True
    [ours] = [m for m in item["messages"] if m["from_team"]]
    assert ours["delivery"] == "uncertain"
    assert ANSWER in ours["body"]
    assert _inbox(world)[1]["reply_uncertain"] is True
    shown = hero(world, "show", "1")
    assert "delivery uncertain" in shown.out, shown.out
    assert "hero outbox" in shown.out
    assert "on us, reply uncertain" in _inbox_table(world)


def _handed_over_as_waiting_on_us(world: EmailWorld) -> None:
    """`hero handoff` carries item 1 over as waiting on us, and says its reply is uncertain."""
    shown = hero(world, "handoff", "--dry-run", "--json")
    assert shown.code == 0, shown
    groups = json.loads(shown.out)["report"]["items"]
    [entry] = [e for e in groups["waiting_on_us"] if e["id"] == 1]
    assert entry["reply_uncertain"] is True
    assert entry["last_message"]["from_team"] is False  # the customer's, still unanswered
    assert "reply uncertain" in hero(world, "handoff", "--dry-run").out


def _inbox_table(world: EmailWorld) -> str:
    """The inbox as a terminal shows it (the piped lines keep their fixed fields)."""
    import io
    from datetime import UTC, datetime

    from rich.console import Console

    from herocli.render.items import inbox_table
    from herocli.store import Store, queue
    from herocli.store.queue import ItemFilter

    store = Store.open(world.queue)
    try:
        now = datetime.now(UTC)
        items = queue.list_items(store.conn, ItemFilter(waiting=None), now)
    finally:
        store.close()
    out = io.StringIO()
    Console(file=out, width=160, color_system=None).print(inbox_table(items, now, width=160))
    return out.getvalue()


def test_a_sync_after_a_kill_between_data_and_250_keeps_the_item_waiting_on_us(
    tmp_path: Path,
) -> None:
    with killed_mid_send(tmp_path) as (world, _zygote):
        assert hero(world, "sync").code == 0
        _waits_on_us_and_says_so(world)
        _handed_over_as_waiting_on_us(world)
        on_us = json.loads(hero(world, "inbox", "--json").out)  # the default: waiting on us
        assert 1 in [row["number"] for row in on_us]
        _sync_and_settle(world)
        _waits_on_us_and_says_so(world)  # the outbox agrees, and so does a sync after it
        assert hero(world, "sync").code == 0
        _waits_on_us_and_says_so(world)


def test_marked_sent_the_reply_counts_at_its_own_time(tmp_path: Path) -> None:
    with killed_mid_send(tmp_path) as (world, _zygote):
        entry_id = _sync_and_settle(world)
        sent_at = next(m["sent_at"] for m in _item(world)["messages"] if m["from_team"])
        assert _answered(world) == (0, [])  # no answer in the stats either, until settled
        marked = hero(world, "outbox", "mark-sent", str(entry_id))
        assert marked.code == 0, marked
        assert _answered(world) == (1, [{"author": "hey@acme.dev", "count": 1}])
        item = _item(world)
        assert item["waiting"] == "them"
        assert item["reply_uncertain"] is False
        [ours] = [m for m in item["messages"] if m["from_team"]]
        assert ours["delivery"] is None
        assert ours["sent_at"] == sent_at  # its own time, not the time it was settled
        assert _events(world, "replied") == [sent_at]
        assert outbox_rows(world)[-1]["state"] == "sent"
        assert hero(world, "sync").code == 0  # the copy, still marked upstream, stays counted
        assert _item(world)["waiting"] == "them"
        assert len(world.smtp.received) == 1


def test_dropped_the_copy_is_not_counted_and_says_so(tmp_path: Path) -> None:
    with killed_mid_send(tmp_path) as (world, _zygote):
        entry_id = _sync_and_settle(world)
        assert hero(world, "outbox", "drop", str(entry_id), "--yes").code == 0
        item = _item(world)
        assert item["waiting"] == "us"
        assert item["reply_uncertain"] is False
        [ours] = [m for m in item["messages"] if m["from_team"]]
        assert ours["delivery"] == "dropped"
        assert _events(world, "replied") == []
        assert "dropped" in hero(world, "show", "1").out
        assert hero(world, "sync").code == 0
        assert _item(world)["waiting"] == "us"
        # The copy stays in Sent, still marked: hero leaves the mailbox as it was.
        [(_uid, flags, _raw)] = world.imap.messages("Sent")
        assert b"$HeroSending" in flags or b"\\Draft" in flags
        assert len(world.smtp.received) == 1


def test_resent_the_reply_counts_once_it_went_out(tmp_path: Path) -> None:
    with killed_mid_send(tmp_path) as (world, _zygote):
        entry_id = _sync_and_settle(world)
        resend = hero(world, "outbox", "retry", "--resend", str(entry_id))
        assert resend.code == 0, resend
        assert len(world.smtp.received) == 2
        item = _item(world)
        assert item["waiting"] == "them"
        assert item["reply_uncertain"] is False
        assert [m["delivery"] for m in item["messages"] if m["from_team"]] == [None]
        assert len(_events(world, "replied")) == 1
        assert hero(world, "sync").code == 0
        assert _item(world)["waiting"] == "them"


def test_a_second_process_syncing_while_the_reply_is_in_flight(tmp_path: Path) -> None:
    """A sync that reads the marked copy while the SMTP server still holds the mail, then
    the 250: the reply counts once, with one "replied" event."""
    with email_world(tmp_path) as world:
        assert hero(world, "sync").code == 0
        stall = Stall(world)
        zygote = Zygote(world)
        seen: list[dict[str, Any]] = []
        syncing = threading.Thread(target=_sync_when_held, args=(world, stall, seen))
        try:
            syncing.start()
            # The reply waits at the server until the other process has synced.
            replied = zygote.run(["reply", "1", "-m", ANSWER, "--yes"])
            syncing.join(60)
            assert replied["code"] == 0, replied
        finally:
            stall.release.set()
            zygote.stop()
        [during] = seen
        assert during["waiting"] == "us", during  # in flight: not yet an answer
        assert during["reply_uncertain"] is True
        item = _item(world)
        assert item["waiting"] == "them"
        assert [m["delivery"] for m in item["messages"] if m["from_team"]] == [None]
        assert len(_events(world, "replied")) == 1
        assert hero(world, "sync").code == 0
        assert _item(world)["waiting"] == "them"
        assert len(_events(world, "replied")) == 1


def test_a_second_process_syncing_after_the_kill_meanwhile(tmp_path: Path) -> None:
    """Killed mid-send; another process syncs while `hero outbox retry` settles it."""
    with killed_mid_send(tmp_path) as (world, zygote):
        run = zygote.run(["outbox", "retry"], alongside=["sync"])
        assert run["code"] == 1, run
        assert run["alongside_code"] == 0, run
        assert hero(world, "sync").code == 0
        _waits_on_us_and_says_so(world)


def _sync_when_held(world: EmailWorld, stall: Stall, seen: list[dict[str, Any]]) -> None:
    """Wait until the sink holds the mail, sync as another process, then let the 250 go."""
    try:
        if not wait_until(stall.kill_file.exists, 60):
            return
        synced = hero(world, "sync")
        if synced.code == 0:
            seen.append(_item(world))
    finally:
        stall.release.set()


def wait_until(condition: Callable[[], bool], seconds: float) -> bool:
    """Poll ``condition`` (another process gets somewhere on its own, in wall time)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def _team_deliveries(item: dict[str, Any]) -> list[str | None]:
    return [m["delivery"] for m in item["messages"] if m["from_team"]]


def _by_title(world: EmailWorld, title: str) -> dict[str, Any]:
    [number] = [n for n, row in _inbox(world).items() if row["title"] == title]
    return _item(world, number)


def test_a_dropped_reply_stays_on_record_and_is_no_answer_in_any_queue(tmp_path: Path) -> None:
    """Dropped, the copy stays in Sent with its mark: it may have reached the customer, and
    the mark is what keeps every reader from taking it for an answer. This queue knows of the
    drop from its outbox; one rebuilt from the mailbox does not, and still never counts it."""
    with killed_mid_send(tmp_path) as (world, _zygote):
        title = _item(world)["title"]
        assert hero(world, "outbox", "drop", str(_sync_and_settle(world)), "--yes").code == 0
        [(uid, _flags, _raw)] = world.imap.messages("Sent")
        with world.imap.client() as client:  # a mail client flags the copy: a sync reads it again
            client.select_folder("Sent")
            client.add_flags([uid], [b"\\Flagged"])
        assert hero(world, "sync").code == 0
        item = _item(world)
        assert (item["waiting"], _team_deliveries(item)) == ("us", ["dropped"])
        # A different answer counts; the dropped one still does not.
        other = "Please try version 2.1 instead."
        assert hero(world, "reply", "1", "-m", other, "--yes").code == 0
        assert hero(world, "sync").code == 0
        item = _item(world)
        assert (item["waiting"], _team_deliveries(item)) == ("them", ["dropped", None])
        assert _answered(world)[0] == 1
        assert len(_events(world, "replied")) == 1
        # A queue rebuilt from the mailbox: no outbox entry, the copy's mark still tells.
        for suffix in ("", "-wal", "-shm"):
            Path(f"{world.queue}{suffix}").unlink(missing_ok=True)
        assert hero(world, "sync").code == 0
        rebuilt = _by_title(world, title)
        assert (rebuilt["waiting"], _team_deliveries(rebuilt)) == ("them", ["uncertain", None])
        answered, replies = _answered(world)
        assert (answered, sum(r["count"] for r in replies)) == (1, 1)
        sent = world.imap.messages("Sent")
        assert len(sent) == 2  # nothing lost: both copies stay on record
        assert b"$HeroSending" in sent[0][1] or b"\\Draft" in sent[0][1]
        assert len(world.smtp.received) == 2

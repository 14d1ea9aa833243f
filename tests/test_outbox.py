"""The outbox survives a crash between "written" and "sent", and retry sends exactly once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from herocli.channels.memory import MemoryChannel
from herocli.errors import ExitCode, UnreachableError
from herocli.exchange import OutgoingReply, Sent, Thread
from herocli.services import outbox
from herocli.store import Store
from herocli.store import outbox as rows
from herocli.store import outbox_claims as claims
from herocli.store.outbox import Op, OutboxState
from tests.cli_harness import OUTBOX_FIELDS, Hero, Result


@pytest.fixture
def hero(tmp_path: Path) -> Hero:
    h = Hero(tmp_path)
    h.customer_opens("github", "acme/widget#1", "Login broken", "I cannot log in")
    assert h.run("sync").code == 0
    h.clock.advance(minutes=5)
    return h


def bodies(hero: Hero) -> list[str]:
    return [m.body for m in hero.backends["github"].threads["acme/widget#1"].messages]


def outbox_json(hero: Hero, *args: str) -> list[dict[str, object]]:
    result = hero.run("outbox", "--json", *args)
    assert result.code == 0, result
    return list(json.loads(result.out))


def open_store(hero: Hero) -> Store:
    return Store.open(hero.data / "queue.db")


def test_a_reply_written_but_never_sent_survives_a_restart(hero: Hero) -> None:
    store = open_store(hero)
    entry_id = outbox.enqueue(
        store, hero.clock, channel="github", op=Op.REPLY, item_id=1, payload={"body": "Fixed!"}
    )
    store.close()  # the process dies here: written, not sent

    store = open_store(hero)
    [pending] = rows.unsent(store.conn)
    store.close()
    assert (pending.id, pending.state, pending.attempts) == (entry_id, OutboxState.PENDING, 0)
    assert bodies(hero) == ["I cannot log in"]

    [listed] = outbox_json(hero)
    assert list(listed) == OUTBOX_FIELDS
    assert (listed["id"], listed["op"], listed["item"], listed["state"]) == (
        entry_id,
        "reply",
        1,
        "pending",
    )
    assert listed["payload"] == {"body": "Fixed!"}
    hero.terminal = True
    table = hero.run("outbox")
    assert "reply" in table.out
    assert "pending" in table.out

    retry = hero.run("outbox", "retry")
    assert retry.code == 0, retry
    assert "✓ reply #1 done on github" in retry.err
    assert bodies(hero) == ["I cannot log in", "Fixed!"]
    assert outbox_json(hero) == []

    again = hero.run("outbox", "retry")
    assert again.code == 0
    assert "nothing to retry" in again.err
    assert bodies(hero) == ["I cannot log in", "Fixed!"]
    [sent] = outbox_json(hero, "--all")
    assert (sent["state"], sent["attempts"], sent["sent_id"]) == ("sent", 1, "acme/widget#1/2")
    # The item now waits on the customer.
    inbox = json.loads(hero.run("inbox", "--json", "--waiting", "them").out)
    assert [row["number"] for row in inbox] == [1]


def test_a_reply_sent_but_not_recorded_is_not_sent_again(hero: Hero) -> None:
    """The process died after the channel took the reply, before the row said so."""
    store = open_store(hero)
    entry_id = outbox.enqueue(
        store, hero.clock, channel="github", op=Op.REPLY, item_id=1, payload={"body": "Once."}
    )
    with store.transaction() as db:  # claimed by a sender whose lease has run out
        now = hero.clock.now()
        claims.claim(db, entry_id, owner="elsewhere:1:gone", now=now, until=now)
    entry = rows.get(store.conn, entry_id)
    assert entry is not None
    channel = MemoryChannel(hero.backends["github"], name="github")
    channel.send_reply(outbox.thread_for(store, 1, hero.clock), OutgoingReply(entry.key, "Once."))
    store.close()

    [listed] = outbox_json(hero)
    assert (listed["state"], listed["attempts"]) == ("sending", 1)
    retry = hero.run("outbox", "retry")
    assert retry.code == 0, retry
    assert "already gone out; not sent again" in retry.err
    assert bodies(hero) == ["I cannot log in", "Once."]
    assert outbox_json(hero) == []


class _FailsOnce(MemoryChannel):
    failures = 1

    def send_reply(self, thread: Thread, reply: OutgoingReply) -> Sent:
        if _FailsOnce.failures:
            _FailsOnce.failures -= 1
            raise UnreachableError("cannot reach github: connection refused")
        return super().send_reply(thread, reply)


def test_a_failed_send_is_kept_and_retry_sends_it_once(hero: Hero) -> None:

    _FailsOnce.failures = 1
    factories = {"github": lambda _ctx: _FailsOnce(hero.backends["github"], name="github")}
    result = hero.run("reply", "1", "-m", "Try again please", "--yes", factories=factories)
    assert result.code == ExitCode.ERROR
    assert "cannot reach github: connection refused" in result.err
    assert "hero outbox retry" in result.err
    assert bodies(hero) == ["I cannot log in"]
    [failed] = outbox_json(hero)
    assert (failed["state"], failed["attempts"]) == ("failed", 1)
    assert failed["last_error"] == "cannot reach github: connection refused"
    # Still waiting on us: nothing went out.
    assert [r["number"] for r in json.loads(hero.run("inbox", "--json").out)] == [1]

    assert hero.run("outbox", "retry").code == 0
    assert hero.run("outbox", "retry").code == 0
    assert bodies(hero) == ["I cannot log in", "Try again please"]
    assert outbox_json(hero) == []
    assert json.loads(hero.run("inbox", "--json").out) == []


def test_retry_that_fails_again_exits_1_and_keeps_the_entry(hero: Hero) -> None:

    _FailsOnce.failures = 2
    factories = {"github": lambda _ctx: _FailsOnce(hero.backends["github"], name="github")}
    assert hero.run("reply", "1", "-m", "x", "--yes", factories=factories).code == ExitCode.ERROR
    retry = hero.run("outbox", "retry", factories=factories)
    assert retry.code == ExitCode.ERROR
    [entry] = outbox_json(hero)
    assert (entry["state"], entry["attempts"]) == ("failed", 2)
    assert bodies(hero) == ["I cannot log in"]


def test_a_failed_close_is_retried_too(hero: Hero) -> None:

    def unreachable(_ctx: object) -> MemoryChannel:
        raise UnreachableError("github is down")

    result = hero.run("close", "1", factories={"github": unreachable})
    assert result.code == ExitCode.ERROR
    [entry] = outbox_json(hero)
    assert (entry["op"], entry["state"]) == ("close", "failed")
    # Closed locally right away; the source catches up on retry.
    assert [r["number"] for r in json.loads(hero.run("inbox", "--closed", "--json").out)] == [1]
    assert hero.run("outbox", "retry").code == 0
    assert hero.backends["github"].write_log == ["close acme/widget#1 completed"]


def test_empty_outbox(hero: Hero) -> None:
    assert outbox_json(hero) == []
    hero.terminal = True
    assert "The outbox is empty" in hero.run("outbox").err


def test_outbox_results_are_plain(hero: Hero) -> None:
    result: Result = hero.run("reply", "1", "-m", "hello", "--yes")
    assert result.code == 0
    [entry] = outbox_json(hero, "--all")
    assert entry["created_at"] == "2026-11-23T09:05:00Z"
    assert entry["sent_at"] == "2026-11-23T09:05:00Z"


def test_outbox_lists_excerpt_state_and_error_and_drops_after_confirmation(hero: Hero) -> None:
    _FailsOnce.failures = 1
    factories = {"github": lambda _ctx: _FailsOnce(hero.backends["github"], name="github")}
    assert hero.run("reply", "1", "-m", "Too long for them", "--yes", factories=factories).code
    table = hero.run("outbox")
    assert "Too long for them" in table.out
    assert "failed" in table.out
    assert "connection refused" in table.out
    refused = hero.run("outbox", "drop", "1")  # no terminal to confirm on
    assert refused.code == ExitCode.USAGE
    assert "--yes" in refused.err
    dropped = hero.run("outbox", "drop", "1", "--yes")
    assert dropped.code == 0, dropped
    assert "will not be sent" in dropped.err
    assert outbox_json(hero) == []
    assert hero.run("outbox", "retry").code == 0
    assert bodies(hero) == ["I cannot log in"]
    [entry] = outbox_json(hero, "--all")
    assert entry["state"] == "dropped"
    again = hero.run("outbox", "drop", "1", "--yes")
    assert again.code == ExitCode.USAGE
    assert "only unfinished ones" in again.err


def test_a_local_change_and_its_outbox_row_commit_together(hero: Hero) -> None:
    """When the outbox row cannot be written, the item is not closed locally either."""
    store = open_store(hero)
    store.conn.execute(
        "CREATE TRIGGER no_outbox BEFORE INSERT ON outbox BEGIN SELECT RAISE(ABORT, 'disk full'); END"
    )
    store.close()
    result = hero.run("close", "1")
    assert result.code != 0
    store = open_store(hero)
    state = store.conn.execute("SELECT state FROM items WHERE id = 1").fetchone()[0]
    events = store.conn.execute("SELECT COUNT(*) FROM events WHERE kind = 'closed'").fetchone()[0]
    store.close()
    assert (state, events) == ("open", 0)


def test_reply_warns_when_the_same_text_waits_in_the_outbox(hero: Hero) -> None:
    _FailsOnce.failures = 1
    factories = {"github": lambda _ctx: _FailsOnce(hero.backends["github"], name="github")}
    assert hero.run("reply", "1", "-m", "Same words", "--yes", factories=factories).code
    again = hero.run("reply", "1", "-m", "Same words", "--yes")
    assert "warning: outbox entry 1 (failed) already holds this text" in again.err
    other = hero.run("reply", "1", "-m", "Other words", "--yes")
    assert "warning" not in other.err

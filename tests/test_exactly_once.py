"""Each case where a write went out twice, or the wrong one won, played against real servers.

One test per row of the table in issue 11, against the GitHub and Slack simulators
and a real IMAP server (Dovecot, or pymap) with an aiosmtpd sink. Where two processes
must overlap, they are real `hero` processes; the test waits for one to reach the
point that matters (its entry is being sent, the SMTP server holds the mail).
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from rich.console import Console

from herocli.channels.slack import SlackChannel
from herocli.config_slack import SlackSettings
from herocli.render.stats import outcome_view
from herocli.secrets import EnvSecrets
from herocli.services import outbox
from herocli.services.handoff import HandoffOutcome
from herocli.store import Store
from herocli.store import outbox as rows
from herocli.store import outbox_claims as claims
from herocli.store.outbox import Op
from tests.clock import FakeClock
from tests.outbox_worlds import (
    REPO,
    World,
    email_world,
    github_world,
    hero,
    outbox_rows,
    slack_world,
    wait_for,
)
from tests.slack_fixtures import SUPPORT, TEAM


def _spawn(world: World, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "herocli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=world.process_env(dict(os.environ)),
    )


def _states(world: World) -> list[str]:
    if not world.queue.exists():
        return []
    store = Store.open(world.queue)
    try:
        return [e.state.value for e in rows.recent(store.conn, 100)]
    finally:
        store.close()


def _keys(world: World) -> list[str]:
    return [e["key"] for e in _rows_with_keys(world) if "body" in e["payload"]]


def _rows_with_keys(world: World) -> list[dict[str, Any]]:
    store = Store.open(world.queue)
    try:
        return [
            {"key": e.key, "payload": e.payload, "state": e.state.value, "id": e.id}
            for e in reversed(rows.recent(store.conn, 100))
        ]
    finally:
        store.close()


# --- a retry while a reply is still sending, and a reply while retries run ------------
def test_a_retry_while_a_reply_is_still_sending_leaves_it_to_that_process(
    tmp_path: Path,
) -> None:
    with github_world(tmp_path) as world:
        assert hero(world, "sync").code == 0
        world.set_latency(1.5)
        replying = _spawn(world, "reply", "1", "-m", "On it.", "--yes")
        wait_for(lambda: _states(world) == ["sending"], "the reply to be claimed")
        retry = _spawn(world, "outbox", "retry")
        _out, retry_err = retry.communicate(timeout=60)
        assert "another hero process is sending it" in retry_err
        _out, err = replying.communicate(timeout=60)
        assert replying.returncode == 0, err
        [key] = _keys(world)
        assert world.count(key) == 1


def test_a_reply_while_retries_run_goes_out_once(tmp_path: Path) -> None:
    with github_world(tmp_path) as world:
        assert hero(world, "sync").code == 0
        world.sim.inject("server_error", method="POST", path=r"/comments$", times=2)
        assert hero(world, "reply", "1", "-m", "First.", "--yes").code == 1
        assert hero(world, "reply", "2", "-m", "Second.", "--yes").code == 1
        world.set_latency(0.5)
        retrying = _spawn(world, "outbox", "retry")
        wait_for(lambda: "sending" in _states(world), "the retry to claim an entry")
        replying = _spawn(world, "reply", "3", "-m", "Third.", "--yes")
        wait_for(lambda: len(_states(world)) == 3, "the reply to be written")
        again = _spawn(world, "outbox", "retry")
        for proc in (retrying, replying, again):
            proc.communicate(timeout=60)
        world.set_latency(0.0)
        assert hero(world, "outbox", "retry").code in (0, 1)
        keys = _keys(world)
        assert [world.count(k) for k in keys] == [1, 1, 1]
        assert sorted(world.keyed()) == sorted(keys)


# --- email: SMTP cannot be asked, so an unknown send is parked, never repeated --------
def test_email_killed_while_the_smtp_server_is_slow_is_uncertain_not_resent(
    tmp_path: Path,
) -> None:
    with email_world(tmp_path) as world:
        assert hero(world, "sync").code == 0
        world.smtp.delay = 5.0
        replying = _spawn(world, "reply", "1", "-m", "We are on it.", "--yes")
        wait_for(lambda: len(world.smtp.received) == 1, "the SMTP server to hold the reply")
        replying.send_signal(signal.SIGKILL)
        replying.communicate(timeout=30)
        world.smtp.delay = 0.0
        retry = hero(world, "outbox", "retry")
        assert retry.code == 1
        assert "uncertain" in retry.err
        assert "--resend" in retry.err
        assert hero(world, "outbox", "retry").code == 1  # still not resent by itself
        assert len(world.smtp.received) == 1
        [entry] = outbox_rows(world)
        assert entry["state"] == "uncertain"
        assert "may have been sent" in entry["last_error"]
        table = hero(world, "outbox")
        assert "uncertain" in table.out
        assert "We are on it." in table.out
        resend = hero(world, "outbox", "retry", "--resend", str(entry["id"]))
        assert resend.code == 0, resend
        assert len(world.smtp.received) == 2  # the hero's own call
        assert outbox_rows(world)[0]["state"] == "sent"


def test_email_connection_lost_after_the_server_took_it_is_uncertain(tmp_path: Path) -> None:
    with email_world(tmp_path) as world:
        assert hero(world, "sync").code == 0
        world.smtp.hang_up_next = 1
        reply = hero(world, "reply", "1", "-m", "Here is the fix.", "--yes")
        assert reply.code == 1
        assert "uncertain" in reply.err
        assert len(world.smtp.received) == 1
        assert hero(world, "outbox", "retry").code == 1
        assert len(world.smtp.received) == 1
        [entry] = outbox_rows(world)
        assert entry["state"] == "uncertain"
        assert "lost the SMTP server" in entry["last_error"]


def test_email_crash_before_the_sent_copy_is_sent_on_retry(tmp_path: Path) -> None:
    """No copy in Sent: the SMTP transaction never began, so sending now is safe."""
    with email_world(tmp_path) as world:
        assert hero(world, "sync").code == 0
        store = Store.open(world.queue)
        clock = FakeClock()
        entry_id = outbox.enqueue(
            store, clock, channel="email", op=Op.REPLY, item_id=1, payload={"body": "Hello."}
        )
        with store.transaction() as db:  # a sender that died before filing the copy
            now = clock.now()
            claims.claim(db, entry_id, owner="elsewhere:1:gone", now=now, until=now)
        store.close()
        retry = hero(world, "outbox", "retry")
        assert retry.code == 0, retry
        assert len(world.smtp.received) == 1
        assert outbox_rows(world)[0]["state"] == "sent"
        assert hero(world, "outbox", "retry").code == 0
        assert len(world.smtp.received) == 1


def test_email_refused_is_failed_and_its_copy_removed(tmp_path: Path) -> None:
    with email_world(tmp_path) as world:
        assert hero(world, "sync").code == 0
        world.smtp.refuse_next = 1
        assert hero(world, "reply", "1", "-m", "Refused once.", "--yes").code == 1
        assert [e["state"] for e in outbox_rows(world)] == ["failed"]
        assert world.imap.messages("Sent") == []
        assert hero(world, "outbox", "retry").code == 0
        assert len(world.smtp.received) == 1
        [(_uid, flags, _raw)] = world.imap.messages("Sent")
        assert b"$HeroSending" not in flags
        assert b"\\Draft" not in flags


def test_email_reply_again_after_a_failed_send_warns(tmp_path: Path) -> None:
    with email_world(tmp_path) as world:
        assert hero(world, "sync").code == 0
        world.smtp.refuse_next = 1
        assert hero(world, "reply", "1", "-m", "Same words.", "--yes").code == 1
        again = hero(world, "reply", "1", "-m", "Same words.", "--yes")
        assert "warning: outbox entry 1 (failed) already holds this text" in again.err
        assert "`hero outbox retry` sends it" in again.err


# --- GitHub: a 5xx after the comment was created -----------------------------------
def test_github_5xx_after_creating_the_comment_is_not_posted_again(tmp_path: Path) -> None:
    with github_world(tmp_path) as world:
        assert hero(world, "sync").code == 0
        world.sim.inject("server_error_after", method="POST", path=r"/issues/1/comments$")
        world.sim.clear_log()
        reply = hero(world, "reply", "1", "-m", "Exactly once.", "--yes")
        assert reply.code == 1
        assert "may have been done anyway" in reply.err
        assert world.sim.counted(method="POST") == 1  # the client did not repeat it
        [key] = _keys(world)
        assert world.count(key) == 1
        retry = hero(world, "outbox", "retry")
        assert retry.code == 0, retry
        assert "already gone out" in retry.err
        assert world.count(key) == 1


# --- later writes win ----------------------------------------------------------------
def test_github_close_fails_reopen_succeeds_retry_leaves_it_open(tmp_path: Path) -> None:
    with github_world(tmp_path) as world:
        assert hero(world, "sync").code == 0
        world.sim.inject("server_error", method="PATCH", path=r"/issues/1$")
        assert hero(world, "close", "1").code == 1
        assert hero(world, "reopen", "1").code == 0
        assert hero(world, "outbox", "retry").code == 0
        assert not world.closed(1)
        assert [(e["op"], e["state"]) for e in outbox_rows(world)] == [
            ("close", "superseded"),
            ("reopen", "sent"),
        ]
        listed = hero(world, "outbox", "--all")
        assert "superseded" in listed.out


def test_github_label_added_then_removed_retry_does_not_add_it(tmp_path: Path) -> None:
    with github_world(tmp_path) as world:
        assert hero(world, "sync").code == 0
        world.sim.inject("server_error", method="POST", path=r"/issues/1/labels$")
        assert hero(world, "label", "1", "+urgent").code == 1
        assert hero(world, "label", "1", "--", "-urgent").code == 0
        assert hero(world, "outbox", "retry").code == 0
        assert "urgent" not in world.labels(1)
        assert [e["state"] for e in outbox_rows(world)] == ["superseded", "sent"]


def test_github_assign_a_then_b_retry_does_not_assign_a(tmp_path: Path) -> None:
    with github_world(tmp_path) as world:
        assert hero(world, "sync").code == 0
        world.sim.inject("server_error", method="POST", path=r"/issues/1/assignees$")
        assert hero(world, "assign", "1", "Hana").code == 1
        assert hero(world, "assign", "1", "Ravi").code == 0
        assert hero(world, "outbox", "retry").code == 0
        logins = {a["login"] for a in world.sim.issue(REPO, 1)["assignees"]}
        assert logins == {"ravi"}


# --- identity, not text ----------------------------------------------------------------
def test_slack_same_words_twice_in_one_thread_are_two_replies(tmp_path: Path) -> None:
    with slack_world(tmp_path) as world:
        assert hero(world, "sync").code == 0
        for _ in range(2):
            assert hero(world, "reply", "1", "-m", "Thanks, looking into it.", "--yes").code == 0
        keys = _keys(world)
        assert len(set(keys)) == 2
        assert [world.count(k) for k in keys] == [1, 1]
        replies = [m for m in world.sim.messages(SUPPORT) if m["text"].startswith("Thanks")]
        assert len(replies) == 2
        assert len({m["thread_ts"] for m in replies}) == 1


# --- a handoff's parts: one ordered batch ---------------------------------------------
def test_handoff_parts_after_a_failed_part_go_out_in_order(tmp_path: Path) -> None:
    with slack_world(tmp_path) as world:
        clock = FakeClock()
        store = Store.open(tmp_path / "parts.db")
        settings = SlackSettings(api_url=world.sim.url, channels=(SUPPORT,))
        channel = SlackChannel(settings, EnvSecrets(world.env), clock, TEAM)
        ids = outbox.enqueue_batch(
            store,
            clock,
            channel="slack",
            op=Op.POST,
            payloads=[
                {"target": "#support", "body": f"part {n}", "part": n, "parts": 5}
                for n in range(1, 6)
            ],
        )
        first = outbox.deliver_batch(store, ids[:2], lambda _n: channel, clock, me=None)
        world.sim.inject_drop("chat.postMessage")
        rest = outbox.deliver_batch(store, ids[2:], lambda _n: channel, clock, me=None)
        assert [d.ok for d in first + rest] == [True, True, False]
        out = io.StringIO()
        Console(file=out, width=100).print(outcome_view(HandoffOutcome(deliveries=first + rest)))
        assert "Posted 2 of 5 parts." in out.getvalue()
        jumped = outbox.deliver(store, ids[3], lambda _n: channel, clock)
        assert jumped.waiting == f"it goes out after entry {ids[2]}"
        done = outbox.deliver_pending(store, lambda _n: channel, clock)
        assert all(d.ok for d in done)
        posted = [
            m["text"] for m in world.sim.messages(SUPPORT) if str(m["text"]).startswith("part")
        ]
        assert posted == [f"part {n}" for n in range(1, 6)]
        assert outbox.batch_progress(store, rows.get(store.conn, ids[0]) or first[0].entry) == (
            5,
            5,
        )
        channel.shutdown()
        store.close()


def test_slack_connection_dropped_after_posting_is_not_posted_again(tmp_path: Path) -> None:
    """httpx repeats nothing on its own; the retry finds the message by its key."""
    with slack_world(tmp_path) as world:
        assert hero(world, "sync").code == 0
        world.sim.inject_hang_up("chat.postMessage")
        world.sim.clear_requests()
        reply = hero(world, "reply", "1", "-m", "Posted, then the line dropped.", "--yes")
        assert reply.code == 1
        assert world.sim.calls("chat.postMessage") == 1
        [key] = _keys(world)
        assert world.count(key) == 1
        retry = hero(world, "outbox", "retry")
        assert retry.code == 0, retry
        assert "already gone out" in retry.err
        assert world.count(key) == 1

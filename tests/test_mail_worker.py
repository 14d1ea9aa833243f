# ruff: noqa: F811  (fixtures from test_mail_channel)
"""A big first sync parses and threads its mail in a forked worker: the same pages as
parsing here, whatever happens to the worker.

The worker itself: its results are the function's, it ends with its input (and so when
its parent is killed), a busy one is killed on close, and a worker killed mid-batch leaves
that batch and every later one to this process. The channel: against Dovecot and pymap,
a sync with the worker yields exactly the pages (conversations and cursors) of one
without, also when the worker is killed part-way.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable
from typing import Any

import pytest

from herocli.channels.mail import channel as channel_module
from herocli.channels.mail import worker as worker_module
from herocli.channels.mail.worker import Worker
from herocli.exchange import FetchPage, SilentProgress
from tests.test_mail_channel import (  # noqa: F401  (fixtures)
    imap,
    imap_running,
    mail,
    make_channel,
    mid_of,
    pages,
)

ON_LINUX = sys.platform.startswith("linux")
needs_fork = pytest.mark.skipif(not ON_LINUX, reason="the worker is forked on Linux only")


def _gone_within(pid: int, seconds: float) -> bool:
    """Whether process ``pid`` ends within ``seconds`` (woken by its end, not by polling)."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        ready, _, _ = select.select([fd], [], [], seconds)
        return bool(ready)
    finally:
        os.close(fd)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _pid_and(value: int) -> tuple[int, int]:
    return os.getpid(), value * value


# --- the worker ----------------------------------------------------------------------------
@needs_fork
def test_a_forked_worker_gives_what_the_work_gives_here() -> None:
    worker: Worker[int, tuple[int, int]] = Worker(_pid_and, forked=True)
    pid = worker.pid
    assert pid is not None
    assert pid != os.getpid()
    try:
        results = []
        for n in range(5):
            results.append(worker.submit(n).result())
        assert [square for _, square in results] == [n * n for n in range(5)]
        assert {where for where, _ in results} == {pid}  # done over there, every batch
    finally:
        worker.close()
    assert not _alive(pid)  # it ended with its input and was reaped


def test_without_a_fork_the_work_is_done_here(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(worker_module.sys, "platform", "darwin")
    worker: Worker[int, tuple[int, int]] = Worker(_pid_and, forked=True)
    assert worker.pid is None
    assert worker.submit(7).result() == (os.getpid(), 49)
    worker.close()


@needs_fork
def test_a_worker_killed_mid_batch_leaves_that_batch_and_the_rest_here() -> None:
    worker: Worker[int, tuple[int, int]] = Worker(_pid_and, forked=True)
    pid = worker.pid
    assert pid is not None
    assert worker.submit(2).result() == (pid, 4)
    job = worker.submit(3)
    os.kill(pid, signal.SIGKILL)
    assert job.result() == (os.getpid(), 9)
    assert worker.pid is None
    assert worker.submit(4).result() == (os.getpid(), 16)
    worker.close()
    assert not _alive(pid)


@needs_fork
def test_closing_a_busy_worker_kills_it_at_once() -> None:
    never, _writer = os.pipe()  # nothing is ever written: the work blocks for good

    def blocking(_: int) -> bytes:
        return os.read(never, 1)

    worker: Worker[int, bytes] = Worker(blocking, forked=True)
    pid = worker.pid
    assert pid is not None
    worker.submit(1)
    worker.close()  # returns: it does not wait for an answer that never comes
    assert not _alive(pid)
    os.close(never)
    os.close(_writer)


@needs_fork
def test_a_worker_ends_when_its_parent_is_killed() -> None:
    script = textwrap.dedent(
        """
        import sys
        from herocli.channels.mail.worker import Worker
        worker = Worker(abs, forked=True)
        print(worker.pid, flush=True)
        sys.stdin.read()
        """
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert parent.stdout is not None
        pid = int(parent.stdout.readline())
        assert _alive(pid)
        parent.kill()
        parent.wait()
        assert _gone_within(pid, 30), "the worker outlived its parent"
    finally:
        parent.kill()
        parent.wait()
        assert parent.stdin is not None
        assert parent.stdout is not None
        parent.stdin.close()
        parent.stdout.close()


# --- the channel ---------------------------------------------------------------------------
def _mailbox(imap: Any) -> None:
    """Threads over several batches, replies in Sent, one reply before its parent."""
    inbox, sent = [], []
    for n in range(9):
        root = mail(f"Question {n}", f"Body of question {n}.", sender=f"Cust {n} <c{n}@x.example>")
        inbox.append(root)
        answer = mail(
            f"Re: Question {n}",
            f"Answer {n}.",
            sender="Acme Support <hey@acme.dev>",
            to=f"c{n}@x.example",
            in_reply_to=mid_of(root),
            references=mid_of(root),
        )
        sent.append(answer)
        if n % 3 == 0:
            inbox.append(
                mail(
                    f"Re: Question {n}",
                    f"Thanks {n}!",
                    sender=f"c{n}@x.example",
                    in_reply_to=mid_of(answer),
                )
            )
    inbox.insert(0, inbox.pop())  # the last reply arrives first
    imap.append_many("INBOX", inbox)
    imap.append_many(imap.sent_folder, sent)


def _shape(result: list[FetchPage]) -> list[tuple[Any, ...]]:
    return [(page.conversations, page.cursor) for page in result]


class _Spy:
    """Wraps ``Worker`` in the channel module, noting each worker's pid; ``meddle`` may act
    on the worker after each submit."""

    def __init__(
        self, monkeypatch: pytest.MonkeyPatch, meddle: Callable[[Any, int], None] | None = None
    ) -> None:
        self.pids: list[int | None] = []
        spy = self
        original = channel_module.Worker

        class Watched(original):  # type: ignore[misc, valid-type]
            def __init__(self, work: Any, forked: bool) -> None:
                super().__init__(work, forked)
                spy.pids.append(self.pid)
                self.submits = 0

            def submit(self, arg: Any) -> Any:
                job = super().submit(arg)
                self.submits += 1
                if meddle is not None:
                    meddle(self, self.submits)
                return job

        monkeypatch.setattr(channel_module, "Worker", Watched)


def _sync(imap: Any, forked: bool) -> list[FetchPage]:
    """A first sync of the mailbox in batches of 4, with the worker or without."""
    channel = make_channel(imap)
    channel.batch = 4
    if forked:
        channel.worker_from = 0
    try:
        return pages(channel)
    finally:
        channel.shutdown()


@needs_fork
def test_a_sync_with_the_worker_yields_the_pages_of_one_without(
    imap: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _mailbox(imap)
    expected = _sync(imap, forked=False)
    assert len(expected) >= 3
    spy = _Spy(monkeypatch)
    got = _sync(imap, forked=True)
    assert spy.pids
    assert spy.pids[0] is not None
    assert _shape(got) == _shape(expected)
    assert not _alive(spy.pids[0])


@needs_fork
@pytest.mark.parametrize("at", [1, 2, 3])
def test_a_worker_killed_during_a_sync_changes_no_page(
    imap: Any, monkeypatch: pytest.MonkeyPatch, at: int
) -> None:
    _mailbox(imap)
    expected = _sync(imap, forked=False)

    def kill_at(worker: Any, submits: int) -> None:
        if submits == at and worker.pid is not None:
            os.kill(worker.pid, signal.SIGKILL)

    spy = _Spy(monkeypatch, kill_at)
    got = _sync(imap, forked=True)
    assert _shape(got) == _shape(expected)
    assert spy.pids[0] is not None
    assert not _alive(spy.pids[0])


def test_a_small_sync_starts_no_worker(imap: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    _mailbox(imap)
    spy = _Spy(monkeypatch)
    channel = make_channel(imap)
    assert channel.worker_from == channel_module.WORKER_FROM
    pages(channel)
    channel.shutdown()
    assert spy.pids == [None]


@needs_fork
@pytest.mark.parametrize("forked", [True, False])
def test_while_a_page_is_stored_the_worker_has_the_two_after_it(
    imap: Any, monkeypatch: pytest.MonkeyPatch, forked: bool
) -> None:
    """The worker never waits for this process to store: when a page is handed over, the
    two batches after it are already with the worker (parsing here, only the next one is
    fetched ahead)."""
    _mailbox(imap)
    watched: list[Any] = []
    _Spy(monkeypatch, lambda worker, _: watched.append(worker))
    channel = make_channel(imap)
    channel.batch = 2
    if forked:
        channel.worker_from = 0
    submitted_at_each_page = [watched[-1].submits for _ in channel.fetch({}, SilentProgress())]
    channel.shutdown()
    count = len(submitted_at_each_page)
    assert count >= 5
    ahead = 2 if forked else 1
    assert submitted_at_each_page == [min(n + 1 + ahead, count) for n in range(count)]

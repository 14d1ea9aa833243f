"""Every folder's next messages, a batch at a time, with the next fetch already asked for.

A batch takes up to ``size`` new UIDs of every folder, Sent with the inbox, so a reply and
its parent are threaded together whichever folder each lives in. It comes with the cursor
states that hold once it is stored, taken before the next batch is read: a batch handed
over never claims what the one after it holds.

Before a batch is handed over, the fetch of the next one is sent when its folder is the
one selected, so the server prepares it while the caller parses and stores; each batch
starts in the folder the last one ended in, which saves a SELECT and lets that happen.
The answer is read when the next batch is asked for, and a failure to send the fetch is
raised then too: the batch in hand is still stored first.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass

from herocli.channels.mail.fetching import Fetched
from herocli.channels.mail.imap import ImapSession, PendingFetch
from herocli.channels.mail.plans import FolderPlan
from herocli.errors import ChannelError
from herocli.exchange import SyncProgress
from herocli.models import JSON

__all__ = ["Batch", "read_batches"]


@dataclass(frozen=True)
class Batch:
    """Fetched messages with their folders, and each folder's cursor state once stored."""

    messages: list[tuple[str, Fetched]]
    states: dict[str, JSON]
    #: (folder, UIDs taken so far, new UIDs in all) of each folder the batch read from.
    counts: tuple[tuple[str, int, int], ...] = ()

    def report(self, progress: SyncProgress) -> None:
        """Say how far each folder's reading has come with this batch."""
        for folder, done, total in self.counts:
            progress.update(f"reading {folder}", completed=done, total=total)


def read_batches(
    session: ImapSession, plans: list[FolderPlan], size: int
) -> Generator[Batch, None, None]:
    """The batches of ``plans``; at least one, so a sync with nothing new still moves the
    cursor (new counts after an expunge). Stopping early drops the session when a fetch
    is still unread on it; the channel connects again when next asked."""
    ahead: tuple[FolderPlan, PendingFetch] | ChannelError | None = None
    try:
        first = True
        while first or any(p.remaining for p in plans):
            first = False
            if isinstance(ahead, ChannelError):
                raise ahead
            messages: list[tuple[str, Fetched]] = []
            counts: list[tuple[str, int, int]] = []
            for plan in sorted(plans, key=lambda p: p.folder != session.current):
                uids = plan.take(size)
                if not uids:
                    continue
                if ahead is not None and ahead[0] is plan:
                    fetched = session.finish_fetch(ahead[1])
                else:
                    if session.current != plan.folder:
                        session.select(plan.folder)
                    fetched = session.fetch_messages(uids, plan.sizes)
                ahead = None
                messages.extend((plan.folder, one) for one in fetched)
                counts.append((plan.folder, plan.done, len(plan.new_uids)))
            states = {plan.folder: plan.cursor_state() for plan in plans}
            ahead = _ask_next(session, plans, size)
            yield Batch(messages, states, tuple(counts))
    finally:
        if isinstance(ahead, tuple):
            session.logout()


def _ask_next(
    session: ImapSession, plans: list[FolderPlan], size: int
) -> tuple[FolderPlan, PendingFetch] | ChannelError | None:
    """Send the next batch's fetch in the folder selected now, if it has one."""
    for plan in plans:
        if plan.folder == session.current and plan.remaining:
            try:
                return plan, session.start_fetch(plan.peek(size), plan.sizes)
            except ChannelError as exc:
                return exc
    return None

"""Bring each channel's new and changed conversations into the queue."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from herocli.channels.base import Channel
from herocli.config import TeamSettings
from herocli.errors import HeroError, internal_error
from herocli.exchange import SyncProgress
from herocli.models import JSON, Clock, Message
from herocli.services.inbox import wake_due
from herocli.services.team import TeamDirectory
from herocli.store import Store, cursors, ingest, item_changes
from herocli.store.faults import DatabaseFault, fault_error


@dataclass
class SyncResult:
    """What one channel's sync did; ``error`` is set when it stopped early."""

    channel: str
    new_items: int = 0
    updated_items: int = 0
    new_messages: int = 0
    closed: int = 0
    reopened: int = 0
    pages: int = 0
    error: HeroError | None = None
    summary: str | None = None  # said instead of the counts (the team mirror's own words)
    item_ids: set[int] = field(default_factory=set)
    created_ids: set[int] = field(default_factory=set)
    changed_ids: set[int] = field(default_factory=set)

    def count(self, item_id: int, *, created: bool, changed: bool) -> None:
        """Count an item once per sync: new when this sync made it, else updated if it changed."""
        self.item_ids.add(item_id)
        if created:
            self.created_ids.add(item_id)
        elif changed:
            self.changed_ids.add(item_id)
        self.new_items = len(self.created_ids)
        self.updated_items = len(self.changed_ids - self.created_ids)

    @property
    def ok(self) -> bool:
        return self.error is None


def sync_channel(
    store: Store,
    channel: Channel,
    team: TeamSettings | TeamDirectory,
    clock: Clock,
    progress: SyncProgress,
) -> SyncResult:
    """Fetch from the channel's cursor and store page by page.

    Each page and the cursor after it are committed together, so an
    interrupted sync resumes where it stopped and repeats nothing. A channel
    error ends the sync: the pages before it are kept and the error is
    returned in the result.
    """
    directory = team if isinstance(team, TeamDirectory) else TeamDirectory(team)
    result = SyncResult(channel.name)
    cursor = cursors.load(store.conn, channel.name)

    def is_team(message: Message) -> bool:
        return directory.is_team(channel.name, message)

    try:
        _store_pages(store, channel, cursor, is_team, directory, clock, progress, result)
    except HeroError as exc:
        result.error = exc
        return result
    if result.pages == 0:
        # Nothing new: still record that this channel synced, and when.
        with store.transaction() as db:
            cursors.save(db, channel.name, cursor, clock.now())
    return result


def _store_pages(
    store: Store,
    channel: Channel,
    cursor: JSON,
    is_team: ingest.Classifier,
    directory: TeamDirectory,
    clock: Clock,
    progress: SyncProgress,
    result: SyncResult,
) -> None:
    for page in channel.fetch(cursor, progress):
        now = clock.now()
        with store.transaction() as db:
            for conv in page.conversations:
                outcome = ingest.ingest(
                    db, conv, is_team, now, lambda m: directory.is_internal(channel.name, m)
                )
                if outcome.item_id is None:
                    continue
                changed = outcome.changed
                if conv.assignees is not None:
                    names = _assignee_names(conv.assignees, channel.name, directory)
                    changed |= item_changes.follow_upstream_assignee(
                        db, outcome.item_id, conv.assignees, names, now, channel.name
                    )
                result.count(outcome.item_id, created=outcome.created, changed=changed)
                result.new_messages += outcome.new_messages
                result.closed += int(outcome.closed)
                result.reopened += int(outcome.reopened)
            cursors.save(db, channel.name, page.cursor, now)
        result.pages += 1
        # Stored: let the page go before the channel makes the next one, or a big sync
        # holds two pages at a time.
        del page


def _assignee_names(
    assignees: tuple[str, ...], channel: str, directory: TeamDirectory
) -> tuple[str, ...]:
    """Upstream assignees as the queue names them: members by name (first), others by login."""
    members, others = [], []
    for login in assignees:
        member = directory.member_for(channel, login)
        if member:
            members.append(member.name)
        else:
            others.append(login)
    return tuple(members + others)


def sync_all(
    store: Store,
    channels: Iterable[tuple[str, Callable[[], Channel]]],
    team: TeamSettings,
    clock: Clock,
    progress_for: Callable[[str], SyncProgress],
) -> list[SyncResult]:
    """Sync every channel; one channel's failure is recorded and the others still run."""
    directory = TeamDirectory(team)
    store.check_integrity()  # a damaged queue fails the sync before anything is fetched
    wake_due(store, clock)
    results = []
    for name, make in channels:
        progress = progress_for(name)
        channel: Channel | None = None
        try:
            channel = make()
            results.append(sync_channel(store, channel, directory, clock, progress))
        except HeroError as exc:  # building the channel failed (missing token, bad settings)
            results.append(SyncResult(name, error=exc))
        except DatabaseFault as exc:  # the queue itself failed: no channel can go on
            raise fault_error(store.path, exc) from None
        except Exception as exc:  # a bug in one channel must not stop the others
            results.append(SyncResult(name, error=internal_error(f"the {name} channel", exc)))
        finally:
            if channel is not None:
                channel.shutdown()
    return results

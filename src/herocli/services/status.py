"""How far the queue can be trusted right now: last syncs, writes not yet sent, who is on duty."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from herocli.config import Config
from herocli.services import rota
from herocli.store import Store, cursors
from herocli.store import outbox as rows


@dataclass(frozen=True)
class QueueStatus:
    synced: dict[str, datetime | None]  # each enabled channel's last sync (None: never)
    outbox: dict[str, int]  # entries by state, for the states that still need someone
    on_duty: str | None  # the rota's hero today (None without a rota)


def queue_status(store: Store, config: Config, now: datetime) -> QueueStatus:
    """The status line's facts, read in a few small queries."""
    synced = cursors.last_synced(store.conn)
    on_duty = None
    if config.rota.heroes:
        on_duty = rota.hero_on(config.rota, rota.today(now, rota.local_zone(config.hero)))
    return QueueStatus(
        {name: synced.get(name) for name in config.enabled_channels()},
        rows.open_counts(store.conn),
        on_duty,
    )

"""The event log's vocabulary: what it records. Stats, the handoff and every write use it;
reading the queue never does, so ``hero inbox`` and ``hero show`` never load it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

from herocli.records import field, record


class EventKind(StrEnum):
    """What the event log records; stats and the handoff are queries over it."""

    RECEIVED = "received"  # a message from outside the team arrived
    REPLIED = "replied"  # a team member's message (sent by hero or seen upstream)
    ASSIGNED = "assigned"
    SNOOZED = "snoozed"
    WOKE = "woke"
    CLOSED = "closed"
    REOPENED = "reopened"
    LABELED = "labeled"
    NOTED = "noted"
    HANDED_OFF = "handed_off"


@record
class Event:
    id: int
    item_id: int | None
    kind: EventKind
    at: datetime
    actor: str | None
    detail: Mapping[str, Any] = field(default_factory=dict)

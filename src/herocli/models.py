"""The queue's vocabulary: frozen records and enums shared by every layer.

Only what reading the queue needs: what channels fetch and write is in
``herocli.exchange``, the event log's kinds in ``herocli.events``, so that
``hero inbox`` and ``hero show`` never pay for them.

Times are always timezone-aware UTC ``datetime`` objects. Anything a channel
hands over (titles, bodies, names) is untrusted text and is stored verbatim;
escaping happens only when it is rendered.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Protocol

from herocli.records import field, record

JSON = dict[str, Any]


class ItemState(StrEnum):
    """Local state of an item in the queue."""

    OPEN = "open"
    SNOOZED = "snoozed"
    CLOSED = "closed"


class RemoteState(StrEnum):
    """State of the conversation at its source, where the source has one (GitHub)."""

    OPEN = "open"
    CLOSED = "closed"


class Waiting(StrEnum):
    """Whose turn it is, derived from who spoke last."""

    US = "us"
    THEM = "them"


class Delivery(StrEnum):
    """Why a team message is no answer (yet): its send is uncertain, or the hero dropped it."""

    UNCERTAIN = "uncertain"  # it may or may not have reached the customer
    DROPPED = "dropped"  # the hero dropped its outbox entry: not counted


@record
class TeamMember:
    """One person on the support team, with their identity on each channel."""

    name: str
    github: str | None = None
    emails: tuple[str, ...] = ()
    slack: str | None = None


@record
class Attachment:
    name: str
    size: int
    content_type: str = "application/octet-stream"


@record
class Message:
    """One message of a conversation, as a channel saw it.

    ``author_id`` is the channel's identity of the author (GitHub login, email
    address, Slack user id); team membership is decided from it by the config.
    ``team_hint`` lets a channel say "this is one of ours" when it knows better
    (for instance a message the hero sent, or GitHub's author_association).
    ``meta`` holds channel-specific values the channel needs later (an email's
    Message-ID and References, a Slack ts); it must be JSON-serialisable.
    ``unconfirmed`` says the channel holds the team's copy of a send whose outcome is
    unknown (an email's Sent copy still marked as sending): it is no answer until the
    outbox settles it.
    """

    external_id: str
    author_id: str
    author_name: str
    sent_at: datetime
    body: str
    url: str | None = None
    team_hint: bool | None = None
    deleted: bool = False
    edited_at: datetime | None = None
    attachments: tuple[Attachment, ...] = ()
    meta: Mapping[str, Any] = field(default_factory=dict)
    unconfirmed: bool = False


def shown_text(message: Message) -> str:
    """What is shown of ``message`` unless all of it is asked for: the part a channel named
    in ``meta["trimmed"]`` (the text itself, or how many of the body's first characters:
    most mail is the reply above its quote), else the whole body."""
    trimmed = message.meta.get("trimmed")
    if type(trimmed) is int and trimmed > 0:
        return message.body[:trimmed]
    return str(trimmed or message.body)


class Clock(Protocol):
    def now(self) -> datetime: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """The real clock; tests pass their own."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def sleep(self, seconds: float) -> None:
        import time

        time.sleep(seconds)


# "00" to "99", for iso() to write a time's fields with: isoformat() formats each number
# with C's printf, and a listing writes a few times for each of its items.
_TWO_DIGITS = tuple(f"{n:02d}" for n in range(100))


def iso(moment: datetime | None) -> str | None:
    """A time as ISO 8601 in UTC with a ``Z``, the form every ``--json`` uses.

    The text ``isoformat()`` gives, with ``Z`` for ``+00:00``, at two thirds of its cost.
    """
    if moment is None:
        return None
    # Each field read costs about as much as formatting it: each is read once.
    t = moment if moment.tzinfo is UTC else utc(moment)
    year = t.year
    if year < 1000:  # isoformat pads the year to four digits
        return t.isoformat().replace("+00:00", "Z")
    two = _TWO_DIGITS
    micro = t.microsecond
    fraction = f".{micro:06d}" if micro else ""
    return f"{year}-{two[t.month]}-{two[t.day]}T{two[t.hour]}:{two[t.minute]}:{two[t.second]}{fraction}Z"


def utc(value: datetime) -> datetime:
    """Return ``value`` as an aware UTC datetime (naive values are taken as UTC)."""
    if value.tzinfo is UTC:  # as the queue reads every time: nothing to convert
        return value
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


@record
class Item:
    """An item as the queue holds it: the conversation plus local state and derived fields."""

    id: int
    channel: str
    external_id: str
    title: str
    url: str | None
    state: ItemState  # effective: a snooze whose time has come reads as open
    snoozed_until: datetime | None
    remote_state: RemoteState | None
    assignee: str | None
    labels: tuple[str, ...]
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    message_count: int
    first_message_at: datetime | None
    last_message_at: datetime | None
    last_author: str | None
    last_from_team: bool | None
    waiting_since: datetime | None  # when the oldest unanswered outside message arrived
    meta: Mapping[str, Any] = field(default_factory=dict)
    reply_uncertain: bool = False  # a team reply whose delivery is unknown (see Delivery)

    @property
    def waiting(self) -> Waiting | None:
        """Whose turn it is: ours when an outsider spoke last, theirs when we did."""
        if self.last_from_team is None:
            return None
        return Waiting.THEM if self.last_from_team else Waiting.US


@record
class StoredMessage:
    id: int
    item_id: int
    message: Message
    from_team: bool
    internal: bool = False  # between teammates (a ping): not an answer
    sent_by: str | None = None  # the member who sent it through hero
    delivery: Delivery | None = None  # None: an answer like any other


@record
class Note:
    id: int
    item_id: int
    at: datetime
    author: str | None
    body: str

"""What the queue and a channel hand each other: conversations fetched, the thread and
reply to write and the proof it was sent, a fetch's progress, and credentials.

Only syncs and writes load it; reading the queue (``hero inbox``, ``hero show``) never does.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from herocli.models import JSON, Message, RemoteState
from herocli.records import field, record


class CloseReason(StrEnum):
    COMPLETED = "completed"
    NOT_PLANNED = "not_planned"


@record
class LooseLink:
    """Weaker evidence than ``refers_to`` that conversations belong together (a subject).

    Every conversation may *offer* keys; one that *seeks* a key joins the item that most
    recently offered it before ``at``, within the queue's window, and only that one.
    """

    key: str
    at: datetime
    seeks: bool = False


@record
class Conversation:
    """A conversation as fetched: new or changed messages of one thread.

    A fetch need not repeat messages it returned before: the queue merges
    messages by ``external_id``. ``refers_to`` lists external ids of messages
    this conversation answers (email References); when the queue already holds
    one of them, the messages join that item instead of starting a new one; when
    several items hold or wait for those ids, they are merged into the oldest.
    ``loose`` carries weaker evidence (see ``LooseLink``). ``keeps_title``: the
    queue's title stays as first filed (mail: a later copy must not rename it).
    ``remote_state`` is ``None`` for channels with no notion of open/closed.
    An empty ``title`` means the source no longer knows it: the queue keeps its own.
    ``join_only`` conversations only add to an item the queue already has (a
    comment on an issue the channel cannot tell was ever synced). ``closed_at``
    is when the source closed it: an outside message after that keeps the item open.
    """

    channel: str
    external_id: str
    title: str
    messages: tuple[Message, ...] = ()
    url: str | None = None
    remote_state: RemoteState | None = None
    labels: tuple[str, ...] | None = None  # None: the channel does not know labels
    assignees: tuple[str, ...] | None = None
    refers_to: tuple[str, ...] = ()
    meta: Mapping[str, Any] = field(default_factory=dict)
    loose: tuple[LooseLink, ...] = ()
    keeps_title: bool = False
    join_only: bool = False
    closed_at: datetime | None = None


@record
class FetchPage:
    """One committed step of a fetch: the conversations, then the cursor to resume from.

    The sync service stores the conversations and the cursor in one
    transaction, so a crash never moves a cursor past data it did not keep.
    """

    conversations: tuple[Conversation, ...]
    cursor: JSON


@record
class Thread:
    """What a channel needs to know about an item to write to it."""

    item_id: int
    external_id: str
    title: str
    url: str | None
    messages: tuple[Message, ...]
    meta: Mapping[str, Any] = field(default_factory=dict)


@record
class OutgoingReply:
    """A reply waiting in the outbox. ``key`` is unique and stable across retries."""

    key: str
    body: str
    broadcast: bool = False
    # Mentions hero added on purpose (``hero assign --ping``); any other is shown literally.
    mentions: tuple[str, ...] = ()
    # Who wrote it, where the channel shows a sender's name (an email's From): a teammate
    # whose answer was relayed from the team mirror.
    sender: str | None = None
    # The name to post under where the channel lets an app choose one per message (Slack's
    # ``username``, with the chat:write.customize scope); None: the app's own name.
    sign_as: str | None = None


@record
class Sent:
    """Proof that a write reached the channel."""

    external_id: str
    sent_at: datetime
    url: str | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)


class SyncProgress(Protocol):
    """How a channel reports progress while it fetches."""

    def update(
        self, description: str, *, completed: int | None = None, total: int | None = None
    ) -> None:
        """Say what is happening; counts are optional."""

    def waiting(self, seconds: float, reason: str) -> None:
        """Say that the channel waits ``seconds`` (a rate limit) before going on."""


class SilentProgress:
    def update(
        self, description: str, *, completed: int | None = None, total: int | None = None
    ) -> None:
        pass

    def waiting(self, seconds: float, reason: str) -> None:
        pass


@record
class Secret:
    """A credential and the name of the variable (or keyring entry) it came from."""

    value: str = field(repr=False)
    source: str

    def __post_init__(self) -> None:
        from herocli.redact import remember  # here: a read of the queue reads no secret

        remember(self.value)


class SecretSource(Protocol):
    def secret(self, names: tuple[str, ...], purpose: str) -> Secret:
        """The first of ``names`` that is set; else ``AuthError`` naming them all."""
        ...

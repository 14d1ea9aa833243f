"""The one interface every channel implements.

A channel turns a source (GitHub, a mailbox, Slack) into ``Conversation``s and
carries writes back. It never touches the queue database: the sync service
stores what ``fetch`` yields, and the reply service drives the outbox.

Every method raises only ``herocli.errors`` types: ``AuthError`` for a
missing/rejected credential (naming the variable), ``UnreachableError`` when
the server cannot be reached, ``RateLimitedError`` when a wait would exceed
the configured maximum, ``NotSupportedError`` for an operation the channel
does not have, ``ChannelError`` for anything else.

What a channel can do at its source is said by its ``capabilities``: the
services ask them (a label on a channel without labels stays local) instead
of naming channels, and the contract tests run where a capability is claimed.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from herocli.errors import NotSupportedError
from herocli.exchange import CloseReason, FetchPage, OutgoingReply, Sent, SyncProgress, Thread
from herocli.models import JSON, TeamMember


@dataclass(frozen=True)
class Capabilities:
    """What a channel's writes change at the source; ``False`` means the change stays local."""

    #: ``close``/``reopen`` change the conversation upstream (GitHub state, a Slack reaction).
    remote_close: bool = False
    #: ``set_labels`` edits labels upstream.
    labels: bool = False
    #: ``assign`` sets assignees upstream.
    assignees: bool = False
    #: ``mention`` can @mention a team member in a message.
    mentions: bool = False
    #: ``post`` writes outside any item (``#channel``, ``owner/repo#N``).
    post: bool = False
    #: ``close`` keeps its reason upstream (completed or not planned).
    close_reasons: bool = False
    #: a reply can also be broadcast to the whole channel (``OutgoingReply.broadcast``).
    broadcast: bool = False


class Markup(StrEnum):
    """The markup a channel's posts are read in."""

    #: GitHub-flavoured Markdown: headings, tables, backslash escapes, HTML entities.
    GITHUB = "github"
    #: Slack mrkdwn: no tables or headings; the channel escapes ``& < >`` when it sends.
    SLACK = "slack"


@dataclass(frozen=True)
class PostFormat:
    """How a ``post`` wants its text: in which markup, and how much of it one post holds."""

    markup: Markup
    #: The most characters one post may hold; a longer text goes out in parts.
    limit: int


class Channel(ABC):
    """A source of conversations and a way to answer them."""

    #: The name items and cursors are filed under ("github", "email", "slack").
    name: str
    #: What this channel can change at its source (an instance may narrow it from its settings).
    capabilities: Capabilities = Capabilities()
    #: How ``post`` wants its text; set by every channel with ``capabilities.post``.
    post_format: PostFormat | None = None

    @abstractmethod
    def fetch(self, cursor: JSON, progress: SyncProgress) -> Iterator[FetchPage]:
        """Yield new or changed conversations since ``cursor`` (``{}`` on first sync).

        Each page carries the cursor to resume from once its conversations are
        stored. Fetching twice from the same cursor yields the same data, so an
        interrupted sync can simply be run again.
        """

    @abstractmethod
    def send_reply(self, thread: Thread, reply: OutgoingReply) -> Sent:
        """Post ``reply`` into ``thread``; the id returned is the one ``fetch`` reports later."""

    @abstractmethod
    def find_sent(self, thread: Thread, reply: OutgoingReply) -> Sent | None:
        """Return the message ``reply.key`` already produced in ``thread``, if any.

        Called before a retried send, so a crash between sending and recording
        never posts twice.
        """

    @abstractmethod
    def close(self, thread: Thread, reason: CloseReason) -> None:
        """Close the conversation at its source (idempotent; may be local-only)."""

    @abstractmethod
    def reopen(self, thread: Thread) -> None:
        """Reopen the conversation at its source (idempotent; may be local-only)."""

    def assign(self, thread: Thread, member: TeamMember) -> None:  # noqa: B027
        """Assign ``member`` at the source. Channels without ``capabilities.assignees`` do nothing."""

    def set_labels(self, thread: Thread, add: tuple[str, ...], remove: tuple[str, ...]) -> None:
        """Edit labels at the source. Channels without ``capabilities.labels`` do nothing."""
        del thread, add, remove

    def post_target(self, target: str) -> str:
        """``target`` as ``post`` takes it, read without asking the source.

        Raises ``UsageError`` when it is not a target of this channel, and
        ``NotSupportedError`` on a channel without ``capabilities.post``.
        """
        del target
        raise NotSupportedError(f"the {self.name} channel cannot post outside an item")

    def post(self, target: str, body: str, key: str) -> Sent:
        """Post ``body`` to a target outside any item (``#channel``, ``owner/repo#N``)."""
        del body, key
        raise NotSupportedError(f"the {self.name} channel cannot post to {target!r}")

    def find_posted(self, target: str, key: str, since: datetime | None = None) -> Sent | None:
        """Return the message a ``post`` with ``key`` already produced, if any.

        ``since`` is when the write was queued: no attempt can be older, so a channel
        may look from there on, however many messages came after it.
        """
        del target, key, since
        return None

    def mention(self, member: TeamMember) -> str | None:
        """How to @mention ``member`` in a message on this channel, if possible."""
        del member
        return None

    def shutdown(self) -> None:  # noqa: B027
        """Release connections (IMAP sessions, HTTP pools). Safe to call twice."""

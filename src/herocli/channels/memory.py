"""A channel whose source is a Python object: the reference implementation of the contract.

It is what the contract tests check the real channels against, and what the
workflow tests use where the channel itself is not the subject.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from herocli.channels.base import Capabilities, Channel, Markup, PostFormat
from herocli.errors import AuthError, NotFoundError, UnreachableError, UsageError
from herocli.exchange import (
    CloseReason,
    Conversation,
    FetchPage,
    OutgoingReply,
    Sent,
    SyncProgress,
    Thread,
)
from herocli.models import JSON, Clock, Message, RemoteState, TeamMember


@dataclass
class RemoteThread:
    external_id: str
    title: str
    messages: list[Message] = field(default_factory=list)
    state: RemoteState = RemoteState.OPEN
    labels: list[str] = field(default_factory=list)
    assignees: list[str] = field(default_factory=list)
    version: int = 0  # bumped on every change; fetch reports threads above the cursor's


#: Every capability: the reference channel can do all a channel may do at its source.
EVERYTHING = Capabilities(
    remote_close=True,
    labels=True,
    assignees=True,
    mentions=True,
    post=True,
    close_reasons=True,
    broadcast=True,
)
#: Posts in Markdown, as long as a GitHub comment may be (a stand-in says otherwise).
MARKDOWN_POSTS = PostFormat(Markup.GITHUB, limit=60_000)


@dataclass
class MemoryBackend:
    """The 'server' side: threads that change as people write.

    Like a real server it can be out of reach (``reachable``) or reject the
    credential (``credential_valid``), and the credential can be missing
    (``credential_set``): every call of a channel then fails as a real channel's
    would.
    """

    clock: Clock
    threads: dict[str, RemoteThread] = field(default_factory=dict)
    version: int = 0
    sent_by_key: dict[str, str] = field(default_factory=dict)
    write_log: list[str] = field(default_factory=list)
    # Posts outside any thread, by target: (key, message), oldest first.
    posts: dict[str, list[tuple[str, Message]]] = field(default_factory=dict)
    credential_variable: str = "HERO_MEMORY_TOKEN"
    credential_set: bool = True
    credential_valid: bool = True
    reachable: bool = True

    def answer(self) -> None:
        """Raise what a server in this state answers to any call."""
        if not self.credential_set:
            raise AuthError(f"no memory backend token: set ${self.credential_variable}")
        if not self.reachable:
            raise UnreachableError("cannot reach the memory backend")
        if not self.credential_valid:
            raise AuthError(
                f"the memory backend rejected the token in ${self.credential_variable}",
                hint=f"set ${self.credential_variable} to a valid token",
            )

    def _touch(self, thread: RemoteThread) -> None:
        self.version += 1
        thread.version = self.version

    def start(self, external_id: str, title: str, author: str, body: str) -> RemoteThread:
        thread = RemoteThread(external_id, title)
        self.threads[external_id] = thread
        self.add(external_id, author, body)
        return thread

    def add(
        self, external_id: str, author: str, body: str, *, at: datetime | None = None
    ) -> Message:
        thread = self.threads[external_id]
        message = Message(
            external_id=f"{external_id}/{len(thread.messages) + 1}",
            author_id=author,
            author_name=author,
            sent_at=at or self.clock.now(),
            body=body,
        )
        thread.messages.append(message)
        self._touch(thread)
        return message

    def delete(self, external_id: str) -> None:
        """The conversation is deleted at the source: gone from every list and every write."""
        del self.threads[external_id]


class MemoryChannel(Channel):
    """A channel over a ``MemoryBackend``; ``capabilities`` lets it stand in for any channel."""

    def __init__(
        self,
        backend: MemoryBackend,
        name: str = "memory",
        page_size: int = 2,
        capabilities: Capabilities = EVERYTHING,
        targets: Callable[[str], str] | None = None,
        post_format: PostFormat | None = MARKDOWN_POSTS,
    ) -> None:
        """``targets`` reads a post target, and ``post_format`` says how posts are written,
        as the channel stood in for does (default: any word, in Markdown)."""
        self.backend = backend
        self.name = name
        self.page_size = page_size
        self.capabilities = capabilities
        self.targets = targets or _one_word
        self.post_format = post_format if capabilities.post else None

    def fetch(self, cursor: JSON, progress: SyncProgress) -> Iterator[FetchPage]:
        """Threads changed since the cursor's version, ``page_size`` to a page."""
        self.backend.answer()
        seen = int(cursor.get("version", 0))
        changed = sorted(
            (t for t in self.backend.threads.values() if t.version > seen), key=lambda t: t.version
        )
        for start in range(0, len(changed), self.page_size):
            page = changed[start : start + self.page_size]
            progress.update("fetching", completed=start + len(page), total=len(changed))
            yield FetchPage(
                tuple(self._conversation(t) for t in page), {"version": page[-1].version}
            )

    def _conversation(self, thread: RemoteThread) -> Conversation:
        return Conversation(
            channel=self.name,
            external_id=thread.external_id,
            title=thread.title,
            messages=tuple(thread.messages),
            # A source without the capability does not know the state, labels or assignees.
            remote_state=thread.state if self.capabilities.remote_close else None,
            labels=tuple(thread.labels) if self.capabilities.labels else None,
            assignees=tuple(thread.assignees) if self.capabilities.assignees else None,
        )

    def _thread(self, external_id: str) -> RemoteThread:
        self.backend.answer()
        try:
            return self.backend.threads[external_id]
        except KeyError:
            raise NotFoundError(f"no conversation {external_id} on {self.name}") from None

    def send_reply(self, thread: Thread, reply: OutgoingReply) -> Sent:
        """Append the reply to the thread, remembering its key."""
        self._thread(thread.external_id)
        message = self.backend.add(thread.external_id, "hero", reply.body)
        self.backend.sent_by_key[reply.key] = message.external_id
        self.backend.write_log.append(f"reply {thread.external_id}")
        return Sent(message.external_id, message.sent_at)

    def find_sent(self, thread: Thread, reply: OutgoingReply) -> Sent | None:
        """The message ``reply.key`` produced in the thread, if any."""
        external_id = self.backend.sent_by_key.get(reply.key)
        for message in self._thread(thread.external_id).messages:
            if message.external_id == external_id:
                return Sent(message.external_id, message.sent_at)
        return None

    def close(self, thread: Thread, reason: CloseReason) -> None:
        """Mark the thread closed at the source (local-only without ``remote_close``)."""
        if not self.capabilities.remote_close:
            return
        remote = self._thread(thread.external_id)
        remote.state = RemoteState.CLOSED
        self.backend._touch(remote)
        self.backend.write_log.append(f"close {thread.external_id} {reason.value}")

    def reopen(self, thread: Thread) -> None:
        """Mark the thread open at the source (local-only without ``remote_close``)."""
        if not self.capabilities.remote_close:
            return
        remote = self._thread(thread.external_id)
        remote.state = RemoteState.OPEN
        self.backend._touch(remote)
        self.backend.write_log.append(f"reopen {thread.external_id}")

    def assign(self, thread: Thread, member: TeamMember) -> None:
        """Make ``member`` the thread's assignee (nothing without ``assignees``)."""
        if not self.capabilities.assignees:
            return
        remote = self._thread(thread.external_id)
        remote.assignees = [member.name]
        self.backend._touch(remote)

    def set_labels(self, thread: Thread, add: tuple[str, ...], remove: tuple[str, ...]) -> None:
        """Edit the thread's labels (nothing without ``labels``)."""
        if not self.capabilities.labels:
            return
        remote = self._thread(thread.external_id)
        remote.labels = [n for n in remote.labels if n not in remove] + [
            n for n in add if n not in remote.labels
        ]
        self.backend._touch(remote)

    def post_target(self, target: str) -> str:
        """The target as ``targets`` reads it (``NotSupportedError`` without ``post``)."""
        if not self.capabilities.post:
            return super().post_target(target)
        return self.targets(target)

    def post(self, target: str, body: str, key: str) -> Sent:
        """Add ``body`` to the target's posts, remembering its key."""
        if not self.capabilities.post:
            return super().post(target, body, key)
        self.backend.answer()
        posts = self.backend.posts.setdefault(self.post_target(target), [])
        message = Message(
            external_id=f"{target}/{len(posts) + 1}",
            author_id="hero",
            author_name="hero",
            sent_at=self.backend.clock.now(),
            body=body,
        )
        posts.append((key, message))
        self.backend.write_log.append(f"post {target}")
        return Sent(message.external_id, message.sent_at)

    def find_posted(self, target: str, key: str, since: datetime | None = None) -> Sent | None:
        """The post ``key`` produced at the target, if any."""
        if not self.capabilities.post:
            return super().find_posted(target, key, since)
        self.backend.answer()
        for posted_key, message in self.backend.posts.get(self.post_target(target), ()):
            if posted_key == key:
                return Sent(message.external_id, message.sent_at)
        return None

    def mention(self, member: TeamMember) -> str | None:
        """``@name`` where the channel has mentions."""
        return f"@{member.name}" if self.capabilities.mentions else None


def _one_word(text: str) -> str:
    """A memory channel's post target: one word (``#team``, ``board``)."""
    target = text.strip()
    if not target or len(target.split()) != 1:
        raise UsageError(f"{target[:60]!r} is not a target: one word, like #team")
    return target

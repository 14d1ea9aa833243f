"""The Slack channel: support threads in, threaded replies out."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from herocli.channels.base import Capabilities, Channel, Markup, PostFormat
from herocli.channels.slack.api import SlackApi, SlackCallError
from herocli.channels.slack.convert import (
    is_deleted,
    message_key,
    message_part,
    permalink,
    ts_datetime,
    ts_of,
)
from herocli.channels.slack.lookups import channel_target, is_channel_id
from herocli.channels.slack.mrkdwn import MARKDOWN_LIMIT, escape, markdown_parts, shown_name
from herocli.channels.slack.sync import HISTORY_LIMIT, REPLIES_LIMIT, SlackFetch
from herocli.config_slack import SlackSettings
from herocli.errors import ChannelError, NotFoundError
from herocli.exchange import (
    CloseReason,
    FetchPage,
    OutgoingReply,
    SecretSource,
    Sent,
    SyncProgress,
    Thread,
)
from herocli.models import JSON, Clock, TeamMember

# Our clock and Slack's may disagree: look this much further back than the queue time.
CLOCK_SKEW = timedelta(hours=1)
# What Slack answers a write aimed at a message that was deleted.
GONE = frozenset({"thread_not_found", "message_not_found"})


@contextmanager
def _thread_must_exist(thread: Thread) -> Iterator[None]:
    try:
        yield
    except SlackCallError as exc:
        if exc.code not in GONE:
            raise
        raise NotFoundError(
            f"the Slack question of item #{thread.item_id} was deleted ({exc.code})",
            hint="`hero close --local` files the item away without touching Slack",
        ) from None


class SlackChannel(Channel):
    """Slack threads in the configured channels, answered in the thread."""

    name = "slack"
    # Closing adds a reaction; Slack threads have no labels or assignees.
    capabilities = Capabilities(remote_close=True, mentions=True, post=True, broadcast=True)
    # Slack shows at most 40,000 characters of a message and advises 4,000.
    post_format = PostFormat(Markup.SLACK, limit=3_900)

    def __init__(
        self,
        settings: SlackSettings,
        secrets: SecretSource,
        clock: Clock,
        team_user_ids: frozenset[str] = frozenset(),
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.team_user_ids = team_user_ids
        self.api = SlackApi(settings, secrets, clock)
        self._ids: dict[str, str] = {}

    # -- reading ------------------------------------------------------------

    def fetch(self, cursor: JSON, progress: SyncProgress) -> Iterator[FetchPage]:
        """Yield a page per history page; ``conversations.replies`` only for changed threads."""
        run = SlackFetch(self.api, self.settings, self.team_user_ids, self.clock, cursor, progress)
        yield from run.run()

    # -- writing ------------------------------------------------------------

    def _sent(self, channel: str, ts: str, thread_ts: str | None) -> Sent:
        url = permalink(str(self.api.identity().get("url") or ""), channel, ts, thread_ts)
        meta = {"channel": channel, "ts": ts, "thread_ts": thread_ts or ts}
        return Sent(external_id=f"{channel}:{ts}", sent_at=ts_datetime(ts), url=url, meta=meta)

    @staticmethod
    def _parent(thread: Thread) -> tuple[str, str]:
        channel, sep, ts = thread.external_id.partition(":")
        if not sep or not ts:
            raise ChannelError(f"{thread.external_id!r} is not a Slack thread id (channel:ts)")
        return channel, ts

    def _post(
        self,
        channel: str,
        text: str,
        event: str,
        key: str,
        *,
        keep: tuple[str, ...] = (),
        part: tuple[int, int] = (0, 1),
        **extra: Any,
    ) -> JSON:
        """Post Markdown as a ``markdown`` block with the escaped text as its fallback.

        Both are escaped (``&``, ``<``, ``>`` as entities, which Markdown shows as the
        characters), so only the mentions in ``keep`` can notify anyone.
        """
        safe = escape(text, keep)
        payload: dict[str, Any] = {"key": key}
        if part[1] > 1:
            payload.update(part=part[0], parts=part[1])
        params: dict[str, Any] = {
            "channel": channel,
            "text": safe,
            "metadata": {"event_type": event, "event_payload": payload},
            **extra,
        }
        if len(safe) <= MARKDOWN_LIMIT:
            params["blocks"] = [{"type": "markdown", "text": safe}]
        return self.api.call("chat.postMessage", params)

    def _check_parent(self, thread: Thread, channel: str, parent: str) -> None:
        """Refuse to answer a question deleted upstream: the reply would land nowhere visible."""
        gone = bool(thread.messages) and thread.messages[0].deleted
        if not gone:
            body = self.api.call(
                "conversations.replies",
                {"channel": channel, "ts": parent, "limit": 1},
                allow=frozenset({"thread_not_found", "message_not_found"}),
            )
            first = (body.get("messages") or [{}])[0]
            gone = body.get("ok") is not True or is_deleted(first) or first.get("ts") != parent
        if gone:
            raise NotFoundError(
                f"the Slack question of item #{thread.item_id} was deleted; "
                "the reply was not sent and stays in the outbox",
                hint="`hero show` says why the item closed; `hero outbox` lists the reply",
            )

    def send_reply(self, thread: Thread, reply: OutgoingReply) -> Sent:
        """Post into the thread (``thread_ts`` = the parent's ts), tagged with the reply key.

        A reply too long for one ``markdown`` block goes out as several messages,
        split at paragraphs, in order; a retry posts only the parts not there yet.
        A thread whose question was deleted upstream is refused with ``NotFoundError``.
        """
        channel, parent = self._parent(thread)
        self._check_parent(thread, channel, parent)
        parts = markdown_parts(reply.body, keep=reply.mentions)
        posted = self._parts_posted(channel, parent, reply.key) if len(parts) > 1 else {}
        every: dict[str, Any] = {"thread_ts": parent}
        if reply.sign_as:  # shown instead of the app's name; Slack ignores it without the scope
            every["username"] = shown_name(reply.sign_as)
        first = {**every, "reply_broadcast": True} if reply.broadcast else every
        for number, text in enumerate(parts):
            if number in posted:
                continue
            body = self._post(
                channel,
                text,
                "hero_reply",
                reply.key,
                keep=reply.mentions,
                part=(number, len(parts)),
                **(first if number == 0 else every),
            )
            posted[number] = str(body["ts"])
        return self._sent(channel, posted[0], parent)

    @staticmethod
    def _mine(message: JSON, key: str) -> bool:
        # By the entry's key only, never by text: the same words twice are two replies.
        return message_key(message) == key or message.get("client_msg_id") == key

    def _parts_posted(self, channel: str, parent: str, key: str) -> dict[int, str]:
        """The parts of the reply ``key`` already in the thread: part number → ts."""
        found: dict[int, str] = {}
        params = {
            "channel": channel,
            "ts": parent,
            "limit": REPLIES_LIMIT,
            "include_all_metadata": True,
        }
        try:
            for page in self.api.pages("conversations.replies", params):
                for message in page.get("messages") or ():
                    if message.get("ts") != parent and self._mine(message, key):
                        found.setdefault(message_part(message), str(message["ts"]))
        except SlackCallError as exc:
            if exc.code != "thread_not_found":
                raise
        return found

    def find_sent(self, thread: Thread, reply: OutgoingReply) -> Sent | None:
        """Look through the thread for the message(s) carrying ``reply.key`` in their metadata.

        A reply sent in parts counts as sent only when every part is there.
        """
        channel, parent = self._parent(thread)
        parts = markdown_parts(reply.body, keep=reply.mentions)
        found = self._parts_posted(channel, parent, reply.key)
        if not found or any(n not in found for n in range(len(parts))):
            return None
        return self._sent(channel, found[0], parent)

    def close(self, thread: Thread, reason: CloseReason) -> None:
        """Add the close reaction to the thread's parent (already there is fine)."""
        del reason
        channel, parent = self._parent(thread)
        params = {"channel": channel, "timestamp": parent, "name": self.settings.close_reaction}
        with _thread_must_exist(thread):
            self.api.call("reactions.add", params, allow=frozenset({"already_reacted"}))

    def reopen(self, thread: Thread) -> None:
        """Remove our close reaction from the parent (absent is fine)."""
        channel, parent = self._parent(thread)
        params = {"channel": channel, "timestamp": parent, "name": self.settings.close_reaction}
        with _thread_must_exist(thread):
            self.api.call("reactions.remove", params, allow=frozenset({"no_reaction"}))

    def _target(self, target: str) -> str:
        if is_channel_id(target):
            return target
        name = f"#{target.lstrip('#')}"
        if name not in self._ids:
            for page in self.api.pages(
                "conversations.list",
                {
                    "types": "public_channel,private_channel",
                    "exclude_archived": True,
                    "limit": 1000,
                },
            ):
                for channel in page.get("channels") or ():
                    self._ids[f"#{channel['name']}"] = str(channel["id"])
        if name not in self._ids:
            raise NotFoundError(
                f"no Slack channel {name} is visible to the app",
                hint="check the name; for a private channel, `/invite @<app>` first",
            )
        return self._ids[name]

    def post_target(self, target: str) -> str:
        """``#channel`` or a channel id (whether the app sees it is known when posting)."""
        return channel_target(target)

    def post(self, target: str, body: str, key: str) -> Sent:
        """Post a top-level message to ``#channel`` or a channel id."""
        channel = self._target(target)
        answer = self._post(channel, body, "hero_post", key)
        return self._sent(str(answer.get("channel") or channel), str(answer["ts"]), None)

    def find_posted(self, target: str, key: str, since: datetime | None = None) -> Sent | None:
        """Look for the message carrying ``key`` in the channel, paging from ``since`` on.

        However many messages came after the attempt, every page from the time the
        write was queued is read (newest first); without ``since``, the newest page only.
        """
        channel = self._target(target)
        params: dict[str, Any] = {
            "channel": channel,
            "limit": HISTORY_LIMIT,
            "include_all_metadata": True,
        }
        if since is not None:
            params.update(oldest=ts_of(since - CLOCK_SKEW), inclusive=True)
        for body in self.api.pages("conversations.history", params):
            for message in body.get("messages") or ():
                if message_key(message) == key:
                    return self._sent(channel, str(message["ts"]), None)
            if since is None:
                break
        return None

    # -- the team mirror (services/mirror) -----------------------------------

    def fetch_mirror(
        self,
        target: str,
        watch: set[str],
        cursor: JSON,
        progress: SyncProgress,
        reread: frozenset[str] = frozenset(),
    ) -> Iterator[FetchPage]:
        """Read the mirror channel ``target``: the threads of the parents in ``watch`` that
        changed since ``cursor`` (and those in ``reread``, changed or not: an edited
        reply moves nothing in its parent), as conversations (never items)."""
        from herocli.channels.slack.mirror_sync import MirrorFetch

        run = MirrorFetch(
            self.api, self.settings, target, self.clock, cursor, progress, watch, reread
        )
        yield from run.run()

    def mirror_post(self, target: str, text: str, key: str, thread_ts: str | None = None) -> Sent:
        """Post hero's own mrkdwn (every outside word in it already escaped) to ``target``,
        or into the thread ``thread_ts`` there, tagged with ``key``."""
        channel = self._target(target)
        params: dict[str, Any] = {
            "channel": channel,
            "text": text,
            "unfurl_links": False,
            "unfurl_media": False,
            "metadata": {
                "event_type": "hero_post" if thread_ts is None else "hero_reply",
                "event_payload": {"key": key},
            },
        }
        if thread_ts is not None:
            params["thread_ts"] = thread_ts
        body = self.api.call("chat.postMessage", params)
        return self._sent(str(body.get("channel") or channel), str(body["ts"]), thread_ts)

    def mirror_find(
        self, target: str, key: str, since: datetime, thread_ts: str | None = None
    ) -> Sent | None:
        """The message ``mirror_post`` with ``key`` already made, if any (by key only)."""
        if thread_ts is None:
            return self.find_posted(target, key, since)
        channel = self._target(target)
        found = self._parts_posted(channel, thread_ts, key)
        return self._sent(channel, found[0], thread_ts) if 0 in found else None

    def mirror_edit(self, channel: str, ts: str, text: str) -> None:
        """Replace the text of hero's message ``ts`` (a parent deleted meanwhile is left so)."""
        params = {"channel": channel, "ts": ts, "text": text}
        self.api.call("chat.update", params, allow=frozenset({"message_not_found"}))

    def mirror_react(self, channel: str, ts: str, name: str) -> None:
        """Add the reaction ``name`` to message ``ts`` (there already, or deleted, is fine)."""
        params = {"channel": channel, "timestamp": ts, "name": name}
        allow = frozenset({"already_reacted", "message_not_found"})
        self.api.call("reactions.add", params, allow=allow)

    def mention(self, member: TeamMember) -> str | None:
        """``<@U…>`` for a member whose Slack user id is configured."""
        if member.slack and member.slack.startswith(("U", "W")):
            return f"<@{member.slack}>"
        return None

    def shutdown(self) -> None:
        self.api.close()

"""The Slack channel: support threads in, threaded replies out."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from herocli.channels.base import Channel
from herocli.channels.slack.api import SlackApi, SlackCallError
from herocli.channels.slack.lookups import is_channel_id
from herocli.channels.slack.mrkdwn import escape
from herocli.channels.slack.sync import SlackFetch, message_key, permalink, ts_datetime
from herocli.config import SlackSettings
from herocli.errors import ChannelError, NotFoundError
from herocli.models import (
    JSON,
    Clock,
    CloseReason,
    FetchPage,
    OutgoingReply,
    SecretSource,
    Sent,
    SyncProgress,
    TeamMember,
    Thread,
)

FIND_POSTED_LIMIT = 100


class SlackChannel(Channel):
    """Slack threads in the configured channels, answered in the thread."""

    name = "slack"

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
        self._identity: JSON | None = None
        self._ids: dict[str, str] = {}

    # -- reading ------------------------------------------------------------

    def fetch(self, cursor: JSON, progress: SyncProgress) -> Iterator[FetchPage]:
        """Yield a page per history page; ``conversations.replies`` only for changed threads."""
        run = SlackFetch(self.api, self.settings, self.team_user_ids, self.clock, cursor, progress)
        yield from run.run()

    # -- writing ------------------------------------------------------------

    def _me(self) -> JSON:
        if self._identity is None:
            self._identity = self.api.call("auth.test", {})
        return self._identity

    def _sent(self, channel: str, ts: str, thread_ts: str | None) -> Sent:
        url = permalink(str(self._me().get("url") or ""), channel, ts, thread_ts)
        meta = {"channel": channel, "ts": ts, "thread_ts": thread_ts or ts}
        return Sent(external_id=f"{channel}:{ts}", sent_at=ts_datetime(ts), url=url, meta=meta)

    @staticmethod
    def _parent(thread: Thread) -> tuple[str, str]:
        channel, sep, ts = thread.external_id.partition(":")
        if not sep or not ts:
            raise ChannelError(f"{thread.external_id!r} is not a Slack thread id (channel:ts)")
        return channel, ts

    def _post(self, channel: str, text: str, event: str, key: str, **extra: Any) -> JSON:
        params = {
            "channel": channel,
            "text": escape(text),
            "metadata": {"event_type": event, "event_payload": {"key": key}},
            **extra,
        }
        return self.api.call("chat.postMessage", params)

    def send_reply(self, thread: Thread, reply: OutgoingReply) -> Sent:
        """Post into the thread (``thread_ts`` = the parent's ts), tagged with the reply key."""
        channel, parent = self._parent(thread)
        extra: dict[str, Any] = {"thread_ts": parent}
        if reply.broadcast:
            extra["reply_broadcast"] = True
        body = self._post(channel, reply.body, "hero_reply", reply.key, **extra)
        return self._sent(str(body.get("channel") or channel), str(body["ts"]), parent)

    def _mine(self, message: JSON, key: str, body: str) -> bool:
        if message_key(message) == key or message.get("client_msg_id") == key:
            return True
        return message.get("user") == self._me().get("user_id") and message.get("text") == escape(
            body
        )

    def find_sent(self, thread: Thread, reply: OutgoingReply) -> Sent | None:
        """Look through the thread for a message carrying ``reply.key`` (or our text, by us)."""
        channel, parent = self._parent(thread)
        params = {"channel": channel, "ts": parent, "limit": 200, "include_all_metadata": True}
        try:
            for page in self.api.pages("conversations.replies", params):
                for message in page.get("messages") or ():
                    if message.get("ts") != parent and self._mine(message, reply.key, reply.body):
                        return self._sent(channel, str(message["ts"]), parent)
        except SlackCallError as exc:
            if exc.code == "thread_not_found":
                return None
            raise
        return None

    def close(self, thread: Thread, reason: CloseReason) -> None:
        """Add the close reaction to the thread's parent (already there is fine)."""
        del reason
        channel, parent = self._parent(thread)
        params = {"channel": channel, "timestamp": parent, "name": self.settings.close_reaction}
        self.api.call("reactions.add", params, allow=frozenset({"already_reacted"}))

    def reopen(self, thread: Thread) -> None:
        """Remove our close reaction from the parent (absent is fine)."""
        channel, parent = self._parent(thread)
        params = {"channel": channel, "timestamp": parent, "name": self.settings.close_reaction}
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

    def post(self, target: str, body: str, key: str) -> Sent:
        """Post a top-level message to ``#channel`` or a channel id."""
        channel = self._target(target)
        answer = self._post(channel, body, "hero_post", key)
        return self._sent(str(answer.get("channel") or channel), str(answer["ts"]), None)

    def find_posted(self, target: str, key: str) -> Sent | None:
        """Look through the channel's recent messages for one carrying ``key``."""
        channel = self._target(target)
        params = {"channel": channel, "limit": FIND_POSTED_LIMIT, "include_all_metadata": True}
        body = self.api.call("conversations.history", params)
        for message in body.get("messages") or ():
            if message_key(message) == key:
                return self._sent(channel, str(message["ts"]), None)
        return None

    def mention(self, member: TeamMember) -> str | None:
        """``<@U…>`` for a member whose Slack user id is configured."""
        if member.slack and member.slack.startswith(("U", "W")):
            return f"<@{member.slack}>"
        return None

    def shutdown(self) -> None:
        self.api.close()

"""Slack messages as the queue's conversations and messages."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from herocli.channels.slack.lookups import SlackLookups
from herocli.channels.slack.mrkdwn import to_plain
from herocli.exchange import Conversation
from herocli.models import JSON, Attachment, Message, RemoteState

CONVERSATIONAL = frozenset({None, "file_share", "me_message", "thread_broadcast"})
KEY_EVENT_TYPES = frozenset({"hero_reply", "hero_post"})
DELETED_WHY = "the question was deleted in Slack"


def ts_datetime(ts: str) -> datetime:
    return datetime.fromtimestamp(float(ts), UTC)


def ts_of(moment: datetime) -> str:
    return f"{moment.timestamp():.6f}"


def permalink(team_url: str, channel: str, ts: str, thread_ts: str | None = None) -> str:
    base = team_url.rstrip("/") or "https://slack.com"
    link = f"{base}/archives/{channel}/p{ts.replace('.', '')}"
    if thread_ts and thread_ts != ts:
        link += f"?thread_ts={thread_ts}&cid={channel}"
    return link


def message_key(message: JSON) -> str | None:
    """The outbox key hero stored in a message it posted, if any."""
    metadata = message.get("metadata") or {}
    if metadata.get("event_type") in KEY_EVENT_TYPES:
        key = (metadata.get("event_payload") or {}).get("key")
        return str(key) if key else None
    return None


def message_part(message: JSON) -> int:
    """Which part of a split reply a message hero posted is (0 when not split)."""
    payload = (message.get("metadata") or {}).get("event_payload") or {}
    try:
        return int(payload.get("part") or 0)
    except (TypeError, ValueError):
        return 0


def is_deleted(message: JSON) -> bool:
    return message.get("subtype") == "tombstone"


def reactions(message: JSON) -> set[str]:
    return {str(r.get("name")) for r in message.get("reactions") or ()}


class SlackConvert(SlackLookups):
    """Turns API messages into ``Conversation``s, naming people and their workspaces."""

    def keep_reply(self, message: JSON) -> bool:
        if message.get("user") and message.get("user") == self.state.get("bot"):
            return True
        return message.get("subtype") in CONVERSATIONAL and not message.get("bot_id")

    def conversation(
        self,
        channel: str,
        parent: JSON,
        replies: list[JSON],
        gone: tuple[str, ...],
        state: RemoteState | None,
        *,
        provisional: bool = False,
    ) -> Conversation:
        """The thread as one conversation; ``provisional``: its replies are not read yet."""
        ts = str(parent["ts"])
        first = self.message(channel, parent, ts)
        messages = [first]
        messages.extend(self.message(channel, r, ts) for r in replies if self.keep_reply(r))
        messages.extend(self.deleted(channel, r, ts) for r in gone)
        meta: dict[str, Any] = {"channel": channel, "ts": ts, "provisional": provisional}
        if first.deleted:
            title = ""  # the queue keeps the title it had
            if state is RemoteState.CLOSED:
                meta["why"] = DELETED_WHY
        else:
            line = next((line.strip() for line in first.body.splitlines() if line.strip()), "")
            title = line if len(line) <= 80 else line[:79] + "…"
            title = title or "(no text)"
        return Conversation(
            channel="slack",
            external_id=f"{channel}:{ts}",
            title=title,
            messages=tuple(messages),
            url=first.url,
            remote_state=state,
            meta=meta,
        )

    def message(self, channel: str, message: JSON, thread_ts: str) -> Message:
        ts = str(message["ts"])
        if is_deleted(message):
            return self.deleted(channel, ts, thread_ts)
        user = str(message.get("user") or message.get("bot_id") or "")
        edited = (message.get("edited") or {}).get("ts")
        meta: dict[str, Any] = {"ts": ts, "thread_ts": thread_ts, "channel": channel}
        key = message_key(message)
        if key:
            meta["key"] = key
        name = self.user_name(user) if user else ""
        external = self.external_team(user, channel) if user else None
        if external:
            meta["team"] = external
            name = f"{name} ({self.workspace_name(external)})"
        files = tuple(
            Attachment(
                name=str(f.get("name") or f.get("title") or "file"),
                size=int(f.get("size") or 0),
                content_type=str(f.get("mimetype") or "application/octet-stream"),
            )
            for f in message.get("files") or ()
        )
        return Message(
            external_id=f"{channel}:{ts}",
            author_id=user,
            author_name=name,
            sent_at=ts_datetime(ts),
            body=to_plain(str(message.get("text") or ""), self.user_name),
            url=permalink(str(self.state.get("team_url") or ""), channel, ts, thread_ts),
            team_hint=True if user and self.is_teammate(user, channel) else None,
            edited_at=ts_datetime(str(edited)) if edited else None,
            attachments=files,
            meta=meta,
        )

    def deleted(self, channel: str, ts: str, thread_ts: str) -> Message:
        return Message(
            external_id=f"{channel}:{ts}",
            author_id="",
            author_name="",
            sent_at=ts_datetime(ts),
            body="",
            url=permalink(str(self.state.get("team_url") or ""), channel, ts, thread_ts),
            deleted=True,
            meta={"ts": ts, "thread_ts": thread_ts, "channel": channel},
        )

"""One Slack fetch: history scans over each channel's open window, replies only for changed threads.

The cursor is the only state kept between syncs::

    {"v": 1, "bot": "U…", "bot_name": "hero", "team_url": "https://x.slack.com/",
     "ids": {"#support": "C…"}, "users": {"U…": "Hana"},
     "ch": {"C…": {"oldest": "<newest top-level ts seen>",
                   "open": {"<thread ts>": [reply_count, latest_reply, edit_mark, [reply ts…]]},
                   "closed": {"<thread ts>": [<as open>…, <epoch watched from>]},
                   "scan": {"from": ts, "below": ts, "top": ts}}}}

``open`` holds the threads that are items and not closed (no close reaction);
``closed`` those closed within ``reopen_window_days``, still watched for replies.
A re-sync reads history from the oldest watched thread (or ``oldest``) onwards,
so it sees edits, deletions and new ``reply_count``/``latest_reply`` values
of exactly those threads, and calls ``conversations.replies`` only for the
ones that changed. ``scan`` exists while a history scan is half done, so a
resumed sync continues below the last page it stored.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from herocli.channels.slack.api import SlackCallError
from herocli.channels.slack.lookups import SlackLookups
from herocli.channels.slack.mrkdwn import to_plain
from herocli.errors import HeroError, NotFoundError, PartlyFailedError
from herocli.models import (
    JSON,
    Attachment,
    Conversation,
    FetchPage,
    Message,
    RemoteState,
)

# The largest page Slack accepts for both methods ("Maximum of 999"). Slack suggests
# 200, but rates these methods by request, not by message: a bigger page is the
# same cost for up to 5x the messages. Slack may still send fewer; has_more says so.
HISTORY_LIMIT = 999
REPLIES_LIMIT = 999
# In reaction intake a message can be marked after it was first seen; look back this far for marks.
REACTION_LOOKBACK = timedelta(days=3)
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


def is_deleted(message: JSON) -> bool:
    return message.get("subtype") == "tombstone"


def reactions(message: JSON) -> set[str]:
    return {str(r.get("name")) for r in message.get("reactions") or ()}


class SlackFetch(SlackLookups):
    """The state and steps of one ``SlackChannel.fetch`` call."""

    def run(self) -> Iterator[FetchPage]:
        """Scan every configured channel; one that fails is named and the others still sync."""
        self.identity()
        failures: list[HeroError] = []
        pages = 0
        for label, channel in self.channel_ids():
            if channel is None:
                failures.append(
                    NotFoundError(
                        f"no Slack channel {label} is visible to the app",
                        hint="check [slack] channels; for a private channel, "
                        "`/invite @<app>` first",
                    )
                )
                continue
            try:
                for page in self.scan(channel):
                    pages += 1
                    yield page
            except SlackCallError as exc:
                if label not in exc.message:
                    exc.message = f"{label}: {exc.message}"
                failures.append(exc)
        if not pages:
            yield FetchPage((), self.snapshot())
        if len(failures) == 1:
            raise failures[0]
        if failures:
            raise PartlyFailedError(failures)

    def scan(self, channel: str) -> Iterator[FetchPage]:
        ch: JSON = self.state["ch"].setdefault(channel, {"open": {}})
        ch.setdefault("open", {})
        ch.setdefault("closed", {})
        oldest: str | None = ch.get("oldest")
        scan: JSON | None = ch.get("scan")
        if scan is None:
            self.forget_closed(ch)
            starts = [oldest or "0", *ch["open"], *ch["closed"]]
            if self.settings.intake == "reaction":
                starts.append(ts_of(self.clock.now() - REACTION_LOOKBACK))
            scan = {
                "from": "0" if oldest is None else min(starts),
                "below": None,
                "top": oldest or "",
            }
        upper: str | None = scan["below"]
        params: dict[str, Any] = {
            "channel": channel,
            "limit": HISTORY_LIMIT,
            "oldest": scan["from"],
            "inclusive": True,
            "latest": upper,
        }
        done = 0
        for body in self.api.pages("conversations.history", params, self.progress):
            messages = [m for m in body.get("messages") or () if upper is None or m["ts"] < upper]
            conversations: list[Conversation] = []
            for message in messages:
                scan["top"] = max(scan["top"], message["ts"])
                conversation = self.consider(channel, ch, message)
                if conversation is not None:
                    conversations.append(conversation)
            more = bool(body.get("has_more")) and bool(messages)
            low = min(m["ts"] for m in messages) if more else scan["from"]
            seen = {m["ts"] for m in messages}
            for ts in sorted([*ch["open"], *ch["closed"]]):
                if ts >= low and (upper is None or ts < upper) and ts not in seen:
                    conversations.append(self.vanished(channel, ch, ts))
            done += len(messages)
            self.progress.update(f"slack {channel}: {done} messages read", completed=done)
            if more:
                scan["below"] = upper = low
                ch["scan"] = scan
            else:
                ch.pop("scan", None)
                if scan["top"]:
                    ch["oldest"] = scan["top"]
            yield FetchPage(tuple(conversations), self.snapshot())
            if not more:
                return

    def starts_item(self, message: JSON) -> bool:
        user = message.get("user")
        if (
            message.get("subtype") not in CONVERSATIONAL
            or message.get("subtype") == "thread_broadcast"
        ):
            return False
        if not user or message.get("bot_id") or user in self.team or user == self.state.get("bot"):
            return False
        if self.settings.intake == "reaction":
            return self.settings.intake_reaction in reactions(message)
        return True

    def consider(self, channel: str, ch: JSON, message: JSON) -> Conversation | None:
        ts = str(message["ts"])
        tracked = ch["open"].get(ts)
        if tracked is not None:
            return self.update(channel, ch, message, tracked, was_closed=False)
        watched = ch["closed"].get(ts)
        if watched is not None:
            return self.update(channel, ch, message, watched, was_closed=True)
        if not self.starts_item(message):
            return None
        if self.settings.close_reaction in reactions(message):
            # Already closed at the source: the queue files no new item for it, so no replies call.
            return None
        replies = self.replies(channel, ts) if message.get("reply_count") else []
        ch["open"][ts] = self.record(message, replies)
        return self.conversation(channel, message, replies, (), RemoteState.OPEN)

    def update(
        self, channel: str, ch: JSON, message: JSON, tracked: list[Any], *, was_closed: bool
    ) -> Conversation | None:
        """A watched thread seen again: read its replies only when ``latest_reply`` moved.

        A thread newly carrying the close reaction is reported closed. Changes to a
        thread closed earlier carry no remote state, so the queue reopens the item
        when they bring a message from outside the team.
        """
        ts = str(message["ts"])
        count, latest, mark, known = tracked[:4]
        thread_changed = (message.get("reply_count") or 0) != count or (
            message.get("latest_reply") or ""
        ) != latest
        # A question deleted upstream (its replies keep a tombstone) closes like a close
        # reaction; the thread stays watched for the reopen window, like any closed one.
        closed = self.settings.close_reaction in reactions(message) or is_deleted(message)
        if not thread_changed and self.mark(message) == mark and closed == was_closed:
            return None
        replies: list[JSON] = []
        gone: tuple[str, ...] = ()
        if thread_changed:
            replies = self.replies(channel, ts) if message.get("reply_count") else []
            now = {r["ts"] for r in replies}
            gone = tuple(r for r in known if r not in now)
        record = (
            self.record(message, replies)
            if thread_changed
            else [count, latest, self.mark(message), known]
        )
        ch["open"].pop(ts, None)
        ch["closed"].pop(ts, None)
        if not closed:
            ch["open"][ts] = record
        elif self.active_within_window(message):
            # Watched from the close, or from its latest change since, whichever is later.
            ch["closed"][ts] = [*record, self.clock.now().timestamp()]
        state = RemoteState.OPEN if not closed else None if was_closed else RemoteState.CLOSED
        if state is RemoteState.CLOSED and self.closed_by_us(message):
            # hero closed the item without these replies (Slack does not date reactions):
            # report no remote state, so a reply from outside the team reopens it.
            seen = set(known)
            if any(r["ts"] not in seen and self.from_outside(r) for r in replies):
                state = None
        return self.conversation(channel, message, replies, gone, state)

    def closed_by_us(self, message: JSON) -> bool:
        bot = self.state.get("bot")
        return any(
            r.get("name") == self.settings.close_reaction and bot in (r.get("users") or ())
            for r in message.get("reactions") or ()
        )

    def from_outside(self, message: JSON) -> bool:
        user = message.get("user")
        return self.keep_reply(message) and user not in self.team and user != self.state.get("bot")

    def active_within_window(self, message: JSON) -> bool:
        """Whether a thread's last message is recent enough to watch it after its close.

        A thread quiet for longer than the window when closed (a backlog cleanup) is
        not watched: each watched thread keeps the history pages back to it in every sync.
        """
        days = self.settings.reopen_window_days
        last = float(message.get("latest_reply") or message["ts"])
        return days > 0 and last >= self.clock.now().timestamp() - days * 86400

    def forget_closed(self, ch: JSON) -> None:
        """Stop watching closed threads quiet for longer than the reopen window."""
        horizon = self.clock.now().timestamp() - self.settings.reopen_window_days * 86400
        closed: dict[str, list[Any]] = ch["closed"]
        for ts in [ts for ts, watched in closed.items() if watched[4] < horizon]:
            del closed[ts]

    def vanished(self, channel: str, ch: JSON, ts: str) -> Conversation:
        """A watched thread parent no longer in history: deleted without replies, so closed."""
        was_open = ts in ch["open"]
        known = (ch["open"] if was_open else ch["closed"]).pop(ts)[3]
        stub = {"ts": ts, "subtype": "tombstone", "text": ""}
        return self.conversation(channel, stub, [], tuple(known), RemoteState.CLOSED)

    @staticmethod
    def mark(message: JSON) -> str:
        if is_deleted(message):
            return "deleted"
        return str((message.get("edited") or {}).get("ts") or "")

    def record(self, message: JSON, replies: list[JSON]) -> list[Any]:
        return [
            message.get("reply_count") or 0,
            message.get("latest_reply") or "",
            self.mark(message),
            [str(r["ts"]) for r in replies],
        ]

    def replies(self, channel: str, ts: str) -> list[JSON]:
        """The replies of a thread (parent excluded), oldest first."""
        out: list[JSON] = []
        params = {
            "channel": channel,
            "ts": ts,
            "limit": REPLIES_LIMIT,
            "include_all_metadata": True,
        }
        try:
            for page in self.api.pages("conversations.replies", params, self.progress):
                out.extend(m for m in page.get("messages") or () if m.get("ts") != ts)
        except SlackCallError as exc:
            if exc.code != "thread_not_found":
                raise
            return []
        return out

    # -- building conversations ---------------------------------------------

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
    ) -> Conversation:
        ts = str(parent["ts"])
        first = self.message(channel, parent, ts)
        messages = [first]
        messages.extend(self.message(channel, r, ts) for r in replies if self.keep_reply(r))
        messages.extend(self.deleted(channel, r, ts) for r in gone)
        meta: dict[str, Any] = {"channel": channel, "ts": ts}
        if first.deleted:
            title = ""  # the queue keeps the title it had
            if state is RemoteState.CLOSED:
                meta["why"] = DELETED_WHY
        else:
            line = next((line.strip() for line in first.body.splitlines() if line.strip()), "")
            title = line if len(line) <= 80 else line[:79] + "…"
        return Conversation(
            channel="slack",
            external_id=f"{channel}:{ts}",
            title=title if first.deleted else title or "(no text)",
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
        ours = bool(user) and user == self.state.get("bot")
        edited = (message.get("edited") or {}).get("ts")
        meta: dict[str, Any] = {"ts": ts, "thread_ts": thread_ts, "channel": channel}
        key = message_key(message)
        if key:
            meta["key"] = key
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
            author_name=self.user_name(user) if user else "",
            sent_at=ts_datetime(ts),
            body=to_plain(str(message.get("text") or ""), self.user_name),
            url=permalink(str(self.state.get("team_url") or ""), channel, ts, thread_ts),
            team_hint=True if ours or user in self.team else None,
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

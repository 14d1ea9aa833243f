"""One Slack fetch: history first, then the threads that matter, newest first.

The cursor is the only state kept between syncs::

    {"v": 1, "bot": "U…", "bot_name": "hero", "team_url": "https://x.slack.com/",
     "team_id": "T…", "ids": {"#support": "C…"}, "users": {"U…": {"n", "t", "at"}},
     "teams": {"T…": "Acme"},
     "ch": {"C…": {"oldest": "<newest top-level ts seen>", "floor": "<oldest ts read>",
                   "open": {"<thread ts>": [reply_count, latest_reply, edit_mark, [reply ts…],
                                            [close reactors to ignore]]},
                   "closed": {"<thread ts>": [<as open>…, <epoch watched from>]},
                   "pending": {"<thread ts>": "<latest_reply>"},
                   "scan": {"from": ts, "below": ts, "top": ts, "kind": "window"},
                   "info": [is_shared, <epoch looked up>]}}}

A first sync reads ``[slack] history_days`` of history and files every top-level
message as an item at once; threads with replies go to ``pending`` (the item's
waiting side is provisional until then) and are read after every channel's
history, newest ``latest_reply`` first, one committed page per thread. Raising
``history_days`` later reads the older history down to the new ``floor``.

``open`` holds the threads that are items and not closed; ``closed`` those
closed within ``reopen_window_days``, still watched for replies. A re-sync reads
history from the oldest watched thread (or ``oldest``) onwards, so it sees
edits, deletions and new ``reply_count``/``latest_reply`` values of exactly
those threads, and calls ``conversations.replies`` only for the ones that
changed. ``scan`` exists while a history scan is half done, so a resumed sync
continues below the last page it stored.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from herocli.channels.slack.api import SlackCallError
from herocli.channels.slack.convert import (
    CONVERSATIONAL,
    SlackConvert,
    is_deleted,
    reactions,
    ts_of,
)
from herocli.errors import HeroError, NotFoundError, PartlyFailedError
from herocli.exchange import Conversation, FetchPage
from herocli.models import JSON, RemoteState

# The largest page Slack accepts for both methods ("Maximum of 999"). Slack suggests
# 200, but rates these methods by request, not by message: a bigger page is the
# same cost for up to 5x the messages. Slack may still send fewer; has_more says so.
HISTORY_LIMIT = 999
REPLIES_LIMIT = 999
# Read threads are committed at least this often (threads, simulated seconds).
THREAD_BATCH = 50
THREAD_BATCH_SECONDS = 10.0
# In reaction intake a message can be marked after it was first seen; look back this far for marks.
REACTION_LOOKBACK = timedelta(days=3)


class SlackFetch(SlackConvert):
    """The state and steps of one ``SlackChannel.fetch`` call."""

    def run(self) -> Iterator[FetchPage]:
        """Scan every configured channel, then read pending threads newest first.

        One channel that fails is named at the end and the others still sync.
        """
        self.identity()
        failures: list[HeroError] = []
        good: list[str] = []
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
                for page in self.history(channel):
                    pages += 1
                    yield page
                good.append(channel)
            except SlackCallError as exc:
                if label not in exc.message:
                    exc.message = f"{label}: {exc.message}"
                failures.append(exc)
        for page in self.pending_threads(good):
            pages += 1
            yield page
        if not pages:
            yield FetchPage((), self.snapshot())
        if len(failures) == 1:
            raise failures[0]
        if failures:
            raise PartlyFailedError(failures)

    def channel_state(self, channel: str) -> JSON:
        ch: JSON = self.state["ch"].setdefault(channel, {})
        for key in ("open", "closed", "pending"):
            ch.setdefault(key, {})
        return ch

    def history(self, channel: str) -> Iterator[FetchPage]:
        """The channel's window scan (or the half-done one), then older history if asked for."""
        ch = self.channel_state(channel)
        wanted = ts_of(self.clock.now() - timedelta(days=self.settings.history_days))
        resumed: JSON | None = ch.get("scan")
        if resumed is not None:
            yield from self.scan(channel, ch, resumed)
        if resumed is None or resumed.get("kind") != "window":
            yield from self.scan(channel, ch, self.window_scan(ch, wanted))
        floor = ch.get("floor")
        if floor is not None and wanted < floor:
            backfill = {"from": wanted, "below": floor, "top": ch.get("oldest") or "", "kind": ""}
            yield from self.scan(channel, ch, backfill)

    def window_scan(self, ch: JSON, wanted: str) -> JSON:
        oldest: str | None = ch.get("oldest")
        floor: str = ch.get("floor") or wanted
        self.forget_closed(ch)
        starts = [oldest or floor, *ch["open"], *ch["closed"]]
        if self.settings.intake == "reaction":
            starts.append(max(floor, ts_of(self.clock.now() - REACTION_LOOKBACK)))
        return {"from": min(starts), "below": None, "top": oldest or "", "kind": "window"}

    def scan(self, channel: str, ch: JSON, scan: JSON) -> Iterator[FetchPage]:
        """Page history from ``scan["below"]`` (newest) down to ``scan["from"]``."""
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
            self.prefetch_users({str(m.get("user") or "") for m in messages})
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
                ch["floor"] = min(ch.get("floor") or scan["from"], scan["from"])
                if scan["top"]:
                    ch["oldest"] = scan["top"]
            yield FetchPage(tuple(conversations), self.snapshot())
            if not more:
                return

    def pending_threads(self, channels: list[str]) -> Iterator[FetchPage]:
        """Read the threads filed without their replies, newest ``latest_reply`` first."""
        queue = sorted(
            (
                (latest, channel, ts)
                for channel in channels
                for ts, latest in self.channel_state(channel)["pending"].items()
            ),
            reverse=True,
        )
        batch: list[Conversation] = []
        since = self._now()
        for number, (_, channel, ts) in enumerate(queue, 1):
            ch = self.channel_state(channel)
            if ts not in ch["pending"]:
                continue
            self.progress.update(
                f"slack: reading threads, newest first ({number}/{len(queue)})",
                completed=number,
                total=len(queue),
            )
            thread = self.thread(channel, ts)
            if thread is None or ts not in ch["open"]:
                ch["pending"].pop(ts, None)
                if ts in ch["open"] or ts in ch["closed"]:
                    batch.append(self.vanished(channel, ch, ts))
            else:
                parent, replies = thread
                conv = self.update(
                    channel, ch, parent, ch["open"][ts], was_closed=False, read=replies
                )
                if conv is not None:
                    batch.append(conv)
            # Committed as they come: every couple of seconds while Slack paces the reads,
            # in small batches during a burst (each page stores the whole cursor).
            if len(batch) >= THREAD_BATCH or self._now() - since >= THREAD_BATCH_SECONDS:
                yield FetchPage(tuple(batch), self.snapshot())
                batch, since = [], self._now()
        if batch:
            yield FetchPage(tuple(batch), self.snapshot())

    def starts_item(self, channel: str, message: JSON) -> bool:
        user = message.get("user")
        if (
            message.get("subtype") not in CONVERSATIONAL
            or message.get("subtype") == "thread_broadcast"
        ):
            return False
        if not user or message.get("bot_id") or self.is_teammate(str(user), channel):
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
        if not self.starts_item(channel, message):
            return None
        if self.settings.close_reaction in reactions(message):
            # Already closed at the source: the queue files no new item for it, so no replies call.
            return None
        ch["open"][ts] = self.record(message, [])
        if not message.get("reply_count"):
            return self.conversation(channel, message, [], (), RemoteState.OPEN)
        # Filed now, read later: the item shows at once, its waiting side provisional.
        ch["open"][ts][3] = None
        ch["pending"][ts] = str(message.get("latest_reply") or ts)
        return self.conversation(channel, message, [], (), RemoteState.OPEN, provisional=True)

    def update(
        self,
        channel: str,
        ch: JSON,
        message: JSON,
        tracked: list[Any],
        *,
        was_closed: bool,
        read: list[JSON] | None = None,
    ) -> Conversation | None:
        """A watched thread seen again: read its replies only when ``latest_reply`` moved.

        A thread newly carrying the close reaction is reported closed. A reply from
        outside the team in a closed thread reopens it: hero's close reaction is
        removed and the thread is reported open (a person's reaction, which the app
        cannot remove, is ignored from then on). ``read``: replies already fetched.
        """
        ts = str(message["ts"])
        count, latest, mark, known = tracked[:4]
        ignored = set(tracked[4]) if len(tracked) > 4 and not was_closed else set()
        pending = ts in ch["pending"]
        thread_changed = read is not None or (
            (message.get("reply_count") or 0) != count
            or (message.get("latest_reply") or "") != latest
        )
        # A question deleted upstream (its replies keep a tombstone) closes like a close
        # reaction; the thread stays watched for the reopen window, like any closed one.
        closed = bool(self.closers(message) - ignored) or is_deleted(message)
        if not thread_changed and self.mark(message) == mark and closed == was_closed:
            return None
        replies: list[JSON] = []
        gone: tuple[str, ...] = ()
        if thread_changed or pending:
            if read is not None:
                replies = read
            elif message.get("reply_count"):
                replies = self.replies(channel, ts)
            now = {r["ts"] for r in replies}
            gone = tuple(r for r in known or () if r not in now)
            ch["pending"].pop(ts, None)
            record = self.record(message, replies)
        else:
            record = [count, latest, self.mark(message), known]
        seen = set(known or ())
        reopened = (
            closed
            and not is_deleted(message)
            and (was_closed or self.closed_by_us(message))
            and any(r["ts"] not in seen and self.from_outside(r, channel) for r in replies)
        )
        if reopened:
            self.remove_close(channel, message)
            ignored = self.closers(message) - {self.state.get("bot")}
            closed = False
        ch["open"].pop(ts, None)
        ch["closed"].pop(ts, None)
        if not closed:
            ch["open"][ts] = [*record, sorted(ignored)] if ignored else record
        elif self.active_within_window(message):
            # Watched from the close, or from its latest change since, whichever is later.
            ch["closed"][ts] = [*record, self.clock.now().timestamp()]
        state = RemoteState.OPEN if not closed else None if was_closed else RemoteState.CLOSED
        if is_deleted(message):
            # A deleted question stays closed (replies to it are refused); what people
            # still write under it is filed in the item.
            state = RemoteState.CLOSED
        if reopened and not was_closed:
            # hero closed the item without these replies (Slack does not date reactions):
            # no remote state, so the reply from outside the team reopens it in the queue.
            state = None
        return self.conversation(channel, message, replies, gone, state)

    def closers(self, message: JSON) -> set[str]:
        """Who put the close reaction on a thread's first message."""
        return {
            str(user)
            for r in message.get("reactions") or ()
            if r.get("name") == self.settings.close_reaction
            for user in r.get("users") or ()
        }

    def closed_by_us(self, message: JSON) -> bool:
        return self.state.get("bot") in self.closers(message)

    def remove_close(self, channel: str, message: JSON) -> None:
        """Take hero's close reaction off a thread a customer reopened (absent is fine)."""
        if not self.closed_by_us(message):
            return
        params = {
            "channel": channel,
            "timestamp": message["ts"],
            "name": self.settings.close_reaction,
        }
        self.api.call("reactions.remove", params, self.progress, allow=frozenset({"no_reaction"}))

    def from_outside(self, message: JSON, channel: str) -> bool:
        user = str(message.get("user") or "")
        return self.keep_reply(message) and not self.is_teammate(user, channel)

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
        for ts in [ts for ts, watched in closed.items() if watched[-1] < horizon]:
            del closed[ts]

    def vanished(self, channel: str, ch: JSON, ts: str) -> Conversation:
        """A watched thread parent no longer in history: deleted without replies, so closed."""
        was_open = ts in ch["open"]
        known = (ch["open"] if was_open else ch["closed"]).pop(ts)[3]
        ch["pending"].pop(ts, None)
        stub = {"ts": ts, "subtype": "tombstone", "text": ""}
        return self.conversation(channel, stub, [], tuple(known or ()), RemoteState.CLOSED)

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

    def thread(self, channel: str, ts: str) -> tuple[JSON, list[JSON]] | None:
        """A thread's first message and its replies, oldest first; ``None`` when it is gone."""
        parent: JSON | None = None
        out: list[JSON] = []
        params = {
            "channel": channel,
            "ts": ts,
            "limit": REPLIES_LIMIT,
            "include_all_metadata": True,
        }
        try:
            for page in self.api.pages("conversations.replies", params, self.progress):
                for message in page.get("messages") or ():
                    if message.get("ts") == ts:
                        parent = message
                    else:
                        out.append(message)
        except SlackCallError as exc:
            if exc.code != "thread_not_found":
                raise
            return None
        self.prefetch_users({str(m.get("user") or "") for m in out})
        return None if parent is None else (parent, out)

    def replies(self, channel: str, ts: str) -> list[JSON]:
        """The replies of a thread (parent excluded), oldest first."""
        thread = self.thread(channel, ts)
        return [] if thread is None else thread[1]

"""The state of a simulated Slack workspace: users, channels, messages, threads, reactions.

State is seeded from JSON shaped like API responses (see ``data/slack_demo.json``);
derived fields (reply counts) are computed when a message is shown.
"""

from __future__ import annotations

import bisect
import json
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

JSON = dict[str, Any]

DEFAULT_TOKEN = "xoxb-hero-demo"  # a fake credential the local simulator accepts


class SlackApiError(Exception):
    """A method answered ``{"ok": false, "error": code}``."""

    def __init__(self, code: str, **extra: Any) -> None:
        super().__init__(code)
        self.code = code
        self.extra = extra


def demo_seed() -> JSON:
    """The bundled demo workspace: #support with a few customer threads."""
    text = resources.files("herocli.simulators").joinpath("data/slack_demo.json").read_text("utf-8")
    data: JSON = json.loads(text)
    return data


def format_ts(seconds: float) -> str:
    return f"{seconds:.6f}"


class SlackWorkspace:
    """A Slack workspace's state (its request log and faults: ``limits.RateLimits``).

    ``seed`` is a dict, a path to a JSON file, or ``None`` for the demo seed.
    ``tokens`` maps accepted bot tokens to the bot's user id (an iterable of
    tokens maps them all to the seed's bot). ``clock`` returns epoch seconds and
    drives the ``ts`` of new messages.
    """

    def __init__(
        self,
        seed: JSON | Path | str | None = None,
        tokens: Mapping[str, str] | Iterable[str] | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        if seed is None:
            data = demo_seed()
        elif isinstance(seed, dict):
            data = seed
        else:
            data = json.loads(Path(seed).read_text("utf-8"))
        self._lock = threading.RLock()
        self._clock = clock or time.time
        self._last_ts = 0.0
        team = data.get("team", {})
        self.team_id: str = team.get("id", "T0HERO")
        self.team_name: str = team.get("name", "Hero Demo")
        self.domain: str = team.get("domain", "hero-demo")
        bot = data.get("bot", {})
        self.bot_user_id: str = bot.get("user_id", "U0HEROBOT")
        self.bot_id: str = bot.get("bot_id", "B0HERO")
        self.bot_name: str = bot.get("name", "hero")
        if tokens is None:
            tokens = data.get("tokens") or {DEFAULT_TOKEN: self.bot_user_id}
        if isinstance(tokens, Mapping):
            self.tokens: dict[str, str] = dict(tokens)
        else:
            self.tokens = dict.fromkeys(tokens, self.bot_user_id)
        self._users: dict[str, JSON] = {}
        self._teams: dict[str, JSON] = {t["id"]: dict(t) for t in data.get("other_teams", [])}
        self._channels: dict[str, JSON] = {}
        self._messages: dict[str, dict[str, JSON]] = {}
        self._top: dict[str, list[str]] = {}  # channel -> sorted ts shown in history
        self._replies: dict[str, dict[str, list[str]]] = {}  # channel -> parent ts -> reply ts
        # Whether the app was granted chat:write.customize: only then does chat.postMessage
        # post under the ``username`` it is given; without it Slack ignores the argument.
        self.customize = bool(bot.get("customize", False))
        for user in data.get("users", []):
            self._users[user["id"]] = {"team_id": self.team_id, **user}
        if self.bot_user_id not in self._users:
            self.add_user(self.bot_user_id, self.bot_name, is_bot=True)
        for channel in data.get("channels", []):
            messages = channel.get("messages", [])
            info = {k: v for k, v in channel.items() if k != "messages"}
            self.add_channel(info.pop("id"), info.pop("name"), **info)
            for message in sorted(messages, key=lambda m: m["ts"]):
                self._store(channel["id"], dict(message))

    # -- workspace state, for seeding and tests -----------------------------

    def add_team(self, team_id: str, name: str) -> None:
        """Another workspace, for people in shared (Slack Connect) channels."""
        with self._lock:
            self._teams[team_id] = {"id": team_id, "name": name, "domain": name.lower()}

    def add_user(
        self,
        user_id: str,
        name: str,
        *,
        real_name: str | None = None,
        is_bot: bool = False,
        team_id: str | None = None,
    ) -> None:
        real = real_name or name
        with self._lock:
            self._users[user_id] = {
                "id": user_id,
                "team_id": team_id or self.team_id,
                "name": name.lower(),
                "real_name": real,
                "deleted": False,
                "is_bot": is_bot,
                "profile": {"real_name": real, "display_name": name},
            }

    def add_channel(
        self,
        channel_id: str,
        name: str,
        *,
        is_private: bool = False,
        is_member: bool = True,
        **extra: Any,
    ) -> None:
        with self._lock:
            self._channels[channel_id] = {
                "id": channel_id,
                "name": name,
                "is_channel": not is_private,
                "is_group": False,
                "is_im": False,
                "is_private": is_private,
                "is_archived": False,
                "is_member": is_member,
                "created": 1600000000,
                **extra,
            }
            self._messages.setdefault(channel_id, {})
            self._top.setdefault(channel_id, [])
            self._replies.setdefault(channel_id, {})

    def set_member(self, channel_id: str, is_member: bool) -> None:
        with self._lock:
            self._channels[channel_id]["is_member"] = is_member

    def post(
        self,
        channel_id: str,
        user: str,
        text: str,
        *,
        thread_ts: str | None = None,
        ts: str | None = None,
        subtype: str | None = None,
        broadcast: bool = False,
        **extra: Any,
    ) -> str:
        """Add a message as its author's client would (``text`` is stored as given)."""
        with self._lock:
            message: JSON = {
                "type": "message",
                "user": user,
                "text": text,
                "ts": ts or self._new_ts(),
            }
            if thread_ts:
                message["thread_ts"] = thread_ts
                if broadcast:
                    message["subtype"] = "thread_broadcast"
            if subtype:
                message["subtype"] = subtype
            message.update(extra)
            self._store(channel_id, message)
            return str(message["ts"])

    def reply(self, channel_id: str, thread_ts: str, user: str, text: str, **extra: Any) -> str:
        return self.post(channel_id, user, text, thread_ts=thread_ts, **extra)

    def edit(self, channel_id: str, ts: str, text: str) -> None:
        with self._lock:
            message = self._message(channel_id, ts)
            message["text"] = text
            message["edited"] = {"user": message.get("user", ""), "ts": self._new_ts()}

    def delete(self, channel_id: str, ts: str) -> None:
        """Delete as Slack does: gone, or a tombstone when a thread parent still has replies."""
        with self._lock:
            message = self._message(channel_id, ts)
            replies = self._replies[channel_id]
            parent = message.get("thread_ts")
            if parent and parent != ts:
                replies[parent].remove(ts)
                del self._messages[channel_id][ts]
                self._drop_from_top(channel_id, ts)
                tomb = self._messages[channel_id].get(parent)
                if not replies[parent]:
                    del replies[parent]
                    if tomb is not None and tomb.get("subtype") == "tombstone":
                        del self._messages[channel_id][parent]
                        self._drop_from_top(channel_id, parent)
                return
            if replies.get(ts):
                self._messages[channel_id][ts] = {
                    "type": "message",
                    "subtype": "tombstone",
                    "text": "This message was deleted.",
                    "user": "USLACKBOT",
                    "hidden": True,
                    "ts": ts,
                    "thread_ts": ts,
                }
                return
            del self._messages[channel_id][ts]
            replies.pop(ts, None)
            self._drop_from_top(channel_id, ts)

    def react(self, channel_id: str, ts: str, name: str, user: str) -> None:
        with self._lock:
            self._add_reaction(self._message(channel_id, ts), name, user)

    def messages(self, channel_id: str) -> list[JSON]:
        """Every message of a channel, replies included, oldest first, as stored."""
        with self._lock:
            stored = self._messages[channel_id]
            return [dict(stored[ts]) for ts in sorted(stored)]

    def thread(self, channel_id: str, ts: str) -> list[JSON]:
        """A thread's parent and replies, oldest first, as stored."""
        with self._lock:
            stored = self._messages[channel_id]
            tss = [ts, *self._replies[channel_id].get(ts, [])]
            return [dict(stored[t]) for t in tss if t in stored]

    def message(self, channel_id: str, ts: str) -> JSON:
        with self._lock:
            return dict(self._message(channel_id, ts))

    # -- internals ------------------------------------------------------------

    def _new_ts(self) -> str:
        now = max(float(self._clock()), self._last_ts + 0.000001)
        now = round(now, 6)
        self._last_ts = now
        return format_ts(now)

    def _message(self, channel_id: str, ts: str) -> JSON:
        try:
            return self._messages[channel_id][ts]
        except KeyError:
            raise KeyError(f"no message {ts} in {channel_id}") from None

    def _store(self, channel_id: str, message: JSON) -> None:
        ts = str(message["ts"])
        self._last_ts = max(self._last_ts, float(ts))
        message.pop("reply_count", None)
        message.pop("latest_reply", None)
        message.pop("reply_users", None)
        message.pop("reply_users_count", None)
        parent = message.get("thread_ts")
        self._messages[channel_id][ts] = message
        if parent and parent != ts:
            bisect.insort(self._replies[channel_id].setdefault(parent, []), ts)
            if message.get("subtype") == "thread_broadcast":
                bisect.insort(self._top[channel_id], ts)
        else:
            message.pop("thread_ts", None)
            bisect.insort(self._top[channel_id], ts)

    def _drop_from_top(self, channel_id: str, ts: str) -> None:
        top = self._top[channel_id]
        index = bisect.bisect_left(top, ts)
        if index < len(top) and top[index] == ts:
            del top[index]

    @staticmethod
    def _add_reaction(message: JSON, name: str, user: str) -> None:
        reactions: list[JSON] = message.setdefault("reactions", [])
        for reaction in reactions:
            if reaction["name"] == name:
                if user in reaction["users"]:
                    raise SlackApiError("already_reacted")
                reaction["users"].append(user)
                reaction["count"] = len(reaction["users"])
                return
        reactions.append({"name": name, "users": [user], "count": 1})

    def _view(self, channel_id: str, message: JSON, *, metadata: bool) -> JSON:
        """A stored message as the API shows it, with thread fields derived."""
        out = {k: v for k, v in message.items() if k != "metadata" or metadata}
        if not out.get("reactions"):
            out.pop("reactions", None)
        author = self._users.get(str(out.get("user") or ""))
        if author is not None and "team" not in out:
            out["user_team"] = author.get("team_id", self.team_id)
        ts = out["ts"]
        replies = self._replies[channel_id].get(ts)
        if replies:
            stored = self._messages[channel_id]
            users: list[str] = []
            for reply_ts in replies:
                user = stored[reply_ts].get("user")
                if user and user not in users:
                    users.append(user)
            out.update(
                thread_ts=ts,
                reply_count=len(replies),
                reply_users_count=len(users),
                reply_users=users[:5],
                latest_reply=replies[-1],
                is_locked=False,
                subscribed=False,
            )
        elif out.get("thread_ts") and out["thread_ts"] != ts:
            parent = self._messages[channel_id].get(out["thread_ts"])
            if parent is not None and parent.get("user"):
                out["parent_user_id"] = parent["user"]
        return out

    def _channel(self, params: Mapping[str, Any], *, member: bool = True) -> JSON:
        channel_id = str(params.get("channel") or "")
        if not channel_id:
            raise SlackApiError("channel_not_found")
        channel = self._channels.get(channel_id)
        if channel is None and channel_id.startswith("#"):
            channel = next(
                (c for c in self._channels.values() if c["name"] == channel_id[1:]), None
            )
        if channel is None:
            raise SlackApiError("channel_not_found")
        if member and not channel["is_member"]:
            raise SlackApiError("channel_not_found" if channel["is_private"] else "not_in_channel")
        return channel

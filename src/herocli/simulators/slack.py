"""A local Slack Web API server for `hero demo`, the tests and the benchmarks.

It speaks the documented wire format of the methods herocli uses: form or JSON
bodies, ``Authorization: Bearer``, Slack's envelope (``{"ok": false, "error":
...}`` with HTTP 200), cursor pagination, HTTP 429 with ``Retry-After``, thread
parents with ``reply_count``/``latest_reply``/``reply_users``, ``edited`` marks
and tombstones for deleted thread parents. Every request is logged with its
method, parameters and status so tests can count calls.

State is seeded from JSON shaped like API responses (see
``data/slack_demo.json``); derived fields (reply counts) are computed.
"""

from __future__ import annotations

import base64
import bisect
import json
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from herocli.simulators.server import LocalServer

JSON = dict[str, Any]

DEFAULT_TOKEN = "xoxb-hero-demo"  # a fake credential the local simulator accepts
_MAX_LIMIT = 999


class SlackApiError(Exception):
    """A method answered ``{"ok": false, "error": code}``."""

    def __init__(self, code: str, **extra: Any) -> None:
        super().__init__(code)
        self.code = code
        self.extra = extra


@dataclass(frozen=True)
class LoggedRequest:
    """One call the simulator answered."""

    method: str
    params: Mapping[str, Any]
    status: int
    error: str | None = None


def demo_seed() -> JSON:
    """The bundled demo workspace: #support with a few customer threads."""
    text = resources.files("herocli.simulators").joinpath("data/slack_demo.json").read_text("utf-8")
    data: JSON = json.loads(text)
    return data


def format_ts(seconds: float) -> str:
    return f"{seconds:.6f}"


def _encode_cursor(kind: str, value: str) -> str:
    return base64.b64encode(f"{kind}:{value}".encode()).decode()


def _decode_cursor(cursor: str, kind: str) -> str:
    try:
        raw = base64.b64decode(cursor.encode(), validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        raise SlackApiError("invalid_cursor") from None
    prefix, _, value = raw.partition(":")
    if prefix != kind or not value:
        raise SlackApiError("invalid_cursor")
    return value


def _truthy(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).lower() in ("1", "true", "yes")


class SlackSimulator(LocalServer):
    """A Slack workspace behind a real HTTP server on 127.0.0.1.

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
        self._channels: dict[str, JSON] = {}
        self._messages: dict[str, dict[str, JSON]] = {}
        self._top: dict[str, list[str]] = {}  # channel -> sorted ts shown in history
        self._replies: dict[str, dict[str, list[str]]] = {}  # channel -> parent ts -> reply ts
        self._rate_limits: dict[str, list[float]] = {}  # method -> [retry_after, times left]
        self._log: list[LoggedRequest] = []
        for user in data.get("users", []):
            self._users[user["id"]] = dict(user)
        if self.bot_user_id not in self._users:
            self.add_user(self.bot_user_id, self.bot_name, is_bot=True)
        for channel in data.get("channels", []):
            messages = channel.get("messages", [])
            info = {k: v for k, v in channel.items() if k != "messages"}
            self.add_channel(info.pop("id"), info.pop("name"), **info)
            for message in sorted(messages, key=lambda m: m["ts"]):
                self._store(channel["id"], dict(message))

    # -- server lifecycle -------------------------------------------------

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        return _handler_for(self)

    @property
    def url(self) -> str:
        """The API base, as configured in ``[slack] api_url``."""
        return f"{self.base_url}/api"

    @property
    def token(self) -> str:
        """A token the simulator accepts (the first one given)."""
        return next(iter(self.tokens))

    # -- request log and fault injection ------------------------------------

    @property
    def requests(self) -> list[LoggedRequest]:
        with self._lock:
            return list(self._log)

    def calls(self, method: str | None = None) -> int:
        """How many requests were answered, for ``method`` or in all."""
        with self._lock:
            return sum(1 for r in self._log if method is None or r.method == method)

    def clear_requests(self) -> None:
        with self._lock:
            self._log.clear()

    def inject_rate_limit(self, method: str, retry_after: float, times: int = 1) -> None:
        """Answer the next ``times`` calls of ``method`` with HTTP 429 and ``Retry-After``."""
        with self._lock:
            self._rate_limits[method] = [retry_after, times]

    # -- workspace state, for seeding and tests -----------------------------

    def add_user(
        self, user_id: str, name: str, *, real_name: str | None = None, is_bot: bool = False
    ) -> None:
        real = real_name or name
        with self._lock:
            self._users[user_id] = {
                "id": user_id,
                "team_id": self.team_id,
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

    # -- the Web API ------------------------------------------------------------

    def handle(
        self, method: str, params: Mapping[str, Any], token: str | None
    ) -> tuple[int, JSON, dict[str, str]]:
        """Answer one API call: HTTP status, JSON body and extra headers."""
        with self._lock:
            limit = self._rate_limits.get(method)
            if limit and limit[1] > 0:
                limit[1] -= 1
                retry_after = limit[0]
                self._log.append(LoggedRequest(method, dict(params), 429, "ratelimited"))
                return (
                    429,
                    {"ok": False, "error": "ratelimited"},
                    {"Retry-After": f"{retry_after:g}"},
                )
            handler = _METHODS.get(method)
            status, error = 200, None
            try:
                if handler is None:
                    status = 404
                    raise SlackApiError("unknown_method")
                if not token:
                    raise SlackApiError("not_authed")
                user = self.tokens.get(token)
                if user is None:
                    raise SlackApiError("invalid_auth")
                body: JSON = {"ok": True, **handler(self, user, params)}
            except SlackApiError as exc:
                error = exc.code
                body = {"ok": False, "error": exc.code, **exc.extra}
            self._log.append(LoggedRequest(method, dict(params), status, error))
            return status, body, {}

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

    def _auth_test(self, user: str, params: Mapping[str, Any]) -> JSON:
        return {
            "url": f"https://{self.domain}.slack.com/",
            "team": self.team_name,
            "user": self._users.get(user, {}).get("name", self.bot_name),
            "team_id": self.team_id,
            "user_id": user,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _conversations_list(self, user: str, params: Mapping[str, Any]) -> JSON:
        types = str(params.get("types") or "public_channel").split(",")
        exclude_archived = _truthy(params.get("exclude_archived", False))
        chosen = [
            dict(c)
            for c in sorted(self._channels.values(), key=lambda c: c["id"])
            if ("private_channel" if c["is_private"] else "public_channel") in types
            and not (exclude_archived and c["is_archived"])
            and (c["is_member"] or not c["is_private"])
        ]
        start = int(_decode_cursor(str(params["cursor"]), "offset")) if params.get("cursor") else 0
        limit = max(1, min(int(params.get("limit") or 100), 1000))
        page = chosen[start : start + limit]
        more = start + limit < len(chosen)
        next_cursor = _encode_cursor("offset", str(start + limit)) if more else ""
        return {"channels": page, "response_metadata": {"next_cursor": next_cursor}}

    def _conversations_info(self, user: str, params: Mapping[str, Any]) -> JSON:
        channel = self._channel(params, member=False)
        if channel["is_private"] and not channel["is_member"]:
            raise SlackApiError("channel_not_found")
        return {"channel": dict(channel)}

    @staticmethod
    def _window(params: Mapping[str, Any]) -> tuple[str, str, bool]:
        oldest = format_ts(float(params.get("oldest") or 0))
        latest = format_ts(float(params["latest"])) if params.get("latest") else "9999999999.999999"
        return oldest, latest, _truthy(params.get("inclusive", False))

    def _conversations_history(self, user: str, params: Mapping[str, Any]) -> JSON:
        channel = self._channel(params)
        oldest, latest, inclusive = self._window(params)
        top = self._top[channel["id"]]
        low = bisect.bisect_left(top, oldest) if inclusive else bisect.bisect_right(top, oldest)
        high = bisect.bisect_right(top, latest) if inclusive else bisect.bisect_left(top, latest)
        if params.get("cursor"):
            below = _decode_cursor(str(params["cursor"]), "next_ts")
            high = min(high, bisect.bisect_left(top, below))
        limit = max(1, min(int(params.get("limit") or 100), _MAX_LIMIT))
        start = max(low, high - limit)
        chosen = top[start:high]
        more = start > low
        metadata = _truthy(params.get("include_all_metadata", False))
        stored = self._messages[channel["id"]]
        messages = [
            self._view(channel["id"], stored[ts], metadata=metadata) for ts in reversed(chosen)
        ]
        body: JSON = {"messages": messages, "has_more": more, "pin_count": 0}
        body["response_metadata"] = {
            "next_cursor": _encode_cursor("next_ts", chosen[0]) if more else ""
        }
        return body

    def _conversations_replies(self, user: str, params: Mapping[str, Any]) -> JSON:
        channel = self._channel(params)
        ts = str(params.get("ts") or "")
        stored = self._messages[channel["id"]]
        if ts not in stored:
            raise SlackApiError("thread_not_found")
        parent_ts = stored[ts].get("thread_ts") or ts
        oldest, latest, inclusive = self._window(params)
        chain = [parent_ts, *self._replies[channel["id"]].get(parent_ts, [])]
        chosen = [
            t
            for t in chain
            if t == parent_ts or ((oldest <= t <= latest) if inclusive else (oldest < t < latest))
        ]
        if params.get("cursor"):
            after = _decode_cursor(str(params["cursor"]), "next_ts")
            chosen = [t for t in chosen if t > after]
        limit = max(1, min(int(params.get("limit") or 1000), 1000))
        page, rest = chosen[:limit], chosen[limit:]
        metadata = _truthy(params.get("include_all_metadata", False))
        messages = [
            self._view(channel["id"], stored[t], metadata=metadata) for t in page if t in stored
        ]
        return {
            "messages": messages,
            "has_more": bool(rest),
            "response_metadata": {
                "next_cursor": _encode_cursor("next_ts", page[-1]) if rest else ""
            },
        }

    def _chat_post_message(self, user: str, params: Mapping[str, Any]) -> JSON:
        channel = self._channel(params)
        text = str(params.get("text") or "")
        if not text and not params.get("blocks") and not params.get("attachments"):
            raise SlackApiError("no_text")
        if len(text) > 40000:
            raise SlackApiError("msg_too_long")
        thread_ts = str(params.get("thread_ts") or "") or None
        stored = self._messages[channel["id"]]
        if thread_ts is not None:
            parent = stored.get(thread_ts)
            if parent is None:
                raise SlackApiError("thread_not_found")
            thread_ts = parent.get("thread_ts") or thread_ts
        extra: JSON = {"bot_id": self.bot_id, "app_id": "A0HERO", "team": self.team_id}
        metadata = params.get("metadata")
        if metadata:
            extra["metadata"] = json.loads(metadata) if isinstance(metadata, str) else metadata
        if params.get("client_msg_id"):
            extra["client_msg_id"] = str(params["client_msg_id"])
        broadcast = bool(thread_ts) and _truthy(params.get("reply_broadcast", False))
        ts = self.post(channel["id"], user, text, thread_ts=thread_ts, broadcast=broadcast, **extra)
        message = self._view(channel["id"], stored[ts], metadata=False)
        return {"channel": channel["id"], "ts": ts, "message": message}

    def _users_info(self, user: str, params: Mapping[str, Any]) -> JSON:
        found = self._users.get(str(params.get("user") or ""))
        if found is None:
            raise SlackApiError("user_not_found")
        return {"user": dict(found)}

    def _reaction_target(self, params: Mapping[str, Any]) -> tuple[JSON, JSON]:
        channel = self._channel(params)
        message = self._messages[channel["id"]].get(str(params.get("timestamp") or ""))
        if message is None or message.get("subtype") == "tombstone":
            raise SlackApiError("message_not_found")
        return channel, message

    def _reactions_add(self, user: str, params: Mapping[str, Any]) -> JSON:
        name = str(params.get("name") or "").strip(":")
        if not name:
            raise SlackApiError("invalid_name")
        _, message = self._reaction_target(params)
        self._add_reaction(message, name, user)
        return {}

    def _reactions_remove(self, user: str, params: Mapping[str, Any]) -> JSON:
        name = str(params.get("name") or "").strip(":")
        _, message = self._reaction_target(params)
        for reaction in message.get("reactions", []):
            if reaction["name"] == name and user in reaction["users"]:
                reaction["users"].remove(user)
                reaction["count"] = len(reaction["users"])
                if not reaction["users"]:
                    message["reactions"].remove(reaction)
                if not message["reactions"]:
                    del message["reactions"]
                return {}
        raise SlackApiError("no_reaction")

    def _reactions_get(self, user: str, params: Mapping[str, Any]) -> JSON:
        channel, message = self._reaction_target(params)
        view = self._view(channel["id"], message, metadata=False)
        return {"type": "message", "channel": channel["id"], "message": view}


_Handler = Callable[[SlackSimulator, str, Mapping[str, Any]], JSON]
_METHODS: dict[str, _Handler] = {
    "auth.test": SlackSimulator._auth_test,
    "conversations.list": SlackSimulator._conversations_list,
    "conversations.info": SlackSimulator._conversations_info,
    "conversations.history": SlackSimulator._conversations_history,
    "conversations.replies": SlackSimulator._conversations_replies,
    "chat.postMessage": SlackSimulator._chat_post_message,
    "users.info": SlackSimulator._users_info,
    "reactions.add": SlackSimulator._reactions_add,
    "reactions.remove": SlackSimulator._reactions_remove,
    "reactions.get": SlackSimulator._reactions_get,
}


def _handler_for(sim: SlackSimulator) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in separate writes; without this, Nagle's
        # algorithm and delayed ACKs add ~40 ms to every keep-alive request.
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            self._answer(None)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self._answer(self.rfile.read(length) if length else b"")

        def _answer(self, raw: bytes | None) -> None:
            split = urlsplit(self.path)
            params: dict[str, Any] = dict(parse_qsl(split.query))
            kind = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
            if raw:
                if kind == "application/json":
                    try:
                        loaded = json.loads(raw)
                    except ValueError:
                        loaded = None
                    if not isinstance(loaded, dict):
                        self._send(200, {"ok": False, "error": "invalid_json"}, {})
                        return
                    params.update(loaded)
                else:
                    params.update(parse_qsl(raw.decode("utf-8", "replace")))
            token = params.pop("token", None)
            header = self.headers.get("Authorization") or ""
            if header.lower().startswith("bearer "):
                token = header[7:].strip()
            method = (
                split.path.rstrip("/").rsplit("/", 1)[-1] if split.path.startswith("/api/") else ""
            )
            status, body, headers = sim.handle(method, params, str(token) if token else None)
            self._send(status, body, headers)

        def _send(self, status: int, body: JSON, headers: dict[str, str]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

    return Handler

"""The Web API methods of the simulated workspace, with Slack's envelope and pagination."""

from __future__ import annotations

import base64
import bisect
import json
import math
from collections.abc import Callable, Mapping
from typing import Any

from herocli.simulators.slack.limits import LoggedRequest, RateLimits
from herocli.simulators.slack.workspace import JSON, SlackApiError, format_ts

_MAX_LIMIT = 999


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


# Slack's markdown block: standard Markdown, "Limit 12,000 characters" for all of a
# message's markdown blocks together.
MARKDOWN_LIMIT = 12000
BLOCKS_LIMIT = 50


def _check_blocks(blocks: Any) -> None:
    if not isinstance(blocks, list) or len(blocks) > BLOCKS_LIMIT:
        raise SlackApiError("invalid_blocks")
    markdown = 0
    for block in blocks:
        if not isinstance(block, dict) or not isinstance(block.get("type"), str):
            raise SlackApiError("invalid_blocks")
        if block["type"] == "markdown":
            text = block.get("text")
            if not isinstance(text, str) or not text:
                raise SlackApiError("invalid_blocks")
            markdown += len(text)
    if markdown > MARKDOWN_LIMIT:
        raise SlackApiError("invalid_blocks", response_metadata={"messages": ["markdown too long"]})


def _text_and_blocks(params: Mapping[str, Any]) -> tuple[str, Any]:
    """A message's ``text`` (at most 40,000 characters) and its ``blocks``, parsed if sent as JSON."""
    text = str(params.get("text") or "")
    if len(text) > 40000:
        raise SlackApiError("msg_too_long")
    blocks = params.get("blocks")
    if isinstance(blocks, str):
        try:
            blocks = json.loads(blocks)
        except ValueError:
            raise SlackApiError("invalid_blocks_format") from None
    return text, blocks


def _truthy(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).lower() in ("1", "true", "yes")


class SlackWebApi(RateLimits):
    """The workspace answering Web API calls as Slack does."""

    def handle(
        self, method: str, params: Mapping[str, Any], token: str | None
    ) -> tuple[int, JSON, dict[str, str]]:
        """Answer one API call: HTTP status, JSON body and extra headers.

        Status 0 asks the HTTP side to drop the connection without an answer.
        """
        with self._lock:
            fault = self._next_fault(method)
            if fault is not None:
                self._log.append(
                    LoggedRequest(method, dict(params), fault, "injected", self._clock())
                )
                return fault, {}, {}
            limit = self._rate_limits.get(method)
            tier_wait = self._tier_wait(method) if method in _METHODS else 0.0
            if tier_wait > 0 or (limit and limit[1] > 0):
                if tier_wait > 0:
                    retry_after = float(math.ceil(tier_wait))
                else:
                    assert limit is not None
                    limit[1] -= 1
                    retry_after = limit[0]
                self._log.append(
                    LoggedRequest(method, dict(params), 429, "ratelimited", self._clock())
                )
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
            self._log.append(LoggedRequest(method, dict(params), status, error, self._clock()))
            return status, body, {}

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
        text, blocks = _text_and_blocks(params)
        if not text and not blocks and not params.get("attachments"):
            raise SlackApiError("no_text")
        if blocks is not None:
            _check_blocks(blocks)
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
        if self.customize and params.get("username"):
            extra["username"] = str(params["username"])
        if params.get("client_msg_id"):
            extra["client_msg_id"] = str(params["client_msg_id"])
        if blocks:
            extra["blocks"] = blocks
        broadcast = bool(thread_ts) and _truthy(params.get("reply_broadcast", False))
        ts = self.post(channel["id"], user, text, thread_ts=thread_ts, broadcast=broadcast, **extra)
        message = self._view(channel["id"], stored[ts], metadata=False)
        return {"channel": channel["id"], "ts": ts, "message": message}

    def _chat_update(self, user: str, params: Mapping[str, Any]) -> JSON:
        """Replace a message's text (and blocks when given), as its author only.

        Slack wants the channel's id here (a ``#name`` is not looked up) and answers
        ``message_not_found`` for an unknown or deleted ``ts``, ``cant_update_message``
        for someone else's message; metadata and thread fields are kept.
        """
        channel_id = str(params.get("channel") or "")
        if channel_id.startswith("#"):
            raise SlackApiError("channel_not_found")
        channel = self._channel(params)
        message = self._messages[channel["id"]].get(str(params.get("ts") or ""))
        if message is None or message.get("subtype") == "tombstone":
            raise SlackApiError("message_not_found")
        if message.get("user") != user:
            raise SlackApiError("cant_update_message")
        text, blocks = _text_and_blocks(params)
        if not text and not blocks:
            raise SlackApiError("no_text")
        if blocks:  # an empty list removes the blocks; absent keeps them
            _check_blocks(blocks)
            message["blocks"] = blocks
        elif blocks is not None:
            message.pop("blocks", None)
        message["text"] = text
        message["edited"] = {"user": user, "ts": self._new_ts()}
        view = self._view(channel["id"], message, metadata=False)
        return {"channel": channel["id"], "ts": message["ts"], "text": text, "message": view}

    def _users_list(self, user: str, params: Mapping[str, Any]) -> JSON:
        everyone = [dict(u) for _, u in sorted(self._users.items())]
        start = int(_decode_cursor(str(params["cursor"]), "offset")) if params.get("cursor") else 0
        limit = max(1, min(int(params.get("limit") or 0) or 1000, 1000))
        page = everyone[start : start + limit]
        more = start + limit < len(everyone)
        next_cursor = _encode_cursor("offset", str(start + limit)) if more else ""
        return {"members": page, "response_metadata": {"next_cursor": next_cursor}}

    def _team_info(self, user: str, params: Mapping[str, Any]) -> JSON:
        team_id = str(params.get("team") or self.team_id)
        if team_id == self.team_id:
            return {"team": {"id": self.team_id, "name": self.team_name, "domain": self.domain}}
        other = self._teams.get(team_id)
        if other is None:
            raise SlackApiError("team_not_found")
        return {"team": dict(other)}

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


_Handler = Callable[[SlackWebApi, str, Mapping[str, Any]], JSON]
_METHODS: dict[str, _Handler] = {
    "auth.test": SlackWebApi._auth_test,
    "conversations.list": SlackWebApi._conversations_list,
    "conversations.info": SlackWebApi._conversations_info,
    "conversations.history": SlackWebApi._conversations_history,
    "conversations.replies": SlackWebApi._conversations_replies,
    "chat.postMessage": SlackWebApi._chat_post_message,
    "chat.update": SlackWebApi._chat_update,
    "users.info": SlackWebApi._users_info,
    "users.list": SlackWebApi._users_list,
    "team.info": SlackWebApi._team_info,
    "reactions.add": SlackWebApi._reactions_add,
    "reactions.remove": SlackWebApi._reactions_remove,
    "reactions.get": SlackWebApi._reactions_get,
}

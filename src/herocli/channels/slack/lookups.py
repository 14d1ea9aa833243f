"""The sync cursor's workspace facts: who the bot is, channel ids by name, user names.

Each is looked up once and kept in the cursor, so a re-sync asks Slack for none of them.
"""

from __future__ import annotations

import copy
import re

from herocli.channels.slack.api import SlackApi, SlackCallError
from herocli.config import SlackSettings
from herocli.models import JSON, Clock, SyncProgress

CURSOR_VERSION = 1
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{6,}$")


def is_channel_id(value: str) -> bool:
    return bool(_CHANNEL_ID.match(value))


class SlackLookups:
    """A fetch's cursor state and the lookups it caches there."""

    def __init__(
        self,
        api: SlackApi,
        settings: SlackSettings,
        team_user_ids: frozenset[str],
        clock: Clock,
        cursor: JSON,
        progress: SyncProgress,
    ) -> None:
        self.api = api
        self.settings = settings
        self.team = team_user_ids
        self.clock = clock
        self.progress = progress
        fresh = not cursor or cursor.get("v") != CURSOR_VERSION
        self.state: JSON = {"v": CURSOR_VERSION} if fresh else copy.deepcopy(cursor)
        for key in ("ids", "users", "ch"):
            self.state.setdefault(key, {})

    def identity(self) -> None:
        if "bot" in self.state and "team_url" in self.state:
            return
        body = self.api.call("auth.test", {}, self.progress)
        self.state["bot"] = str(body.get("user_id") or "")
        self.state["bot_name"] = str(body.get("user") or "")
        self.state["team_url"] = str(body.get("url") or "")

    def user_name(self, user_id: str) -> str:
        users: dict[str, str] = self.state["users"]
        if user_id in users:
            return users[user_id]
        if not user_id or not user_id.startswith(("U", "W")):
            return user_id
        if user_id == self.state.get("bot") and self.state.get("bot_name"):
            return str(self.state["bot_name"])
        try:
            body = self.api.call("users.info", {"user": user_id}, self.progress)
        except SlackCallError as exc:
            if exc.code != "user_not_found":
                raise
            users[user_id] = user_id
            return user_id
        user = body.get("user") or {}
        profile = user.get("profile") or {}
        name = (
            profile.get("display_name")
            or profile.get("real_name")
            or user.get("real_name")
            or user.get("name")
            or user_id
        )
        users[user_id] = str(name)
        return users[user_id]

    def channel_ids(self) -> list[tuple[str, str | None]]:
        """Each configured channel as (how the config names it, its id or ``None`` if unknown)."""
        ids: dict[str, str] = self.state["ids"]
        wanted = [f"#{c.lstrip('#')}" for c in self.settings.channels if not is_channel_id(c)]
        if any(name not in ids for name in wanted):
            self.progress.update("slack: looking up channel names")
            for page in self.api.pages(
                "conversations.list",
                {
                    "types": "public_channel,private_channel",
                    "exclude_archived": True,
                    "limit": 1000,
                },
                self.progress,
            ):
                for channel in page.get("channels") or ():
                    ids[f"#{channel['name']}"] = str(channel["id"])
        out: list[tuple[str, str | None]] = []
        for entry in self.settings.channels:
            if is_channel_id(entry):
                out.append((entry, entry))
            else:
                name = f"#{entry.lstrip('#')}"
                out.append((name, ids.get(name)))
        return out

    def snapshot(self) -> JSON:
        return copy.deepcopy(self.state)

"""The sync cursor's workspace facts: who the bot is, channel ids by name, people, workspaces.

Each is looked up once and kept in the cursor (people for ``USER_TTL``), so a
re-sync asks Slack for none of them.
"""

from __future__ import annotations

import copy
import json
import re

from herocli.channels.slack.api import SlackApi, SlackCallError
from herocli.config_slack import SlackSettings
from herocli.errors import AuthError, UsageError
from herocli.exchange import SyncProgress
from herocli.models import JSON, Clock

CURSOR_VERSION = 1
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{6,}$")


def is_channel_id(value: str) -> bool:
    return bool(_CHANNEL_ID.match(value))


def channel_target(text: str) -> str:
    """``text`` as a channel to post to (``#name`` or an id); ``UsageError`` when it names none."""
    target = text.strip()
    if not target.lstrip("#"):
        raise UsageError("name a Slack channel: #channel or a channel id")
    return target


# Names and workspaces change rarely; a cached person is looked up again after this long.
USER_TTL = 7 * 86400.0
# A channel may become shared (Slack Connect) later; look again after this long.
CHANNEL_INFO_TTL = 86400.0
USERS_LIST_LIMIT = 999
# users.list pages bring everyone on them; keep them all (later pages then need no
# lookup) while the cursor stays small, else only the people asked for.
USER_CACHE_CAP = 5000


class SlackLookups:
    """A fetch's cursor state and the lookups it caches there.

    ``users`` maps a user id to ``{"n": name, "t": team id, "at": epoch looked up}``;
    ``teams`` maps another workspace's id to its name (Slack Connect).
    """

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
        for key in ("ids", "users", "ch", "teams"):
            self.state.setdefault(key, {})

    def identity(self) -> None:
        if all(k in self.state for k in ("bot", "team_url", "team_id")):
            return
        body = self.api.identity(self.progress)
        self.state["bot"] = str(body.get("user_id") or "")
        self.state["bot_name"] = str(body.get("user") or "")
        self.state["team_url"] = str(body.get("url") or "")
        self.state["team_id"] = str(body.get("team_id") or "")

    def _now(self) -> float:
        return self.clock.now().timestamp()

    def _cached(self, user_id: str) -> JSON | None:
        entry = self.state["users"].get(user_id)
        if not isinstance(entry, dict) or entry.get("at", 0) < self._now() - USER_TTL:
            return None
        return entry

    def _remember(self, user: JSON) -> None:
        profile = user.get("profile") or {}
        name = (
            profile.get("display_name")
            or profile.get("real_name")
            or user.get("real_name")
            or user.get("name")
            or user.get("id")
        )
        self.state["users"][str(user["id"])] = {
            "n": str(name),
            "t": str(user.get("team_id") or profile.get("team") or ""),
            "at": self._now(),
        }

    def prefetch_users(self, user_ids: set[str]) -> None:
        """Learn the people of a page at once: ``users.list`` pages while that is fewer requests.

        Each ``users.list`` page is one request for up to 999 people; ``users.info``
        is one per person. Pages are read only while fewer pages than people are
        still unknown, so it never costs more than asking one by one would.
        """
        unknown = {u for u in user_ids if u.startswith(("U", "W")) and self._cached(u) is None}
        unknown.discard(str(self.state.get("bot") or ""))
        if len(unknown) < 2:
            return
        pages = 0
        cursor: str | None = None
        while unknown and pages < len(unknown):
            body = self.api.call(
                "users.list", {"limit": USERS_LIST_LIMIT, "cursor": cursor}, self.progress
            )
            pages += 1
            for user in body.get("members") or ():
                if user.get("id") in unknown or len(self.state["users"]) < USER_CACHE_CAP:
                    self._remember(user)
                    unknown.discard(user.get("id"))
            cursor = (body.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                break

    def user(self, user_id: str) -> JSON | None:
        """The cached facts about a person, looked up with ``users.info`` when missing or old."""
        if not user_id or not user_id.startswith(("U", "W")):
            return None
        found = self._cached(user_id)
        if found is not None:
            return found
        try:
            body = self.api.call("users.info", {"user": user_id}, self.progress)
        except SlackCallError as exc:
            if exc.code != "user_not_found":
                raise
            self.state["users"][user_id] = {"n": user_id, "t": "", "at": self._now()}
        else:
            self._remember(body.get("user") or {"id": user_id})
        return self.state["users"][user_id]  # type: ignore[no-any-return]

    def user_name(self, user_id: str) -> str:
        if user_id == self.state.get("bot") and self.state.get("bot_name"):
            return str(self.state["bot_name"])
        found = self.user(user_id)
        return str(found["n"]) if found else user_id

    def external_team(self, user_id: str, channel: str) -> str | None:
        """The other workspace of someone writing in a shared channel, else ``None``."""
        if not self.shared(channel):
            return None
        found = self.user(user_id)
        team = str(found.get("t") or "") if found else ""
        own = str(self.state.get("team_id") or "")
        return team if team and own and team != own else None

    def is_teammate(self, user_id: str, channel: str) -> bool:
        """On the team: a configured member, the bot, or (in a shared channel) our workspace."""
        if user_id in self.team or user_id == self.state.get("bot"):
            return True
        if not self.shared(channel):
            return False
        found = self.user(user_id)
        own = str(self.state.get("team_id") or "")
        return bool(found and own and found.get("t") == own)

    def shared(self, channel: str) -> bool:
        """Whether the channel is shared with other workspaces (Slack Connect)."""
        ch: JSON = self.state["ch"].setdefault(channel, {})
        info = ch.get("info")
        if not isinstance(info, list) or info[1] < self._now() - CHANNEL_INFO_TTL:
            body = self.api.call("conversations.info", {"channel": channel}, self.progress)
            about = body.get("channel") or {}
            info = ch["info"] = [
                bool(about.get("is_ext_shared") or about.get("is_shared")),
                self._now(),
            ]
        return bool(info[0])

    def workspace_name(self, team_id: str) -> str:
        """Another workspace's name, looked up once (``team.info``)."""
        teams: dict[str, str] = self.state["teams"]
        if team_id not in teams:
            try:
                body = self.api.call("team.info", {"team": team_id}, self.progress)
            except (SlackCallError, AuthError):  # AuthError: no team:read scope; show the id
                teams[team_id] = team_id
            else:
                teams[team_id] = str((body.get("team") or {}).get("name") or team_id)
        return teams[team_id]

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
        """A copy of the cursor state for a page (through JSON: many times faster than deepcopy)."""
        copied: JSON = json.loads(json.dumps(self.state))
        return copied

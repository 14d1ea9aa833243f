"""How people and places are named on screen: `@Ravi` for `<@U0RAVI>`, `#support` for a
Slack channel id. Built from the team, the thread's own authors and the Slack cursor."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from herocli.config import TeamSettings
from herocli.models import Item, StoredMessage
from herocli.records import field, record
from herocli.store import Store, cursors

# A pattern for re's functions, which compile it when first used: only Slack text has
# mentions, and a body with no "<@" in it is never searched.
_MENTION = r"<@([UW][A-Z0-9]+)(?:\|([^>]*))?>"


@record
class Names:
    """User and channel names by their ids on a channel (Slack's, for now)."""

    users: Mapping[str, str] = field(default_factory=dict)
    channels: Mapping[str, str] = field(default_factory=dict)

    def text(self, body: str) -> str:
        """``body`` with Slack's raw user mentions written as ``@Name``."""

        def name(match: re.Match[str]) -> str:
            return "@" + (match.group(2) or self.users.get(match.group(1)) or match.group(1))

        return re.sub(_MENTION, name, body) if "<@" in body else body

    def place(self, item: Item) -> str:
        """Where the item lives, as people say it: `#support`, `acme/widget#12`, a subject."""
        if item.channel == "slack":
            channel = str(item.meta.get("channel") or item.external_id.partition(":")[0])
            return self.channels.get(channel, channel)
        if item.channel == "email":
            return "email"
        return item.external_id


def names_for(store: Store, team: TeamSettings, messages: Iterable[StoredMessage] = ()) -> Names:
    """The names to show an item's thread with: team members, the thread's authors, and
    the users and channels the last Slack sync learnt."""
    state = cursors.load(store.conn, "slack")
    users: dict[str, str] = {
        str(k): str(v) for k, v in dict(state.get("users") or {}).items() if v and v != k
    }
    users.update(
        {m.message.author_id: m.message.author_name for m in messages if m.message.author_name}
    )
    users.update({m.slack: m.name for m in team.members if m.slack})
    channels = {str(v): str(k) for k, v in dict(state.get("ids") or {}).items() if v}
    return Names(users, channels)

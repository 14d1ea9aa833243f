"""Who is on the team, on each channel: decides which messages are ours."""

from __future__ import annotations

import re

from herocli.config import TeamSettings
from herocli.models import Message, TeamMember


class TeamDirectory:
    """Looks team members up by their identity on a channel."""

    def __init__(self, team: TeamSettings) -> None:
        self.team = team
        self.github = {m.github.casefold(): m for m in team.members if m.github}
        self.slack = {m.slack: m for m in team.members if m.slack}
        self.emails = {e.casefold(): m for m in team.members for e in m.emails}
        self.domains = tuple(d.casefold() for d in team.email_domains)

    def member_for(self, channel: str, author_id: str) -> TeamMember | None:
        if channel == "github":
            return self.github.get(author_id.casefold())
        if channel == "slack":
            return self.slack.get(author_id)
        if channel == "email":
            return self.emails.get(author_id.casefold())
        return None

    def is_team(self, channel: str, message: Message) -> bool:
        """A message is the team's when its author is a member, its address is on a team
        domain, or the channel knows it is ours (a reply we sent, a trusted association)."""
        if message.team_hint:
            return True
        if self.member_for(channel, message.author_id):
            return True
        if channel == "email" and self.domains:
            domain = message.author_id.rpartition("@")[2].casefold()
            return domain in self.domains
        return False

    def github_logins(self) -> frozenset[str]:
        return frozenset(self.github)

    def slack_ids(self) -> frozenset[str]:
        return frozenset(self.slack)

    def email_addresses(self) -> frozenset[str]:
        return frozenset(self.emails)

    def find(self, name: str) -> TeamMember | None:
        """The member called ``name`` (or with that GitHub login)."""
        return self.team.member(name)

    def member_named(self, display: str) -> TeamMember | None:
        """The member a display name stands for: "Ravi (Acme Support)", "Ravi Patel", "ravi"."""
        bare = re.sub(r"\s*[(<\[].*$", "", display).strip()
        if not bare:
            return None
        found = self.find(bare)
        if found is not None:
            return found
        first = bare.split()[0]
        matches = [m for m in self.team.members if m.name.split()[0].casefold() == first.casefold()]
        return matches[0] if len(matches) == 1 else None

    def is_internal(self, channel: str, message: Message) -> bool:
        """A team message addressed to a teammate (it starts by @mentioning one): no answer."""
        body = message.body.lstrip()
        if channel == "slack":
            head = re.match(r"<@([A-Z0-9]+)(?:\|[^>]*)?>", body)
            return head is not None and head.group(1) in self.slack
        head = re.match(r"@([\w.-]+)", body)
        if head is None:
            return False
        name = head.group(1).rstrip(".-").casefold()
        return name in self.github or any(m.name.casefold() == name for m in self.team.members)

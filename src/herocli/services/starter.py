"""The starter config `hero config init` writes, as a plain TOML document."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from herocli.config import to_toml_data


@dataclass
class StarterAnswers:
    me: str = ""
    github_login: str = ""
    email: str = ""
    slack_id: str = ""
    timezone: str = ""
    team_domains: list[str] = field(default_factory=list)
    repos: list[str] = field(default_factory=list)
    imap_host: str = ""
    smtp_host: str = ""
    email_username: str = ""
    from_address: str = ""
    slack_channels: list[str] = field(default_factory=list)
    start: date | None = None


def starter_document(a: StarterAnswers) -> dict[str, Any]:
    """A config holding what was answered; channels without answers are left out."""
    doc: dict[str, Any] = {
        "hero": to_toml_data({"me": a.me, "timezone": a.timezone}),
        "team": to_toml_data(
            {
                "email_domains": a.team_domains,
                "members": [
                    to_toml_data(
                        {
                            "name": a.me,
                            "github": a.github_login,
                            "emails": [a.email] if a.email else [],
                            "slack": a.slack_id,
                        }
                    )
                ]
                if a.me
                else [],
            }
        ),
    }
    if a.repos:
        doc["github"] = {"repos": a.repos}
    if a.imap_host:
        doc["email"] = to_toml_data(
            {
                "imap_host": a.imap_host,
                "username": a.email_username or a.from_address,
                "smtp_host": a.smtp_host or a.imap_host,
                "from_address": a.from_address or a.email_username,
            }
        )
    if a.slack_channels:
        doc["slack"] = {"channels": a.slack_channels}
    if a.me:
        doc["rota"] = {"heroes": [a.me], "start": a.start or date.today()}
    return {k: v for k, v in doc.items() if v}

"""One world for the team mirror's tests: GitHub and Slack simulators, an IMAP server and an
aiosmtpd sink, each with one customer question, and a hero config mirroring all three
into the Slack channel #team. Counting looks at the servers' own state, never at hero's queue.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

from herocli.channels.github.convert import marker
from herocli.channels.mail.smtp import reply_message_id
from herocli.channels.slack.convert import message_key
from herocli.simulators.github import GithubSimulator
from herocli.simulators.slack import SlackSimulator
from tests.mail_servers import ImapServer, SmtpSink, dovecot_available, imap_server, smtp_sink
from tests.outbox_worlds import GH_TOKEN, MAIL_FROM, MAIL_PASSWORD_ENV, REPO, World, email_table
from tests.sample_config import sample_config
from tests.slack_fixtures import CUSTOMER, SUPPORT, workspace_seed
from tests.test_mail_channel import mail

MIRROR = "C0MIRROR"
RAVI = "U0RAVI"
QUESTION_ID = "<q1@customer.example>"


@dataclass
class MirrorWorld(World):
    """The three sources, the mirror channel, and readers of what landed where."""

    github: Any = None
    slack: Any = None
    imap: ImapServer | None = None
    smtp: SmtpSink | None = None
    question_ts: str = ""

    def parents(self) -> list[dict[str, Any]]:
        """Top-level messages in #team, oldest first."""
        return [m for m in self.slack.messages(MIRROR) if m.get("thread_ts", m["ts"]) == m["ts"]]

    def parent_for(self, number: int) -> dict[str, Any]:
        found = [p for p in self.parents() if p["text"].startswith(f"*#{number}* ")]
        assert len(found) == 1, [p["text"] for p in self.parents()]
        return found[0]

    def thread(self, ts: str) -> list[dict[str, Any]]:
        """The replies under a parent in #team (the parent left out)."""
        return self.slack.thread(MIRROR, ts)[1:]

    def teammate_says(self, parent_ts: str, text: str, user: str = RAVI) -> str:
        return str(self.slack.reply(MIRROR, parent_ts, user, text))

    def comments(self) -> list[str]:
        return [str(c.get("body") or "") for c in self.github.comments_of(REPO, 1)]

    def mails(self) -> list[Message]:
        assert self.smtp is not None
        return [message_from_bytes(raw) for _f, _t, raw in list(self.smtp.received)]

    def support_replies(self) -> list[dict[str, Any]]:
        return self.slack.thread(SUPPORT, self.question_ts)[1:]

    def landed(self, key: str, text: str) -> dict[str, int]:
        """How many messages on each channel carry the outbox ``key`` (and say ``text``)."""
        mail_id = reply_message_id(key, MAIL_FROM)
        return {
            "github": sum(marker(key) in c and text in c for c in self.comments()),
            "email": sum(str(m["Message-ID"]).strip() == mail_id for m in self.mails()),
            "slack": sum(
                message_key(r) == key and text in str(r.get("text")) for r in self.support_replies()
            ),
        }

    def upstream(self, text: str) -> dict[str, int]:
        """How often ``text`` appears in what each channel's customers received."""
        return {
            "github": sum(text in c for c in self.comments()),
            "email": sum(
                text in str(m.get_payload(decode=True) or b"", "utf-8") for m in self.mails()
            ),
            "slack": sum(text in str(r.get("text") or "") for r in self.slack.messages(SUPPORT)),
        }

    def keyed(self) -> list[str]:
        """The key of every message hero wrote on Slack (both channels), once per message."""
        messages = [*self.slack.messages(SUPPORT), *self.slack.messages(MIRROR)]
        return [k for m in messages if (k := message_key(m)) is not None]


def mirror_config(
    github_url: str,
    slack_url: str,
    imap: ImapServer,
    smtp: SmtpSink,
    imap_port: int | None = None,
    **mirror: Any,
) -> str:
    """``imap_port``: where hero reaches ``imap`` (a proxy in front of it), if not directly."""
    email = email_table(imap, smtp)
    if imap_port is not None:
        email["imap_port"] = imap_port
    return sample_config(
        github={"repos": [REPO], "api_url": github_url},
        slack={"channels": [SUPPORT], "api_url": slack_url},
        email=email,
        mirror={"slack_channel": "#team", **mirror},
    )


@contextmanager
def mirror_world(
    root: Path, imap: ImapServer | None = None, imap_port: int | None = None, **mirror: Any
) -> Iterator[MirrorWorld]:
    """The world, with ``mirror`` overriding keys of its ``[mirror]`` table.

    ``imap``: a running IMAP server to empty and use (starting one costs a second);
    ``imap_port``: hero reaches it there (a proxy), not on its own port.
    """
    seed = workspace_seed()
    seed["channels"].append({"id": MIRROR, "name": "team", "is_member": True})
    with ExitStack() as stack:
        github = stack.enter_context(GithubSimulator(tokens={GH_TOKEN: "hana"}))
        slack = stack.enter_context(SlackSimulator(seed))
        if imap is None:
            kind = "dovecot" if dovecot_available() else "pymap"
            imap = stack.enter_context(imap_server(kind, root / "imap"))
        else:
            imap.reset()
        smtp = stack.enter_context(smtp_sink())
        github.add_repo(REPO)
        github.add_issue(REPO, title="Export fails", body="Export to CSV fails.", user="carol")
        when = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
        imap.append(
            "INBOX", mail("Login broken", "I cannot log in.", message_id=QUESTION_ID, date=when)
        )
        question = slack.post(SUPPORT, CUSTOMER, "How do I reset my API key?")
        root.mkdir(parents=True, exist_ok=True)
        (root / "config.toml").write_text(
            mirror_config(github.url, slack.url, imap, smtp, imap_port, **mirror),
            encoding="utf-8",
        )
        env = {"GH_TOKEN": GH_TOKEN, "SLACK_TOKEN": slack.token, MAIL_PASSWORD_ENV: imap.password}
        world = MirrorWorld("mirror", root, env, 3, github, slack, imap, smtp, question)
        yield world

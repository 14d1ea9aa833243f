"""One upstream per channel for the exactly-once tests: servers, a config, and ways to count.

Each world runs its real server (GitHub or Slack simulator, an IMAP server plus an
aiosmtpd sink) on 127.0.0.1, writes a hero config pointing at it, opens a few
conversations and answers the one question the tests ask of it: how many messages
upstream carry an outbox entry's key. Counting looks at the server's own state,
never at hero's queue.
"""

from __future__ import annotations

import io
import json
import os
import re
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes
from pathlib import Path
from typing import Any

from rich.console import Console

from herocli.channels.github.convert import marker
from herocli.channels.mail.smtp import reply_message_id
from herocli.channels.slack.convert import message_key
from herocli.cli.main import run_cli
from herocli.context import Context
from herocli.simulators.github import GithubSimulator
from herocli.simulators.slack import SlackSimulator
from tests.cli_harness import Result
from tests.mail_servers import (
    ImapServer,
    SmtpSink,
    dovecot_available,
    imap_server,
    smtp_sink,
)
from tests.sample_config import sample_config
from tests.slack_fixtures import CUSTOMER, SUPPORT, workspace_seed
from tests.test_mail_channel import mail

REPO = "acme/widget"
GH_TOKEN = "ghp-crash-test-token"
MAIL_FROM = "hey@acme.dev"
MAIL_PASSWORD_ENV = "TEST_HERO_IMAP_PASSWORD"


@dataclass
class World:
    """What every channel's world offers the tests."""

    name: str
    root: Path
    env: dict[str, str] = field(default_factory=dict)
    items: int = 0

    @property
    def config(self) -> Path:
        return self.root / "config.toml"

    @property
    def queue(self) -> Path:
        return self.root / "data" / "queue.db"

    def process_env(self, base: dict[str, str]) -> dict[str, str]:
        """The environment a `hero` process needs to find this world."""
        return {
            **base,
            **self.env,
            "HERO_CONFIG": str(self.config),
            "HERO_DATA_DIR": str(self.root / "data"),
        }

    def count(self, key: str) -> int:
        """How many messages upstream carry ``key`` (a reply, a ping or a post)."""
        raise NotImplementedError

    def keyed(self) -> list[str]:
        """The key of every message hero wrote upstream, once per message."""
        raise NotImplementedError

    def set_latency(self, seconds: float) -> None:
        raise NotImplementedError


class GithubWorld(World):
    def __init__(self, root: Path, sim: GithubSimulator) -> None:
        super().__init__("github", root, {"GH_TOKEN": GH_TOKEN})
        self.sim = sim

    def _comments(self) -> list[str]:
        return [
            str(c.get("body") or "")
            for n in range(1, self.items + 1)
            for c in self.sim.comments_of(REPO, n)
        ]

    def count(self, key: str) -> int:
        return sum(marker(key) in body for body in self._comments())

    def keyed(self) -> list[str]:
        return [m for body in self._comments() for m in re.findall(r"<!-- hero:(\S+) -->", body)]

    def closed(self, number: int) -> bool:
        return self.sim.issue(REPO, number)["state"] == "closed"

    def labels(self, number: int) -> set[str]:
        return {label["name"] for label in self.sim.issue(REPO, number)["labels"]}

    def set_latency(self, seconds: float) -> None:
        self.sim.latency = seconds


class SlackWorld(World):
    def __init__(self, root: Path, sim: SlackSimulator) -> None:
        super().__init__("slack", root, {"SLACK_TOKEN": sim.token})
        self.sim = sim
        self.parents: list[str] = []

    def _messages(self) -> list[dict[str, Any]]:
        return [m for channel in (SUPPORT, "C0GENERAL") for m in self.sim.messages(channel)]

    def count(self, key: str) -> int:
        return sum(message_key(m) == key for m in self._messages())

    def keyed(self) -> list[str]:
        return [k for m in self._messages() if (k := message_key(m)) is not None]

    def closed(self, number: int) -> bool:
        parent = self.sim.message(SUPPORT, self.parents[number - 1])
        return any(r["name"] == "white_check_mark" for r in parent.get("reactions") or ())

    def set_latency(self, seconds: float) -> None:
        self.sim.latency = seconds


class EmailWorld(World):
    def __init__(self, root: Path, imap: ImapServer, smtp: SmtpSink) -> None:
        super().__init__("email", root, {MAIL_PASSWORD_ENV: imap.password})
        self.imap = imap
        self.smtp = smtp

    def _ids(self) -> list[str]:
        return [
            str(message_from_bytes(raw)["Message-ID"] or "").strip()
            for _from, _to, raw in list(self.smtp.received)
        ]

    def count(self, key: str) -> int:
        return self._ids().count(reply_message_id(key, MAIL_FROM))

    def keyed(self) -> list[str]:
        return self._ids()

    def set_latency(self, seconds: float) -> None:
        self.smtp.delay = seconds


def _write_config(root: Path, **tables: dict[str, Any] | None) -> None:
    root.mkdir(parents=True, exist_ok=True)
    drop: dict[str, dict[str, Any] | None] = {"github": None, "slack": None}
    (root / "config.toml").write_text(sample_config(**(drop | tables)), encoding="utf-8")


@contextmanager
def github_world(root: Path, items: int = 3) -> Iterator[GithubWorld]:
    with GithubSimulator(tokens={GH_TOKEN: "hana"}) as sim:
        sim.add_repo(REPO)
        for n in range(items):
            sim.add_issue(REPO, title=f"Help {n + 1}", body="It broke.", user="carol")
        _write_config(root, github={"repos": [REPO], "api_url": sim.url})
        world = GithubWorld(root, sim)
        world.items = items
        yield world


@contextmanager
def slack_world(root: Path, items: int = 3) -> Iterator[SlackWorld]:
    with SlackSimulator(workspace_seed()) as sim:
        world = SlackWorld(root, sim)
        for n in range(items):
            world.parents.append(sim.post(SUPPORT, CUSTOMER, f"Help {n + 1}: it broke."))
        _write_config(root, slack={"channels": [SUPPORT], "api_url": sim.url})
        world.items = items
        yield world


def email_table(imap: ImapServer, smtp: SmtpSink) -> dict[str, Any]:
    """The [email] table for these servers, sending from ``MAIL_FROM``."""
    return {
        "imap_host": "127.0.0.1",
        "imap_port": imap.port,
        "imap_security": "none",
        "username": imap.username,
        "password_env": MAIL_PASSWORD_ENV,
        "smtp_host": "127.0.0.1",
        "smtp_port": smtp.port,
        "smtp_security": "none",
        "from_address": MAIL_FROM,
        "allow_insecure": True,
    }


@contextmanager
def email_world(root: Path, items: int = 3) -> Iterator[EmailWorld]:
    with ExitStack() as stack:
        kind = "dovecot" if dovecot_available() else "pymap"
        imap = stack.enter_context(imap_server(kind, root / "imap"))
        smtp = stack.enter_context(smtp_sink())
        for n in range(items):
            when = datetime(2026, 11, 23, 8, n, tzinfo=UTC)
            imap.append("INBOX", mail(f"Help {n + 1}", "It broke.", date=when))
        _write_config(root, email=email_table(imap, smtp))
        world = EmailWorld(root, imap, smtp)
        world.items = items
        yield world


def hero(world: World, *args: str) -> Result:
    """`hero ARGS` in this process against the world (real channels, wall clock, no naps)."""
    from tests.hero_zygote import QuickClock

    out, err = io.StringIO(), io.StringIO()
    ctx = Context(
        config_path=world.config,
        env=world.process_env(dict(os.environ)),
        clock=QuickClock(),
        out=Console(file=out, width=200),
        err=Console(file=err, width=200),
    )
    try:
        code = run_cli(list(args), ctx)
    finally:
        ctx.close()
    return Result(code, out.getvalue(), err.getvalue())


def outbox_rows(world: World) -> list[dict[str, Any]]:
    """`hero outbox --all --json`, oldest first."""
    listed = hero(world, "outbox", "--all", "--json")
    assert listed.code == 0, listed
    return sorted(json.loads(listed.out), key=lambda e: e["id"])


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    """Poll until another process has got somewhere (wall time: it runs on its own)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)

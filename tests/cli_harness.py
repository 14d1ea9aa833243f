"""Running `hero` in-process against a real queue file and memory channels."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console

from herocli.channels.base import Capabilities
from herocli.channels.memory import MemoryBackend, MemoryChannel
from herocli.cli.main import run_cli
from herocli.context import Context
from tests.clock import FakeClock
from tests.sample_config import sample_config

CONFIG = sample_config()

# The fields each `--json` output promises, in order.
ITEM_FIELDS = [
    "number",
    "channel",
    "external_id",
    "title",
    "url",
    "state",
    "waiting",
    "waiting_provisional",
    "reply_uncertain",
    "waiting_since",
    "wait_seconds",
    "assignee",
    "labels",
    "last_author",
    "last_message_at",
    "message_count",
    "snoozed_until",
    "created_at",
    "closed_at",
    "closed_why",
]
MESSAGE_FIELDS = [
    "id",
    "author",
    "author_id",
    "from_team",
    "delivery",
    "sent_at",
    "edited_at",
    "deleted",
    "url",
    "body",
    "attachments",
]
OUTBOX_FIELDS = [
    "id",
    "op",
    "item",
    "channel",
    "state",
    "attempts",
    "last_error",
    "created_at",
    "sent_id",
    "sent_at",
    "payload",
    "excerpt",
]
SYNC_FIELDS = [
    "channel",
    "ok",
    "new_items",
    "updated_items",
    "new_messages",
    "closed",
    "reopened",
    "error",
]


def _console(file: io.StringIO, *, colour: bool, terminal: bool | None = None) -> Console:
    """A plain 120-column console, or a 160-column truecolor terminal when ``colour``."""
    if colour:
        return Console(file=file, width=160, force_terminal=True, color_system="truecolor")
    return Console(file=file, width=120, color_system=None, force_terminal=terminal)


@dataclass
class Result:
    code: int
    out: str
    err: str


def stand_in(name: str, backend: MemoryBackend) -> MemoryChannel:
    """A memory channel refused what the real channel ``name`` refuses: the same
    capabilities, and post targets read by the real channel's reader."""
    if name == "github":
        from herocli.channels.github.channel import GithubChannel, issue_target

        return MemoryChannel(
            backend,
            name=name,
            capabilities=GithubChannel.capabilities,
            targets=issue_target,
            post_format=GithubChannel.post_format,
        )
    if name == "slack":
        from herocli.channels.slack import SlackChannel
        from herocli.channels.slack.lookups import channel_target

        return MemoryChannel(
            backend,
            name=name,
            capabilities=SlackChannel.capabilities,
            targets=channel_target,
            post_format=SlackChannel.post_format,
        )
    # email with the default close_action = "none"
    return MemoryChannel(backend, name=name, capabilities=Capabilities())


@dataclass
class Hero:
    """A hero setup in a temp dir: config, queue, one memory backend per channel."""

    root: Path
    clock: FakeClock = field(default_factory=FakeClock)
    backends: dict[str, MemoryBackend] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    terminal: bool = False

    def __post_init__(self) -> None:
        self.config = self.root / "config.toml"
        if not self.config.exists():
            self.config.write_text(CONFIG, encoding="utf-8")
        self.data = self.root / "data"
        self.env.setdefault("HERO_DATA_DIR", str(self.data))
        for name in ("github", "slack"):
            self.backends[name] = MemoryBackend(self.clock)

    def run(
        self, *args: str, colour: bool = False, factories: dict[str, Any] | None = None
    ) -> Result:
        """Run `hero ARGS` in-process.

        ``colour`` gives consoles that emit colour, as a terminal does; ``factories``
        build the channels instead of the memory backends (a failing one, say).
        """
        out, err = io.StringIO(), io.StringIO()
        if factories is None:
            factories = {
                name: (lambda _ctx, b=backend, n=name: stand_in(n, b))
                for name, backend in self.backends.items()
            }
        ctx = Context(
            config_path=self.config,
            env=self.env,
            clock=self.clock,
            factories=factories,
            out=_console(out, colour=colour, terminal=self.terminal),
            err=_console(err, colour=colour),
        )
        saved = os.environ.get("HERO_DATA_DIR")
        os.environ["HERO_DATA_DIR"] = str(self.data)
        try:
            code = run_cli(list(args), ctx)
        finally:
            if saved is None:
                os.environ.pop("HERO_DATA_DIR", None)
            else:
                os.environ["HERO_DATA_DIR"] = saved
        return Result(code, out.getvalue(), err.getvalue())

    def customer_opens(
        self, channel: str, external_id: str, title: str, body: str, author: str = "ann"
    ) -> None:
        self.backends[channel].start(external_id, title, author, body)


def hero_process(
    *args: str,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    text: bool = True,
) -> subprocess.CompletedProcess[Any]:
    """`python -m herocli ARGS` as a real process, its output captured (as bytes unless ``text``)."""
    return subprocess.run(
        [sys.executable, "-m", "herocli", *args],
        capture_output=True,
        text=text,
        timeout=60,
        check=False,
        env=env,
        cwd=cwd,
    )


def seed_three(hero: Hero) -> Hero:
    """#1 github waiting 30 min, #2 slack waiting 20 min, #3 github answered by us."""

    def sync() -> None:
        result = hero.run("sync")
        assert result.code == 0, result

    hero.customer_opens("github", "acme/widget#1", "Login broken", "I cannot log in")
    sync()
    hero.clock.advance(minutes=10)
    hero.customer_opens("slack", "C1/1.0", "Export slow", "The CSV export hangs", "U0ANN")
    sync()
    hero.clock.advance(minutes=5)
    hero.customer_opens("github", "acme/widget#3", "Docs typo", "page 3 has a typo", "bob")
    hero.backends["github"].add("acme/widget#3", "ravi", "Fixed, thanks!")
    sync()
    hero.clock.advance(minutes=15)
    return hero

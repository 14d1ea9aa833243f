"""Running `hero` in-process against a real queue file and memory channels."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console

from herocli.channels.memory import MemoryBackend, MemoryChannel
from herocli.cli.main import run_cli
from herocli.context import Context
from tests.clock import FakeClock

CONFIG = """
[hero]
me = "Hana"
timezone = "Europe/Berlin"

[team]
email_domains = ["acme.dev"]

[[team.members]]
name = "Hana"
github = "hana"
emails = ["hana@acme.dev"]
slack = "U0HANA"

[[team.members]]
name = "Ravi"
github = "ravi"
emails = ["ravi@acme.dev"]
slack = "U0RAVI"

[github]
repos = ["acme/widget"]

[slack]
channels = ["#support"]

[rota]
heroes = ["Hana", "Ravi"]
start = 2026-11-02
"""


@dataclass
class Result:
    code: int
    out: str
    err: str


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

    def run(self, *args: str) -> Result:
        out, err = io.StringIO(), io.StringIO()
        ctx = Context(
            config_path=self.config,
            env=self.env,
            clock=self.clock,
            factories={
                name: (lambda _ctx, b=backend, n=name: MemoryChannel(b, name=n))
                for name, backend in self.backends.items()
            },
            out=Console(file=out, width=120, color_system=None, force_terminal=self.terminal),
            err=Console(file=err, width=120, color_system=None),
        )
        import os

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

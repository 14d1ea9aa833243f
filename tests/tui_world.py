"""`hero tui` against a real queue file and the GitHub simulator, driven headless by Pilot."""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from textual.pilot import Pilot

from herocli.cli.editor import compose
from herocli.cli.main import run_cli
from herocli.context import Context
from herocli.tui.app import HeroApp
from tests.clock import FakeClock
from tests.github_fixtures import REPO, GithubWorld
from tests.sample_config import sample_config

REPLY = "Thanks! Fixed in 1.2, please update."


class TuiWorld:
    """A GitHub simulator with a few issues, a config pointing at it, and a synced queue."""

    def __init__(self, root: Path, **config: Any) -> None:
        self.root = root
        self.clock = FakeClock()
        self.github = GithubWorld(self.clock)
        self.config = root / "config.toml"
        tables: dict[str, Any] = {
            "github": {"repos": [REPO], "api_url": self.github.sim.url},
            "slack": None,
        }
        tables.update(config)
        self.config.write_text(sample_config(**tables), encoding="utf-8")
        editor = root / "editor.sh"
        # A stub editor: writes the reply above the template's '#' lines, as a person would.
        editor.write_text(
            f"#!/bin/sh\n{{ printf '%s\\n' '{REPLY}'; cat \"$1\"; }} > \"$1.new\"\n"
            'mv "$1.new" "$1"\n',
            encoding="utf-8",
        )
        self.env = {
            "HERO_DATA_DIR": str(root / "data"),
            "GH_TOKEN": "ghp-test-token",
            "EDITOR": f"sh {editor}",
        }
        self.opened: list[str] = []

    def issue(self, title: str, body: str, user: str = "carol") -> int:
        return int(self.github.issue(title, body, user=user)["number"])

    def sync(self) -> None:
        """`hero sync`, in-process, with its own context (as a cron job would be)."""
        out = io.StringIO()
        code = run_cli(["sync"], self.context(Console(file=out), Console(file=out)))
        assert code == 0, out.getvalue()

    def context(self, out: Console | None = None, err: Console | None = None) -> Context:
        quiet = Console(file=io.StringIO())
        return Context(
            config_path=self.config,
            env=self.env,
            clock=self.clock,
            out=out or quiet,
            err=err or quiet,
        )

    def app(self) -> HeroApp:
        return HeroApp(self.context(), compose_reply=compose, open_url=self.opened.append)

    def stop(self) -> None:
        self.github.stop()


def drive(app: HeroApp, scenario: Callable[[Pilot[None]], Awaitable[None]], size=(100, 30)) -> None:  # type: ignore[no-untyped-def]
    """Run the app headless at ``size`` and play ``scenario`` against it."""

    async def main() -> None:
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            await scenario(pilot)
        app.hero.close()

    asyncio.run(main())


async def jobs_done(pilot: Pilot[None], count: int, timeout: float = 20.0) -> None:
    """Wait until ``count`` background jobs have finished (they run on worker threads)."""
    app = pilot.app
    assert isinstance(app, HeroApp)
    deadline = time.monotonic() + timeout
    while app.jobs_done < count:
        assert time.monotonic() < deadline, f"only {app.jobs_done} of {count} jobs finished"
        await pilot.pause(0.02)
    await pilot.pause()


def status_line(app: HeroApp) -> str:
    return app.screen_view.status.result.plain

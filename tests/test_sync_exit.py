"""`hero sync` exits with the failures' own code when they agree, so scripts can tell why."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from rich.console import Console

from herocli.channels.base import Channel
from herocli.channels.memory import MemoryChannel
from herocli.cli.main import run_cli
from herocli.context import Context
from herocli.errors import AuthError, ExitCode, HeroError, UnreachableError
from tests.cli_harness import Hero


def _failing(error: HeroError) -> Callable[[Context], Channel]:
    def build(_ctx: Context) -> Channel:
        raise error

    return build


def _sync(
    hero: Hero, github: Callable[[Context], Channel], slack: Callable[[Context], Channel]
) -> tuple[int, str]:
    err = io.StringIO()
    ctx = Context(
        config_path=hero.config,
        env=hero.env,
        clock=hero.clock,
        factories={"github": github, "slack": slack},
        out=Console(file=io.StringIO(), width=120, color_system=None),
        err=Console(file=err, width=120, color_system=None),
    )
    return run_cli(["sync"], ctx), err.getvalue()


@pytest.fixture
def hero(tmp_path: Path) -> Hero:
    return Hero(tmp_path)


def test_only_credential_failures_exit_4(hero: Hero) -> None:
    rejected = AuthError("GitHub rejected the token in $GH_TOKEN")
    code, err = _sync(
        hero, _failing(rejected), lambda _c: MemoryChannel(hero.backends["slack"], name="slack")
    )
    assert code == ExitCode.AUTH
    assert "github: failed: GitHub rejected the token in $GH_TOKEN" in err


def test_mixed_failures_exit_1(hero: Hero) -> None:
    code, _ = _sync(
        hero,
        _failing(AuthError("no GitHub token: set $GH_TOKEN")),
        _failing(UnreachableError("cannot reach slack.com")),
    )
    assert code == ExitCode.ERROR


def test_all_synced_exits_0(hero: Hero) -> None:
    code, err = _sync(
        hero,
        lambda _c: MemoryChannel(hero.backends["github"], name="github"),
        lambda _c: MemoryChannel(hero.backends["slack"], name="slack"),
    )
    assert code == ExitCode.OK, err

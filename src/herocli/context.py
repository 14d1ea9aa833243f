"""Everything a command needs, built once and lazily; tests swap any part.

Config, consoles, the queue and the channels are made on first use, so
`hero --help` reads no file and `hero inbox` imports no channel library.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Mapping
from functools import cached_property
from itertools import islice
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from herocli.errors import NotFoundError

if TYPE_CHECKING:
    # Imported where first used, so `hero --help` loads none of them and `hero inbox`
    # never loads the write path.
    from rich.console import Console

    from herocli.channels.base import Channel
    from herocli.config import Config
    from herocli.models import Clock
    from herocli.render.screen import Screen
    from herocli.secrets import EnvSecrets
    from herocli.services.team import TeamDirectory
    from herocli.services.triage import Actor
    from herocli.store import Store

ChannelFactory = Callable[["Context"], "Channel"]


def _github(ctx: Context) -> Channel:
    from herocli.channels.github import GithubChannel

    assert ctx.config.github is not None
    return GithubChannel(ctx.config.github, ctx.secrets, ctx.clock, ctx.team.github_logins())


def _email(ctx: Context) -> Channel:
    from herocli.channels.mail.channel import EmailChannel

    assert ctx.config.email is not None
    return EmailChannel(
        ctx.config.email,
        ctx.secrets,
        ctx.clock,
        ctx.team.email_addresses(),
        ctx.config.team.email_domains,
    )


def _slack(ctx: Context) -> Channel:
    from herocli.channels.slack import SlackChannel

    assert ctx.config.slack is not None
    return SlackChannel(ctx.config.slack, ctx.secrets, ctx.clock, ctx.team.slack_ids())


CHANNEL_FACTORIES: dict[str, ChannelFactory] = {"github": _github, "email": _email, "slack": _slack}


def _console(stderr: bool) -> Console:
    from rich.console import Console

    # Rich honours NO_COLOR and FORCE_COLOR itself, and drops styling when piped.
    return Console(stderr=stderr, highlight=False)


class Context:
    """What a command run needs; each part is made on first use, and tests pass their own."""

    def __init__(
        self,
        config_path: Path | None = None,
        debug: bool = False,
        env: Mapping[str, str] | None = None,
        clock: Clock | None = None,
        factories: dict[str, ChannelFactory] | None = None,
        out: Console | None = None,
        err: Console | None = None,
    ) -> None:
        self.config_path = config_path
        self.debug = debug
        self.env: Mapping[str, str] = os.environ if env is None else env
        self._clock = clock
        self.factories = dict(CHANNEL_FACTORIES) if factories is None else factories
        self._out = out
        self._err = err
        self._channels: dict[str, Channel] = {}

    @property
    def clock(self) -> Clock:
        if self._clock is None:
            from herocli.models import SystemClock

            self._clock = SystemClock()
        return self._clock

    @property
    def out(self) -> Console:
        """The console for data (stdout)."""
        if self._out is None:
            self._out = _console(False)
        return self._out

    @property
    def err(self) -> Console:
        """The console for diagnostics (stderr)."""
        if self._err is None:
            self._err = _console(True)
        return self._err

    @property
    def data_file(self) -> IO[str]:
        """Where data goes as plain text (piped rows, JSON): the out console's file."""
        return self._out.file if self._out is not None else sys.stdout

    @cached_property
    def screen(self) -> Screen | None:
        """Stdout as a plain terminal, told without Rich (None: not one, or ask Rich)."""
        if self._out is not None:
            return None
        from herocli.render.screen import screen_of

        return screen_of(self.env, sys.stdout)

    @property
    def out_is_terminal(self) -> bool:
        """Whether data goes to a terminal (tables) or a pipe (plain rows).

        A plain pipe and a plain terminal are told without Rich; anything else Rich
        could count as a terminal (FORCE_COLOR, TTY_COMPATIBLE) is left to Rich.
        """
        if self._out is None and not any(
            name in self.env for name in ("FORCE_COLOR", "TTY_COMPATIBLE")
        ):
            isatty = getattr(sys.stdout, "isatty", None)
            if not (isatty and isatty()):
                return False
        return self.screen is not None or self.out.is_terminal

    @cached_property
    def config_file(self) -> Path:
        from herocli.config import find_config

        return find_config(self.config_path, self.env)

    @cached_property
    def config(self) -> Config:
        from herocli.config import load_config, toml_cache_path

        return load_config(self.config_file, cache=toml_cache_path(self.env))

    @cached_property
    def store(self) -> Store:
        from herocli.store import Store

        return Store.open(self.queue_path)

    @property
    def queue_path(self) -> Path:
        from herocli.config import data_dir

        return data_dir(self.config, self.env) / "queue.db"

    @cached_property
    def secrets(self) -> EnvSecrets:
        from herocli.secrets import EnvSecrets

        return EnvSecrets(self.env, keyring=self.config.hero.keyring)

    @cached_property
    def team(self) -> TeamDirectory:
        from herocli.services.team import TeamDirectory

        return TeamDirectory(self.config.team)

    @cached_property
    def actor(self) -> Actor:
        from herocli.services.triage import Actor

        return Actor(self.config.hero.me, self.channel, self.clock)

    def channel(self, name: str) -> Channel:
        """The channel called ``name``, built on first use from its config section."""
        if name in self._channels:
            return self._channels[name]
        if name not in self.factories:
            raise NotFoundError(
                f"unknown channel {name!r}", hint=f"channels: {', '.join(self.factories)}"
            )
        if name not in self.config.enabled_channels():
            raise NotFoundError(
                f"the {name} channel is not configured",
                hint=f"add a [{name}] section to {self.config_file}",
            )
        channel = self.factories[name](self)
        self._channels[name] = channel
        return channel

    def print_json(self, data: Any) -> None:
        """``data`` as JSON: indented on a terminal, compact (one line) when piped."""
        from herocli.render.text import json_text

        self.data_file.write(json_text(data, indent=self._json_indent()) + "\n")

    def print_json_list(self, entries: Iterable[Any]) -> None:
        """The same text as ``print_json(list(entries))``, written as it goes."""
        from herocli.render.text import json_text

        indent = self._json_indent()
        # Between entries, and around them inside the brackets, as json writes them.
        comma, start, end = (",\n", "[\n", "\n]\n") if indent else (",", "[", "]\n")
        cut = 2 if indent else 1  # a chunk's opening and closing bracket, and their newlines
        write = self.data_file.write
        opened = False
        rest = iter(entries)
        # A hundred entries at a time: one json call for each costs a third less than
        # a call per entry, and a listing of the whole queue is still never held whole.
        for chunk in iter(lambda: list(islice(rest, 100)), []):
            write(comma if opened else start)
            opened = True
            # The chunk's list, minus its brackets: json itself indents the entries
            # as elements, so no line of it is ever re-indented by hand.
            write(json_text(chunk, indent=indent)[cut:-cut])
        write(end if opened else "[]\n")

    def _json_indent(self) -> int | None:
        # As gh does: indented for a person at a terminal, compact for a program
        # reading a pipe, where json's C encoder writes it (it cannot indent).
        return 2 if self.out_is_terminal else None

    def close(self) -> None:
        for channel in self._channels.values():
            channel.shutdown()
        self._channels.clear()
        if "store" in self.__dict__:
            self.store.close()

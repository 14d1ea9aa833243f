"""The unexpected, the silent and the interrupted: one line each, and the other channels finish.

A bug in one channel (a KeyError in its fetch) becomes one "internal error"
line for that channel while the others sync; a server that accepts and never
answers fails within the configured read timeout; Ctrl-C says what was kept.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from herocli.channels.memory import MemoryChannel
from herocli.context import CHANNEL_FACTORIES
from herocli.errors import ExitCode
from herocli.exchange import FetchPage, SyncProgress
from herocli.models import JSON
from tests.cli_harness import Hero
from tests.sample_config import sample_config


class BuggyChannel(MemoryChannel):
    """Fetches like a memory channel, then trips over a bug of its own."""

    def fetch(self, cursor: JSON, progress: SyncProgress) -> Iterator[FetchPage]:
        yield from super().fetch(cursor, progress)
        raise KeyError("assignees")


def test_a_bug_in_one_channel_is_one_line_and_the_others_finish(tmp_path: Path) -> None:
    hero = Hero(tmp_path)
    hero.customer_opens("github", "acme/widget#1", "From GitHub", "hi")
    hero.customer_opens("slack", "C1/1.0", "From Slack", "hello")
    factories: dict[str, Any] = {
        "github": lambda _ctx: BuggyChannel(hero.backends["github"], name="github"),
        "slack": lambda _ctx: MemoryChannel(hero.backends["slack"], name="slack"),
    }
    result = hero.run("sync", factories=factories)
    assert result.code == ExitCode.ERROR
    assert "Traceback" not in result.err
    assert "github: failed: internal error in the github channel: KeyError" in result.err
    assert "run with --debug and report it" in result.err
    listing = hero.run("inbox").out
    assert "From Slack" in listing  # the other channel finished
    assert "From GitHub" in listing  # and the page before the bug was kept
    debug = hero.run("--debug", "sync", factories=factories)
    assert "Traceback" in debug.err
    assert "KeyError: 'assignees'" in debug.err


def test_an_unexpected_exception_in_a_command_is_one_line(tmp_path: Path) -> None:
    hero = Hero(tmp_path)
    hero.customer_opens("github", "acme/widget#1", "Help", "hi")
    hero.customer_opens("github", "acme/widget#2", "More help", "hi")
    assert hero.run("sync").code == 0

    def broken(_ctx: Any) -> Any:
        raise ZeroDivisionError("secret detail")

    result = hero.run("close", "1", factories={"github": broken, "slack": broken})
    assert result.code == ExitCode.ERROR
    assert result.err.splitlines() == [
        "error: internal error in hero close: ZeroDivisionError",
        "hint: run with --debug and report it",
    ]
    debug = hero.run("--debug", "close", "2", factories={"github": broken, "slack": broken})
    assert "Traceback" in debug.err
    assert "ZeroDivisionError" in debug.err


class SilentServer:
    """Accepts every connection on 127.0.0.1 and never says a word."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.accepted = threading.Event()
        self.held: list[socket.socket] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)
            self.accepted.set()

    def close(self) -> None:
        self.sock.close()
        for conn in self.held:
            conn.close()


@pytest.fixture
def silent() -> Iterator[SilentServer]:
    server = SilentServer()
    yield server
    server.close()


def silent_config(port: int, read_timeout: float) -> str:
    url = f"http://127.0.0.1:{port}"
    timeouts = {"connect_timeout": min(read_timeout, 10), "read_timeout": read_timeout}
    return sample_config(
        github={"repos": ["acme/widget"], "api_url": url, **timeouts},
        slack={"channels": ["#support"], "api_url": url, **timeouts},
        email={
            "imap_host": "127.0.0.1",
            "imap_port": port,
            "imap_security": "none",
            "allow_insecure": True,
            "username": "help@acme.dev",
            "smtp_host": "127.0.0.1",
            "smtp_port": port,
            "smtp_security": "none",
            "from_address": "help@acme.dev",
            **timeouts,
        },
    )


TOKENS = {
    "GH_TOKEN": "ghp_silentsilentsilent0001",
    "SLACK_TOKEN": "xoxb-silent-0002",
    "HERO_EMAIL_PASSWORD": "silent-password-0003",
}


def test_a_silent_server_fails_each_channel_within_the_read_timeout(
    tmp_path: Path, silent: SilentServer
) -> None:
    (tmp_path / "config.toml").write_text(silent_config(silent.port, 1), encoding="utf-8")
    hero = Hero(tmp_path, env=dict(TOKENS))
    started = time.monotonic()
    result = hero.run("sync", factories=dict(CHANNEL_FACTORIES))
    elapsed = time.monotonic() - started
    assert result.code == ExitCode.ERROR, result
    assert "Traceback" not in result.err
    for name in ("github", "email", "slack"):
        assert f"{name}: failed: " in result.err, result.err
    # One connection each: a silent server is not asked again (each retry would cost
    # another read_timeout, minutes at the 30 s default).
    assert len(silent.held) == 3
    # Three channels, about a second each; never the minutes a sync once hung for.
    assert elapsed < 10, elapsed


def test_the_default_read_timeout_is_about_thirty_seconds(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text(sample_config(), encoding="utf-8")
    from herocli.config import load_config

    config = load_config(tmp_path / "config.toml")
    assert config.github is not None
    assert config.slack is not None
    for settings in (config.github, config.slack):
        assert settings.read_timeout == 30
        assert settings.connect_timeout == 10


def test_ctrl_c_during_a_sync_says_what_was_kept(tmp_path: Path, silent: SilentServer) -> None:
    (tmp_path / "config.toml").write_text(silent_config(silent.port, 60), encoding="utf-8")
    env = {
        **os.environ,
        **TOKENS,
        "HERO_CONFIG": str(tmp_path / "config.toml"),
        "HERO_DATA_DIR": str(tmp_path / "data"),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "herocli", "sync", "github"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert silent.accepted.wait(60), "hero never connected"
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == ExitCode.INTERRUPTED, err
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines[-1] == (
        "interrupted: what was fetched so far is saved; `hero sync` goes on from there"
    ), err

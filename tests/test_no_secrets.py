"""No token or password value is ever printed, logged or stored, whatever goes wrong.

A week of commands against the bundled GitHub, Slack and mail servers with
known credentials, sunny and failing (a rejected token, a token with a stray
newline, a non-ASCII one, servers gone, a send that fails quoting its
Authorization header, --debug tracebacks), then a grep of every stdout and
stderr and of every file the run left behind (the queue, its WAL, the config).
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from herocli.channels.memory import MemoryBackend, MemoryChannel
from herocli.cli.main import run_cli
from herocli.context import CHANNEL_FACTORIES, Context
from herocli.errors import AuthError, ChannelError, ExitCode
from herocli.exchange import OutgoingReply, Sent, Thread
from herocli.redact import MASK, redact
from herocli.secrets import EnvSecrets
from herocli.simulators.demo import (
    GITHUB_TOKEN,
    SLACK_TOKEN,
    TOKEN_VARIABLES,
    DemoWorld,
    start_demo,
)
from tests.cli_harness import Result, _console
from tests.clock import FakeClock

WRONG = {"github": "ghp_wrongwrongwrongwrong0001", "slack": "xoxb-wrong-wrong-0002"}


@pytest.fixture
def world(tmp_path: Path) -> Iterator[DemoWorld]:
    w = start_demo(tmp_path / "demo")
    yield w
    w.stop()


class Runner:
    def __init__(self, world: DemoWorld) -> None:
        self.world = world
        self.outputs: list[str] = []
        # Retries and rate-limit waits advance this clock instead of sleeping.
        self.clock = FakeClock(datetime.now(UTC))

    def run(self, *args: str, env: dict[str, str] | None = None, **factories: Any) -> Result:
        out, err = io.StringIO(), io.StringIO()
        ctx = Context(
            config_path=self.world.config_path,
            env={**self.world.env, "HOME": str(self.world.root), **(env or {})},
            clock=self.clock,
            factories={**CHANNEL_FACTORIES, **factories},
            out=_console(out, colour=False),
            err=_console(err, colour=False),
        )
        code = run_cli(list(args), ctx)
        result = Result(code, out.getvalue(), err.getvalue())
        self.outputs += [result.out, result.err]
        return result


class LeakyChannel(MemoryChannel):
    """A channel whose send fails the way httpx does on a bad header: quoting the value."""

    def __init__(self, backend: MemoryBackend, token: str) -> None:
        super().__init__(backend, name="slack")
        self.token = token

    def send_reply(self, thread: Thread, reply: OutgoingReply) -> Sent:
        raise ChannelError(f"Illegal header value b'Bearer {self.token}'")


def every_secret(world: DemoWorld) -> list[str]:
    return [*world.env.values(), *WRONG.values(), GITHUB_TOKEN, SLACK_TOKEN]


def test_no_secret_in_any_output_or_file(world: DemoWorld) -> None:
    hero = Runner(world)
    assert hero.run("sync").code == 0
    assert hero.run("inbox").code == 0
    assert hero.run("--debug", "show", "1", "--json").code == 0
    assert hero.run("reply", "1", "-m", "On it.", "--yes").code == 0

    # A rejected token: the message names the variable, never the value.
    rejected = {TOKEN_VARIABLES[n]: WRONG[n] for n in ("github", "slack")}
    result = hero.run("--debug", "sync", "github", "slack", env=rejected)
    assert result.code == ExitCode.AUTH, result
    assert TOKEN_VARIABLES["github"] in result.err

    # A stray newline inside a token, and a non-ASCII one: refused before any request.
    for value in (SLACK_TOKEN[:6] + "\n" + SLACK_TOKEN[6:], SLACK_TOKEN + "é"):
        result = hero.run("--debug", "sync", "slack", env={TOKEN_VARIABLES["slack"]: value})
        assert result.code == ExitCode.AUTH, result
        assert "cannot be sent" in result.err

    # A send that fails quoting the header it could not send: shown, stored, listed, redacted.
    backend = MemoryBackend(FakeClock())

    def leaky(ctx: Context) -> MemoryChannel:
        secret = ctx.secrets.secret((TOKEN_VARIABLES["slack"],), "Slack token")
        return LeakyChannel(backend, secret.value)

    rows = json.loads(hero.run("inbox", "--json", "--all").out)
    slack_item = next(str(row["number"]) for row in rows if row["channel"] == "slack")
    result = hero.run("reply", slack_item, "-m", "Thanks!", "--yes", slack=leaky)
    assert result.code == ExitCode.ERROR, result
    assert MASK in result.err
    assert MASK in hero.run("outbox").out
    assert MASK in hero.run("outbox", "--json").out

    # The servers gone: unreachable everywhere, with tracebacks.
    world.stop()
    assert hero.run("--debug", "sync").code == ExitCode.ERROR
    assert hero.run("--debug", "outbox", "retry").code == ExitCode.ERROR

    files = [p for p in world.root.rglob("*") if p.is_file()]
    assert any(p.name == "queue.db" for p in files)
    texts = {f"output {n}": text.encode() for n, text in enumerate(hero.outputs)}
    texts |= {str(p): p.read_bytes() for p in files}
    for secret in every_secret(world):
        for where, data in texts.items():
            assert secret.encode() not in data, f"{secret!r} in {where}"


def test_redact_removes_remembered_values_and_token_shapes() -> None:
    secret = EnvSecrets({"T": "s3cret-value-123"}).secret(("T",), "token")
    text = f"GET failed: token {secret.value} and {secret.value!r}"
    assert secret.value not in redact(text)
    assert "ghp_" not in redact("using ghp_abcdefghijklmnopqrstuvwxyz012345")
    assert "xoxb-1-2" not in redact("Illegal header value b'Bearer xoxb-1-2-abcdef\\n'")
    assert redact("nothing to hide here") == "nothing to hide here"
    assert ChannelError(f"bad {secret.value}").message == f"bad {MASK}"


@pytest.mark.parametrize("value", ["abc\ndef-token", "tab\there", "esc\x1b[2J", "naïve-token"])
def test_a_credential_that_cannot_be_sent_is_refused_without_echo(value: str) -> None:
    with pytest.raises(AuthError) as caught:
        EnvSecrets({"TOKEN": value}).secret(("TOKEN",), "GitHub token")
    assert "$TOKEN" in caught.value.message
    assert value not in caught.value.message
    assert value.split(maxsplit=1)[0] not in (caught.value.hint or "")

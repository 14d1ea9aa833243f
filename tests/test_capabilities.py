"""The CLI asks a channel's capabilities, never its name, before writing to its source."""

from __future__ import annotations

import json
from pathlib import Path

from herocli.channels.base import Capabilities
from herocli.channels.memory import MemoryChannel
from herocli.errors import ExitCode
from herocli.models import RemoteState
from tests.cli_harness import Hero, seed_three, stand_in


def _slack_without(hero: Hero, capabilities: Capabilities) -> dict[str, object]:
    return {
        "github": lambda _c: stand_in("github", hero.backends["github"]),
        "slack": lambda _c: MemoryChannel(
            hero.backends["slack"], name="slack", capabilities=capabilities
        ),
    }


def test_a_close_the_channel_cannot_make_upstream_is_local_and_queues_nothing(
    tmp_path: Path,
) -> None:
    hero = seed_three(Hero(tmp_path))
    result = hero.run("close", "2", factories=_slack_without(hero, Capabilities()))
    assert result.code == ExitCode.OK, result
    assert "#2 closed (locally)" in result.err
    assert hero.backends["slack"].threads["C1/1.0"].state is RemoteState.OPEN
    assert json.loads(hero.run("outbox", "--json").out) == []


def test_a_close_the_channel_can_make_reaches_the_source(tmp_path: Path) -> None:
    hero = seed_three(Hero(tmp_path))
    result = hero.run("close", "1")
    assert result.code == ExitCode.OK, result
    assert "#1 closed\n" in result.err
    assert hero.backends["github"].threads["acme/widget#1"].state is RemoteState.CLOSED


def test_not_planned_follows_the_close_reasons_capability(tmp_path: Path) -> None:
    hero = seed_three(Hero(tmp_path))
    refused = hero.run("close", "2", "--not-planned")
    assert refused.code == ExitCode.USAGE
    assert "not slack" in refused.err
    with_reasons = _slack_without(hero, Capabilities(remote_close=True, close_reasons=True))
    assert hero.run("close", "2", "--not-planned", factories=with_reasons).code == ExitCode.OK
    assert hero.backends["slack"].write_log[-1] == "close C1/1.0 not_planned"


def test_broadcast_follows_the_broadcast_capability(tmp_path: Path) -> None:
    hero = seed_three(Hero(tmp_path))
    refused = hero.run(
        "reply",
        "2",
        "-m",
        "Hello all",
        "--broadcast",
        "--yes",
        factories=_slack_without(hero, Capabilities()),
    )
    assert refused.code == ExitCode.USAGE
    assert "--broadcast" in refused.err
    sent = hero.run("reply", "2", "-m", "Hello all", "--broadcast", "--yes")
    assert sent.code == ExitCode.OK, sent


def test_handoff_posts_only_where_the_channel_says_it_can(tmp_path: Path) -> None:
    hero = seed_three(Hero(tmp_path))
    refused = hero.run(
        "handoff", "--post", "slack:#support", factories=_slack_without(hero, Capabilities())
    )
    assert refused.code == ExitCode.USAGE
    error, *rest = refused.err.strip().splitlines()
    assert error == "error: --post 'slack:#support': the slack channel cannot post"
    assert [line for line in rest if not line.lstrip().startswith("hint:")] == []
    assert json.loads(hero.run("outbox", "--all", "--json").out) == []  # nothing recorded
    malformed = hero.run("handoff", "--post", "github:acme/widget")
    assert malformed.code == ExitCode.USAGE
    assert "'acme/widget' is not an issue like owner/repo#12" in malformed.err
    unknown = hero.run("handoff", "--post", "email:team@acme.dev")
    assert unknown.code == ExitCode.NOT_FOUND  # no email channel: said before anything is done
    assert "email" in unknown.err.splitlines()[0]
    posted = hero.run("handoff", "--post", "slack:#support")
    assert posted.code == ExitCode.OK, posted
    parts = hero.backends["slack"].posts["#support"]
    assert parts
    assert all(message.body for _key, message in parts)

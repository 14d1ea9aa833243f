"""`hero show` for people: local times, names not ids, the sender's address, plain text when
piped, the pager when the conversation is taller than the terminal; `hero stats` piped."""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from herocli.models import Item, ItemState, Message, StoredMessage
from herocli.render.thread import author
from herocli.services.display import Names
from herocli.store import Store, cursors
from tests.cli_harness import Hero, hero_process, seed_three
from tests.github_fixtures import REPO, GithubWorld
from tests.pty_driver import PtyHero
from tests.sample_config import sample_config


class Keyboard(io.StringIO):
    def isatty(self) -> bool:
        return True


LONG_URL = "https://docs.acme.dev/" + "/".join(f"section-{n}" for n in range(12)) + "/index.html"


def test_piped_show_is_plain_text_in_local_time(tmp_path: Path) -> None:
    hero = seed_three(Hero(tmp_path))
    hero.backends["github"].add("acme/widget#1", "carol", f"See {LONG_URL} for the steps.")
    assert hero.run("sync").code == 0
    result = hero.run("show", "1")
    assert result.code == 0, result
    assert not set("╭╮╰╯│─") & set(result.out)
    assert LONG_URL in result.out.splitlines()[-1]  # one line, never cut
    # 09:00 UTC is 10:00 in Berlin ([hero] timezone); no ISO time, no microseconds.
    assert "--- ann · Mon 23 Nov 10:00 (30m ago)" in result.out
    assert "2026-11-23T" not in result.out
    assert result.out.splitlines()[1].startswith("github acme/widget#1 · waiting on us for")


def test_slack_ids_are_shown_as_names(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    hero = Hero(tmp_path)
    hero.customer_opens("slack", "C0SUPPORT:1796105335.000100", "Export slow", "It hangs", "U0ANN")
    hero.backends["slack"].add(
        "C0SUPPORT:1796105335.000100", "U0HANA", "<@U0RAVI> could you take this? <@U0ANN|ann>"
    )
    assert hero.run("sync").code == 0
    store = Store.open(hero.data / "queue.db")
    with store.transaction() as db:  # what a Slack sync learns about the workspace
        cursors.save(db, "slack", {"ids": {"#support": "C0SUPPORT"}}, hero.clock.now())
    store.close()
    out = hero.run("show", "1").out
    assert "@Ravi could you take this? @ann" in out
    assert "<@U0" not in out
    assert out.splitlines()[1].startswith("slack #support · ")
    assert "(team, to the team, not an answer)" in out
    monkeypatch.setattr(sys, "stdin", Keyboard("y\n"))
    replied = hero.run("reply", "1", "-m", "On it")
    assert replied.code == 0, replied
    assert "#1 Export slow — as a reply in the Slack thread on #support" in replied.err


def test_an_email_sender_shows_the_address() -> None:
    msg = Message("m1", "ann@example.com", "Ann Smith", datetime(2026, 11, 23, tzinfo=UTC), "Hi")
    assert author(StoredMessage(1, 1, msg, from_team=False)) == "Ann Smith <ann@example.com>"
    bot = Message("m2", "hero-bot", "hero-bot", datetime(2026, 11, 23, tzinfo=UTC), "Done")
    shown = author(StoredMessage(2, 1, bot, from_team=True, sent_by="Hana"))
    assert shown == "Hana (as hero-bot)"


def test_names_place_a_slack_item_by_its_channel_name() -> None:
    now = datetime(2026, 11, 23, tzinfo=UTC)
    item = Item(
        1, "slack", "C0SUPPORT:1796105335.000100", "t", None, ItemState.OPEN, None, None, None,
        (), now, now, None, 1, now, now, "ann", False, now, {"channel": "C0SUPPORT"},
    )  # fmt: skip
    assert Names(channels={"C0SUPPORT": "#support"}).place(item) == "#support"


class World:
    def __init__(self, root: Path, comments: int) -> None:
        self.github = GithubWorld()
        self.github.issue("Login broken", "I cannot log in since Monday.")
        for n in range(comments):
            self.github.comment(1, f"More details, part {n}:\nline one\nline two")
        config = root / "config.toml"
        config.write_text(
            sample_config(github={"api_url": self.github.sim.url, "repos": [REPO]}, slack=None),
            encoding="utf-8",
        )
        self.paged = root / "paged.txt"
        self.env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(root / "home"),
            "HERO_CONFIG": str(config),
            "HERO_DATA_DIR": str(root / "data"),
            "GH_TOKEN": "ghp-test-token",
            "PAGER": f"sh -c 'cat > {self.paged}'",
        }
        assert hero_process("sync", env=self.env).returncode == 0


@pytest.fixture
def long_world(tmp_path: Path) -> Iterator[World]:
    w = World(tmp_path, comments=12)
    yield w
    w.github.stop()


def test_a_tall_conversation_goes_through_the_pager(long_world: World) -> None:
    term = PtyHero("show", "1", env=long_world.env, rows=30)
    assert term.wait() == 0
    paged = long_world.paged.read_text(encoding="utf-8")
    assert "More details, part 11" in paged
    assert "╭" in paged  # the terminal view, boxes and all
    assert "More details, part 11" not in term.screen


def test_a_short_conversation_is_printed_directly(tmp_path: Path) -> None:
    world = World(tmp_path, comments=1)
    try:
        term = PtyHero("show", "1", env=world.env, rows=30)
        assert term.wait() == 0
        assert "More details, part 0" in term.screen
        assert not world.paged.exists()
    finally:
        world.github.stop()


def test_piped_stats_draw_no_boxes(tmp_path: Path) -> None:
    hero = seed_three(Hero(tmp_path))
    hero.backends["github"].add("acme/widget#1", "carol", "x")
    out = hero.run("stats").out
    assert "Waiting on us: 2" in out
    assert not set("┏┓┗┛┃━│─") & set(out)

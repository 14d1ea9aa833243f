"""`hero show` keeps every word of a long message, on a terminal or piped."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from herocli.exchange import Conversation
from herocli.models import Message
from herocli.store import Store, ingest
from tests.cli_harness import Hero, hero_process

LONG = " ".join(f"word{n}" for n in range(120))


def _words(out: str) -> set[str]:
    return set(out.replace("│", " ").split())


@pytest.mark.parametrize("terminal", [True, False])
def test_long_bodies_wrap_in_process(tmp_path: Path, terminal: bool) -> None:
    hero = Hero(tmp_path, terminal=terminal)
    hero.customer_opens("github", "acme/widget#1", "Long one", LONG)
    assert hero.run("sync").code == 0
    out = hero.run("show", "1").out
    missing = [w for w in LONG.split() if w not in _words(out)]
    assert not missing, missing[:5]


def test_long_bodies_wrap_when_piped_from_a_real_process(tmp_path: Path) -> None:
    """The real consoles, not the test harness's: stdout is a pipe here."""
    hero = Hero(tmp_path)
    store = Store.open(hero.data / "queue.db")
    at = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    message = Message("m1", "ann", "Ann", at, LONG)
    with store.transaction() as db:
        ingest.ingest(
            db, Conversation("github", "acme/widget#1", "Long one", (message,)), lambda m: False, at
        )
    store.close()
    env = {
        **os.environ,
        "HERO_CONFIG": str(hero.config),
        "HERO_DATA_DIR": str(hero.data),
        "COLUMNS": "80",
    }
    done = hero_process("show", "1", env=env)
    assert done.returncode == 0, done.stderr
    missing = [w for w in LONG.split() if w not in _words(done.stdout)]
    assert not missing, missing[:5]


def test_inbox_title_says_how_fresh_the_queue_is(tmp_path: Path) -> None:
    hero = Hero(tmp_path, terminal=True)
    hero.customer_opens("github", "acme/widget#1", "Help", "body")
    assert hero.run("sync").code == 0
    hero.clock.advance(minutes=12)
    first_line = hero.run("inbox").out.splitlines()[0]
    assert first_line.strip() == "1 item waiting on us · synced 12m ago"

"""`hero reply` on a real terminal, through a real editor (ed), against the GitHub simulator."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from herocli.store import Store
from herocli.store import drafts as draft_rows
from tests.cli_harness import hero_process
from tests.github_fixtures import REPO, GithubWorld
from tests.pty_driver import PtyHero
from tests.sample_config import sample_config

pytestmark = pytest.mark.skipif(shutil.which("ed") is None, reason="needs the ed editor")


class World:
    def __init__(self, root: Path) -> None:
        self.github = GithubWorld()
        self.github.issue("Login broken", "I cannot log in since Monday.")
        self.config = root / "config.toml"
        self.config.write_text(
            sample_config(github={"api_url": self.github.sim.url, "repos": [REPO]}, slack=None),
            encoding="utf-8",
        )
        self.data = root / "data"
        self.env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(root / "home"),
            "HERO_CONFIG": str(self.config),
            "HERO_DATA_DIR": str(self.data),
            "GH_TOKEN": "ghp-test-token",
            # ed with a prompt, so the test knows when the editor waits for a command.
            "EDITOR": "ed -s -p ED>",
        }
        synced = hero_process("sync", env=self.env)
        assert synced.returncode == 0, synced

    def comments(self) -> list[str]:
        """The comments on the issue, without the key hero adds to find a reply again."""
        bodies = [c["body"] for c in self.github.sim.repos[REPO].comments_of(1)]
        return [re.sub(r"\n*<!-- hero:[0-9a-f]+ -->$", "", body) for body in bodies]

    def draft(self) -> str | None:
        store = Store.open(self.data / "queue.db")
        try:
            found = draft_rows.get(store.conn, 1)
        finally:
            store.close()
        return None if found is None else found[0]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = World(tmp_path)
    yield w
    w.github.stop()


def test_decline_edit_again_postpone_come_back_and_send(world: World) -> None:
    term = PtyHero("reply", "1", env=world.env)
    term.expect("ED>")
    term.send("1c\n# Hello\n#2291 is a first try.\n.\nw\nq\n")  # Markdown and "#2291" stay
    term.expect(r"Send this reply\?")
    assert "#2291 is a first try." in term.screen
    term.send("n\n")  # a "no": not an error, and nothing is lost
    term.expect("Not sent. What now?")
    term.expect(r"The reply \(")
    term.send("e\n")
    term.expect("ED>")
    term.send("2s/first/second/\nw\nq\n")
    term.expect(r"Send this reply\?")
    term.send("p\n")
    term.expect("draft is kept")
    assert term.wait() == 6
    assert "error" not in term.screen
    assert world.comments() == []
    assert world.draft() == "# Hello\n#2291 is a second try.\n"

    again = PtyHero("reply", "1", env=world.env)
    again.expect("Picking up your draft of #1")
    again.expect("ED>")
    again.send("2p\n")
    again.expect("#2291 is a second try.")
    again.send("2s/second/third/\nw\nq\n")
    again.expect(r"Send this reply\?")
    again.send("\n")  # a bare Enter sends nothing: it asks again
    again.expect("Type one of")
    again.expect(r"Send this reply\?|\(y send")
    assert world.comments() == []
    again.send("y\n")
    again.expect("done on github")
    assert again.wait() == 0
    assert world.comments() == ["# Hello\n#2291 is a third try."]
    assert world.draft() is None  # sent: the draft is gone


def test_ctrl_c_at_the_question_exits_130_and_keeps_the_draft(world: World) -> None:
    term = PtyHero("reply", "1", env=world.env)
    term.expect("ED>")
    term.send("1c\nAlmost done.\n.\nw\nq\n")
    term.expect(r"Send this reply\?")
    term.interrupt()
    assert term.wait() == 130
    assert "interrupted" in term.screen
    assert world.comments() == []
    assert world.draft() == "Almost done.\n"

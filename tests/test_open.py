"""`hero open ID` and `hero show ID --web`: the item at its source, in the browser."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli_harness import hero_process
from tests.github_fixtures import REPO, GithubWorld
from tests.sample_config import sample_config


class World:
    def __init__(self, root: Path) -> None:
        self.github = GithubWorld()
        self.github.issue("Login broken", "I cannot log in.")
        config = root / "config.toml"
        config.write_text(
            sample_config(github={"api_url": self.github.sim.url, "repos": [REPO]}, slack=None),
            encoding="utf-8",
        )
        self.opened = root / "opened.txt"
        browser = root / "browser"  # $BROWSER names one program, which gets the URL
        browser.write_text(
            f"#!{sys.executable}\nimport sys, pathlib\n"
            f"pathlib.Path({str(self.opened)!r}).open('a').write(sys.argv[-1] + '\\n')\n",
            encoding="utf-8",
        )
        browser.chmod(0o755)
        self.env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(root / "home"),
            "HERO_CONFIG": str(config),
            "HERO_DATA_DIR": str(root / "data"),
            "GH_TOKEN": "ghp-test-token",
            "BROWSER": str(browser),
        }
        assert hero_process("sync", env=self.env).returncode == 0


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = World(tmp_path)
    yield w
    w.github.stop()


def test_open_and_show_web_open_the_issue_in_the_browser(world: World) -> None:
    url = "https://github.com/acme/widget/issues/1"
    opened = hero_process("open", "1", env=world.env)
    assert opened.returncode == 0, opened.stderr
    assert opened.stderr.strip() == f"Opening {url} in your browser."
    web = hero_process("show", "#1", "--web", env=world.env)
    assert web.returncode == 0, web.stderr
    assert world.opened.read_text(encoding="utf-8").splitlines() == [url, url]


def test_open_an_unknown_item_is_not_found(world: World) -> None:
    done = hero_process("open", "99", env=world.env)
    assert done.returncode == 5
    assert done.stderr.startswith("error: no item #99 in the queue")
    assert not world.opened.exists()

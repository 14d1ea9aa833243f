"""Every test runs with its own config and data dirs: nothing touches the real ~/.config."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    for name in ("HERO_CONFIG", "HERO_DATA_DIR", "GH_TOKEN", "GITHUB_TOKEN", "SLACK_TOKEN"):
        monkeypatch.delenv(name, raising=False)

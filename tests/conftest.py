"""Every test runs with its own config and data dirs: nothing touches the real ~/.config."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    for name in ("HERO_CONFIG", "HERO_DATA_DIR", "GH_TOKEN", "GITHUB_TOKEN", "SLACK_TOKEN"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def tui_world(tmp_path: Path) -> Iterator[Any]:
    """Three GitHub issues on the simulator, synced into a real queue, for `hero tui`."""
    from tests.tui_world import TuiWorld  # imports Textual: only the TUI tests pay for it

    w = TuiWorld(tmp_path)
    w.issue("Printer is on fire", "It smokes when I print.")
    w.issue("Login fails", "Password reset mail never arrives.", user="dave")
    w.issue("Export is slow", "CSV export takes an hour.", user="erin")
    w.sync()
    try:
        yield w
    finally:
        w.stop()


# Property tests bound their own max_examples (the suite must run in minutes on two shared
# cores); no deadline, as the machine is shared, and every failure prints the blob to replay.
settings.register_profile("ci", deadline=None, print_blob=True)
settings.load_profile("ci")

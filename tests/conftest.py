"""Every test runs with its own config and data dirs: nothing touches the real ~/.config.

Coverage (pyproject's addopts) is reported and held at its floor only when the
whole suite runs: one test file covers a sliver of the code, and failing it for
that would teach everyone to ignore the floor. ``--no-cov`` runs the suite without it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings


def _whole_suite(config: pytest.Config) -> bool:
    chosen = [Path(a.split("::")[0]).resolve() for a in config.args]
    roots = [config.rootpath / p for p in config.getini("testpaths")] or [config.rootpath]
    everything = all(c in [r.resolve() for r in roots] for c in chosen)
    selected = config.option.keyword or config.option.markexpr or config.option.deselect
    return everything and not selected and not getattr(config.option, "lf", False)


def pytest_configure(config: pytest.Config) -> None:
    coverage = config.pluginmanager.getplugin("_cov")
    if coverage is not None and config.option.no_cov:
        # Under --no-cov pytest-cov has no controller, yet still pauses it around every
        # no_cover test, which fails them all (pytest-dev/pytest-cov#590). Measuring
        # nothing, its plugin has nothing to do.
        config.pluginmanager.unregister(coverage, "_cov")
        return
    if coverage is not None and not _whole_suite(config):
        coverage.options.cov_fail_under = None
        coverage.options.cov_report = {}


def pytest_report_header(config: pytest.Config) -> str | None:
    coverage = config.pluginmanager.getplugin("_cov")
    if coverage is None or coverage.options.cov_fail_under is not None:
        return None
    return "coverage: reported, and held at its floor, only when the whole suite runs"


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
# HYPOTHESIS_PROFILE=quick while developing: a fifth of the examples.
settings.register_profile("ci", deadline=None, print_blob=True)
settings.register_profile("quick", max_examples=20, deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

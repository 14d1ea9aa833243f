"""What `hero tui` looks like, at 80x24 and 160x50: a missing or changed snapshot fails.

Times come from the tests' clock and the data from the simulator, so each
screen is the same on every run. After a deliberate change of the screen,
`pytest tests/test_tui_snapshots.py --snapshot-update` rewrites them; look at
the SVGs before committing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.tui_world import TuiWorld, jobs_done

Compare = Callable[..., bool]
SIZES = [(80, 24), (160, 50)]


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "160x50"])
def test_queue_and_conversation(tui_world: TuiWorld, snap_compare: Compare, size: Any) -> None:
    assert snap_compare(tui_world.app(), terminal_size=size, press=["j"])


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "160x50"])
def test_key_map(tui_world: TuiWorld, snap_compare: Compare, size: Any) -> None:
    assert snap_compare(tui_world.app(), terminal_size=size, press=["question_mark"])


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "160x50"])
def test_reply_confirmation(tui_world: TuiWorld, snap_compare: Compare, size: Any) -> None:
    async def reply(pilot: Pilot[None]) -> None:
        await pilot.press("r")
        await jobs_done(pilot, 1)  # the draft is kept, then the question shows

    assert snap_compare(tui_world.app(), terminal_size=size, run_before=reply)


def test_no_color(
    tui_world: TuiWorld, snap_compare: Compare, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    assert snap_compare(tui_world.app(), terminal_size=(80, 24))

"""The contract catches a channel whose writes do nothing (see tests/noop_check.py).

Run here for the reference channel, in a fresh process per write; ``python -m
tests.noop_check`` runs the same check for every channel.
"""

from __future__ import annotations

import pytest

from tests.noop_check import WRITES, run_isolated

EXPECTED = {
    "send_reply": "test_reply_lands_once_and_turns_the_wait",
    "close": "test_close_and_reopen_reach_the_source",
    "set_labels": "test_labels_reach_the_source",
    "assign": "test_assign_reaches_the_source",
    "post": "test_a_post_lands_once_and_a_retry_after_a_crash_finds_it",
}


@pytest.mark.parametrize("write", sorted(WRITES))
def test_a_write_that_does_nothing_fails_the_memory_contract(write: str) -> None:
    failed = run_isolated("memory", write)
    assert EXPECTED[write] in failed, failed

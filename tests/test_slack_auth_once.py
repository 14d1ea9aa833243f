"""A `hero` process asks Slack who the app is (``auth.test``) at most once.

The support channels' sync, the team mirror's read, the mirror's posts and a reply
each need the app's user id or the workspace's URL; one answer serves them all.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.mirror_world import MirrorWorld, mirror_world
from tests.outbox_worlds import hero


@pytest.fixture
def world(tmp_path: Path) -> Iterator[MirrorWorld]:
    with mirror_world(tmp_path / "world") as w:
        yield w


def test_sync_with_the_mirror_then_a_reply_ask_once_per_process(world: MirrorWorld) -> None:
    synced = hero(world, "sync", "--json")
    assert synced.code == 0, synced
    assert len(world.parents()) == 3  # the mirror read #team and posted a parent per item
    assert world.slack.calls("auth.test") == 1
    listed = hero(world, "inbox", "--channel", "slack", "--json")
    [item] = json.loads(listed.out)
    # Later processes: the second sync's mirror read is its first (no parent was watched
    # before), so its new cursor asks once; after that the cursors know the app, and a
    # reply asks once for the workspace's URL.
    for args, asks in (
        (("sync",), 1),
        (("sync",), 0),
        (("reply", str(item["number"]), "-m", "On it", "--yes"), 1),
    ):
        world.slack.clear_requests()
        done = hero(world, *args)
        assert done.code == 0, done
        assert world.slack.calls("auth.test") == asks, args
    assert world.support_replies()[-1]["text"] == "On it"

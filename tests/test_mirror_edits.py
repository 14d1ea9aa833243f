"""A teammate edits a `!reply` in Slack: before hero reads it, after it read it, after it
was sent. The customer gets the text as hero first read it, once; a later edit is never
sent, and is noted on the item and in the thread, once. The edits are made as Slack's
users make them, with ``chat.update`` under the teammate's own token (the simulator
keeps the new text and an ``edited`` mark, and moves no count on the parent).
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import httpx
import pytest

from tests.mirror_world import MIRROR, RAVI, MirrorWorld, mirror_world
from tests.outbox_worlds import hero

RAVI_TOKEN = "xoxp-ravi"


@pytest.fixture
def world(tmp_path: Path) -> MirrorWorld:
    with mirror_world(tmp_path / "world") as w:
        w.slack.tokens[RAVI_TOKEN] = RAVI
        yield w  # type: ignore[misc]


def _edit(world: MirrorWorld, ts: str, text: str) -> None:
    """Ravi edits his message in Slack (chat.update with his own token)."""
    answer = httpx.post(
        f"{world.slack.url}/chat.update",
        json={"channel": MIRROR, "ts": ts, "text": text},
        headers={"Authorization": f"Bearer {RAVI_TOKEN}"},
    ).json()
    assert answer["ok"], answer
    assert world.slack.message(MIRROR, ts)["edited"]["user"] == RAVI


def _github(world: MirrorWorld) -> tuple[int, str]:
    assert hero(world, "sync").code == 0
    listed = json.loads(hero(world, "inbox", "--json").out)
    number = next(i["number"] for i in listed if i["channel"] == "github")
    return number, world.parent_for(number)["ts"]


def _answers(world: MirrorWorld) -> list[str]:
    """The relayed answers on the GitHub issue, without hero's key marker."""
    return [c.split("\n\n<!--")[0] for c in world.comments() if "<!-- hero:relay-" in c]


def _notes(world: MirrorWorld, number: int) -> list[str]:
    shown = json.loads(hero(world, "show", str(number), "--json").out)
    return [str(n["body"]) for n in shown["notes"]]


def _notices(world: MirrorWorld, parent: str) -> list[str]:
    return [m["text"] for m in world.thread(parent) if m["text"].startswith(":pencil2:")]


def test_an_edit_before_hero_reads_it_is_what_the_customer_gets(world: MirrorWorld) -> None:
    _number, parent = _github(world)
    ts = world.teammate_says(parent, "!reply Fixde in 1.2")
    _edit(world, ts, "!reply Fixed in 1.2, sorry for the wait.")
    for _ in range(2):
        assert hero(world, "sync").code == 0
    assert _answers(world) == ["Fixed in 1.2, sorry for the wait."]
    assert _notices(world, parent) == []


def test_an_edit_after_the_relay_is_noted_never_sent(world: MirrorWorld) -> None:
    number, parent = _github(world)
    ts = world.teammate_says(parent, "!reply Fixed in 1.2.")
    assert hero(world, "sync").code == 0
    _edit(world, ts, "!reply Fixed in 1.3, not 1.2.")
    world.slack.clear_requests()
    for _ in range(3):
        assert hero(world, "sync").code == 0
    # The edit moved no count on the parent: hero read the thread because it relayed there.
    assert world.slack.calls("conversations.replies") >= 1
    assert _answers(world) == ["Fixed in 1.2."]
    edited = [n for n in _notes(world, number) if n.startswith("Edited in Slack")]
    assert len(edited) == 1
    assert "after it was sent" in edited[0]
    assert "Fixed in 1.3, not 1.2." in edited[0]
    assert len(_notices(world, parent)) == 1
    _edit(world, ts, "!reply Fixed in 1.3.")  # a second edit is a second note
    assert hero(world, "sync").code == 0
    assert len([n for n in _notes(world, number) if n.startswith("Edited in Slack")]) == 2
    assert _answers(world) == ["Fixed in 1.2."]


def test_an_edit_while_the_answer_waits_in_the_outbox_sends_the_text_as_read(
    world: MirrorWorld,
) -> None:
    number, parent = _github(world)
    # GitHub fails this sync's attempt (a comment is not retried within it): it waits.
    world.github.inject("server_error", path="/comments", method="POST", status=502)
    ts = world.teammate_says(parent, "!reply Fixed in 1.2.")
    assert hero(world, "sync").code == 1
    assert not _answers(world)
    _edit(world, ts, "!reply Fixed in 1.3.")
    for _ in range(3):
        hero(world, "sync")
    assert _answers(world) == ["Fixed in 1.2."]
    edited = [n for n in _notes(world, number) if n.startswith("Edited in Slack")]
    assert len(edited) == 1
    assert "after hero read it" in edited[0]


def test_a_note_edited_to_add_the_prefix_stays_a_note(world: MirrorWorld) -> None:
    number, parent = _github(world)
    ts = world.teammate_says(parent, "Fixed in 1.2 I think")
    assert hero(world, "sync").code == 0
    _edit(world, ts, "!reply Fixed in 1.2 I think")
    for _ in range(2):
        assert hero(world, "sync").code == 0
    assert not _answers(world)
    assert _notes(world, number) == ["Fixed in 1.2 I think"]


def test_an_answer_taken_before_marks_were_kept_notes_only_later_edits(
    world: MirrorWorld,
) -> None:
    number, parent = _github(world)
    ts = world.teammate_says(parent, "!reply Fixde in 1.2.")
    _edit(world, ts, "!reply Fixed in 1.2.")
    assert hero(world, "sync").code == 0
    with sqlite3.connect(world.queue) as db:  # as a queue from before migration 012 has it
        db.execute("UPDATE mirror_seen SET mark = NULL")
    assert hero(world, "sync").code == 0
    assert [n for n in _notes(world, number) if n.startswith("Edited in Slack")] == []
    _edit(world, ts, "!reply Fixed in 1.3.")
    assert hero(world, "sync").code == 0
    assert len([n for n in _notes(world, number) if n.startswith("Edited in Slack")]) == 1

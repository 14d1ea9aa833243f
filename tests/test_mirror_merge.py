"""Two email items merged while both are mirrored: the absorbed one's parent says where it
went, the conversation goes on in the surviving thread, and an answer written in the old
thread still reaches the customer, once. Real IMAP and SMTP servers, the Slack simulator.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from herocli.channels.slack.api import TRANSIENT_RETRIES
from herocli.channels.slack.convert import message_key
from tests.mirror_world import MIRROR, QUESTION_ID, MirrorWorld, mirror_world
from tests.outbox_worlds import hero
from tests.test_mail_channel import mail

MIDDLE_ID = "<q2@customer.example>"  # the customer's second mail, which arrives last
LATE_ID = "<q3@customer.example>"  # their answer to it, which arrives first


@pytest.fixture
def world(tmp_path: Path) -> MirrorWorld:
    with mirror_world(tmp_path / "world") as w:
        yield w  # type: ignore[misc]


def _sync(world: MirrorWorld) -> None:
    result = hero(world, "sync")
    assert result.code == 0, result


def _email_items(world: MirrorWorld) -> list[int]:
    listed = hero(world, "inbox", "--all", "--json")
    return sorted(i["number"] for i in json.loads(listed.out) if i["channel"] == "email")


def _customer_mails(world: MirrorWorld, *mails: tuple[str, str, str, int]) -> None:
    assert world.imap is not None
    for message_id, in_reply_to, body, minute in mails:
        when = datetime(2026, 11, 23, 8, minute, tzinfo=UTC)
        raw = mail(
            "Re: Login broken", body, message_id=message_id, in_reply_to=in_reply_to, date=when
        )
        world.imap.append("INBOX", raw)


def _merged_world(world: MirrorWorld) -> tuple[int, int]:
    """The email question and a late reply mirrored apart, then merged by the mail between."""
    _sync(world)
    _customer_mails(world, (LATE_ID, MIDDLE_ID, "Any news on this?", 30))
    _sync(world)
    kept, absorbed = _email_items(world)
    assert len(world.parents()) == 4  # two email parents, before the middle mail shows
    _customer_mails(world, (MIDDLE_ID, QUESTION_ID, "Password reset fails too.", 10))
    _sync(world)
    assert _email_items(world) == [kept]
    return kept, absorbed


def test_the_absorbed_items_parent_says_where_it_went_with_a_link(world: MirrorWorld) -> None:
    kept, absorbed = _merged_world(world)
    survivor = world.parent_for(kept)
    gone = world.parent_for(absorbed)
    assert "Any news on this?" in gone["text"]  # its question stays readable
    assert "Waiting on us" not in gone["text"]
    link = f"https://{world.slack.domain}.slack.com/archives/{MIRROR}/p"
    link += survivor["ts"].replace(".", "")
    assert f":twisted_rightwards_arrows: Merged into <{link}|#{kept}>" in gone["text"]
    assert "Waiting on us" in survivor["text"]
    # The mail that joined them shows in the surviving thread, not the old one, and so
    # does the absorbed item's question: that thread holds the whole conversation.
    shown = [m["text"] for m in world.thread(survivor["ts"])]
    assert [t for t in shown if "Password reset fails too." in t or "Any news" in t] == [
        "*Carla Customer* wrote:\nPassword reset fails too.",
        "*Carla Customer* wrote:\nAny news on this?",
    ]
    assert world.thread(gone["ts"]) == []
    world.slack.clear_requests()
    _sync(world)  # settled: no more edits
    assert world.slack.calls("chat.update") == 0


def test_later_customer_mail_goes_to_the_surviving_thread_only(world: MirrorWorld) -> None:
    kept, absorbed = _merged_world(world)
    _customer_mails(world, ("<q4@customer.example>", LATE_ID, "Still locked out.", 40))
    _sync(world)
    survivor, gone = world.parent_for(kept), world.parent_for(absorbed)
    assert [m["text"] for m in world.thread(survivor["ts"])].count(
        "*Carla Customer* wrote:\nStill locked out."
    ) == 1
    assert world.thread(gone["ts"]) == []
    assert "Merged into" in gone["text"]


def test_an_answer_in_the_old_thread_reaches_the_customer_once_via_the_survivor(
    world: MirrorWorld,
) -> None:
    kept, absorbed = _merged_world(world)
    gone = world.parent_for(absorbed)
    world.teammate_says(gone["ts"], "they are on the old plan")
    answer_ts = world.teammate_says(gone["ts"], "!reply Reset it for you, try again.")
    for _ in range(3):
        _sync(world)
    mails = [m for m in world.mails() if "Reset it for you" in m.get_payload(decode=True).decode()]
    assert len(mails) == 1
    # In the customer's thread: it answers their latest mail.
    assert str(mails[0]["In-Reply-To"]).strip() == LATE_ID
    assert MIDDLE_ID in str(mails[0]["References"])
    assert not any("old plan" in str(m.get_payload(decode=True)) for m in world.mails())
    reactions = world.slack.message(MIRROR, answer_ts).get("reactions") or []
    assert [r["name"] for r in reactions] == ["incoming_envelope"]
    shown = json.loads(hero(world, "show", str(kept), "--json").out)
    assert "old plan" in json.dumps(shown["notes"])
    assert "Waiting on them" in world.parent_for(kept)["text"]


def test_a_failed_answer_from_the_old_thread_is_said_in_that_thread(world: MirrorWorld) -> None:
    kept, absorbed = _merged_world(world)
    gone = world.parent_for(absorbed)
    assert world.smtp is not None
    world.smtp.hang_up_next = 1  # the server keeps the mail and never answers 250
    world.teammate_says(gone["ts"], "!reply Reset it for you, try again.")
    for _ in range(2):
        hero(world, "sync")
    notices = [m for m in world.thread(gone["ts"]) if str(message_key(m)).endswith("-failed")]
    assert len(notices) == 1
    assert "may not have reached the customer" in notices[0]["text"]
    assert not [m for m in world.thread(world.parent_for(kept)["ts"]) if ":warning:" in m["text"]]
    assert len(world.mails()) == 1


def test_an_edit_that_waited_for_the_absorbed_parent_stays_on_that_parent(
    world: MirrorWorld,
) -> None:
    _sync(world)
    _customer_mails(world, (LATE_ID, MIDDLE_ID, "Any news on this?", 30))
    _sync(world)
    kept, absorbed = _email_items(world)
    # The survivor's parent then does not change with the merge (it keeps its assignee).
    assert hero(world, "assign", str(kept), "hana", "--local").code == 0
    _sync(world)
    assert hero(world, "assign", str(absorbed), "ravi", "--local").code == 0
    world.slack.inject_server_error("chat.update", 502, times=TRANSIENT_RETRIES + 1)
    assert hero(world, "sync").code == 1  # the edit failed: it waits in the outbox
    _customer_mails(world, (MIDDLE_ID, QUESTION_ID, "Password reset fails too.", 10))
    _sync(world)
    # The waiting edit was the absorbed parent's, never the survivor's.
    survivor, gone = world.parent_for(kept), world.parent_for(absorbed)
    assert survivor["text"].startswith(f"*#{kept}* · Email · *Login broken*")
    assert "Assigned to Hana" in survivor["text"]
    assert "Merged into" in gone["text"]


def test_an_item_merged_twice_over_names_where_it_lives_on_now(world: MirrorWorld) -> None:
    """q3 and q5 come first, each its own item; q4 joins them; q2 joins them to q1."""
    _sync(world)
    first = _email_items(world)[0]
    _customer_mails(
        world,
        ("<q3@customer.example>", MIDDLE_ID, "Third mail.", 30),
        ("<q5@customer.example>", "<q4@customer.example>", "Fifth mail.", 50),
    )
    _sync(world)
    _, third, fifth = _email_items(world)
    _customer_mails(world, ("<q4@customer.example>", "<q3@customer.example>", "Fourth.", 40))
    _sync(world)
    assert "Merged into <" in world.parent_for(fifth)["text"]
    assert f"|#{third}>" in world.parent_for(fifth)["text"]
    _customer_mails(world, (MIDDLE_ID, QUESTION_ID, "Second mail.", 10))
    _sync(world)
    assert _email_items(world) == [first]
    for gone in (third, fifth):
        assert f"|#{first}>: the conversation goes on there" in world.parent_for(gone)["text"]

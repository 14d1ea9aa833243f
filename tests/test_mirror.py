"""The team mirror against the GitHub and Slack simulators and real mail servers.

Each item (a GitHub issue, an email, a Slack question) gets one parent in #team; a
teammate's prefixed answer in its thread reaches the customer once on the item's own
channel; an unprefixed one stays a note; customer follow-ups and state changes show.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from herocli.store import Store, cursors, log
from tests.mirror_world import MIRROR, QUESTION_ID, MirrorWorld, mirror_world
from tests.outbox_worlds import REPO, hero
from tests.slack_fixtures import SUPPORT


@pytest.fixture
def world(tmp_path: Path) -> MirrorWorld:
    with mirror_world(tmp_path / "world") as w:
        yield w  # type: ignore[misc]


def _sync(world: MirrorWorld) -> dict[str, dict[str, object]]:
    result = hero(world, "sync", "--json")
    assert result.code == 0, result
    return {r["channel"]: r for r in json.loads(result.out)}


def _items(world: MirrorWorld) -> dict[str, int]:
    listed = hero(world, "inbox", "--all", "--json")
    assert listed.code == 0, listed
    return {i["channel"]: i["number"] for i in json.loads(listed.out)}


def test_each_source_is_mirrored_once_and_a_quiet_resync_costs_no_write(
    world: MirrorWorld,
) -> None:
    _sync(world)
    items = _items(world)
    assert set(items) == {"github", "email", "slack"}
    parents = world.parents()
    assert len(parents) == 3
    github = world.parent_for(items["github"])["text"]
    assert "GitHub" in github
    assert "Export fails" in github
    assert "carol" in github
    assert f"https://github.com/{REPO}/issues/1" in github or "/issues/1|" in github
    assert "> Export to CSV fails." in github
    email = world.parent_for(items["email"])["text"]
    assert "Email" in email
    assert "Login broken" in email
    assert "I cannot log in." in email
    slack = world.parent_for(items["slack"])["text"]
    assert "Slack" in slack
    assert "reset my API key" in slack
    assert all("Waiting on us since <!date^" in p["text"] for p in parents)

    world.slack.clear_requests()
    _sync(world)
    assert len(world.parents()) == 3
    assert world.slack.calls("chat.update") == 0
    assert world.slack.calls("chat.postMessage") == 0
    # A quiet mirror costs one history page; its cursor is no channel's "last synced".
    history = [r for r in world.slack.requests if r.params.get("channel") == MIRROR]
    assert [r.method for r in history] == ["conversations.history"]
    store = Store.open(world.queue)
    try:
        assert set(cursors.last_synced(store.conn)) == {"github", "email", "slack"}
    finally:
        store.close()


def test_a_prefixed_answer_reaches_each_customer_once_and_chatter_stays_a_note(
    world: MirrorWorld,
) -> None:
    _sync(world)
    items = _items(world)
    for channel, number in items.items():
        parent = world.parent_for(number)["ts"]
        world.teammate_says(parent, f"I think this is the {channel} cache bug")
        world.teammate_says(parent, f"!reply Thanks! Fixed for {channel} in 1.2.")
    _sync(world)
    for _ in range(2):  # nothing more goes out, however often it syncs
        _sync(world)

    comments = [c for c in world.comments() if "Fixed for github" in c]
    assert len(comments) == 1
    assert "cache bug" not in "".join(world.comments())
    assert not comments[0].startswith("!reply")
    mails = world.mails()
    assert len(mails) == 1
    assert mails[0]["In-Reply-To"] == QUESTION_ID
    assert QUESTION_ID in str(mails[0]["References"])
    assert "Ravi" in str(mails[0]["From"])
    assert "hey@acme.dev" in str(mails[0]["From"])
    assert "Fixed for email" in mails[0].get_payload(decode=True).decode()
    replies = world.support_replies()
    assert [r["text"] for r in replies] == ["Thanks! Fixed for slack in 1.2."]

    store = Store.open(world.queue)
    try:
        notes = log.notes(store.conn, list(items.values()))
    finally:
        store.close()
    for channel, number in items.items():
        assert [(n.author, n.body) for n in notes[number]] == [
            ("Ravi", f"I think this is the {channel} cache bug")
        ]
    # Confirmed in the thread, and the parents now say the customers' turn.
    for number in items.values():
        parent = world.parent_for(number)
        relayed = [m for m in world.thread(parent["ts"]) if m["text"].startswith("!reply")]
        assert [r["name"] for r in relayed[0].get("reactions", ())] == ["incoming_envelope"]
        assert "Waiting on them" in parent["text"]
    shown = hero(world, "show", str(items["github"]), "--json")
    assert "Ravi" in shown.out


def test_a_customer_follow_up_shows_in_the_thread_and_the_parent_follows_the_item(
    world: MirrorWorld,
) -> None:
    _sync(world)
    number = _items(world)["github"]
    world.github.add_comment(REPO, 1, "Still broken on 1.1, see log.", user="carol")
    _sync(world)
    parent = world.parent_for(number)
    assert [m["text"] for m in world.thread(parent["ts"])] == [
        "*carol* wrote:\nStill broken on 1.1, see log."
    ]
    assert hero(world, "assign", str(number), "ravi", "--local").code == 0
    _sync(world)
    assert "Assigned to Ravi" in world.parent_for(number)["text"]
    assert hero(world, "snooze", str(number), "2h").code == 0
    _sync(world)
    assert ":zzz: Snoozed until" in world.parent_for(number)["text"]
    assert hero(world, "close", str(number)).code == 0
    world.slack.clear_requests()
    _sync(world)
    assert ":white_check_mark: Closed" in world.parent_for(number)["text"]
    assert world.slack.calls("chat.update") == 1
    assert len(world.parents()) == 3


def test_relayed_answers_count_as_the_teammates_replies(world: MirrorWorld) -> None:
    _sync(world)
    for number in _items(world).values():
        world.teammate_says(world.parent_for(number)["ts"], "!reply On it.")
    _sync(world)
    stats = hero(world, "stats", "--json")
    assert stats.code == 0, stats
    assert {"author": "Ravi", "count": 3} in json.loads(stats.out)["replies_by"]
    listed = hero(world, "inbox", "--json")
    assert json.loads(listed.out) == []  # every item now waits on the customer
    handoff = hero(world, "handoff", "--to", "Ravi", "--dry-run")
    assert "Replies by: Ravi 3" in handoff.out, handoff


def test_a_failed_relay_is_said_in_the_thread_once_then_retried(world: MirrorWorld) -> None:
    _sync(world)
    number = _items(world)["github"]
    parent = world.parent_for(number)["ts"]
    world.github.inject("server_error", path="/comments", method="POST", status=502, times=2)
    world.teammate_says(parent, "!reply Fixed in 1.2.")
    for _ in range(2):
        assert hero(world, "sync").code == 1
    notices = [m["text"] for m in world.thread(parent) if "Not sent to the customer" in m["text"]]
    assert len(notices) == 1
    assert "502" in notices[0]
    assert not [c for c in world.comments() if "Fixed in 1.2." in c]
    _sync(world)  # the fault is spent: the retry goes out, once, and is confirmed
    assert len([c for c in world.comments() if "Fixed in 1.2." in c]) == 1
    relayed = [m for m in world.thread(parent) if m["text"].startswith("!reply")]
    assert [r["name"] for r in relayed[0].get("reactions", ())] == ["incoming_envelope"]
    assert len([m for m in world.thread(parent) if "Not sent" in m["text"]]) == 1


def test_an_answer_that_may_have_gone_out_is_said_so_and_never_resent(
    world: MirrorWorld,
) -> None:
    _sync(world)
    parent = world.parent_for(_items(world)["email"])["ts"]
    assert world.smtp is not None
    world.smtp.hang_up_next = 1  # the server keeps the mail and never answers 250
    world.teammate_says(parent, "!reply Try logging in again now.")
    for _ in range(3):
        hero(world, "sync")
    assert len(world.mails()) == 1
    notices = [m["text"] for m in world.thread(parent) if ":warning:" in m["text"]]
    assert len(notices) == 1
    assert "may not have reached the customer" in notices[0]
    outbox = json.loads(hero(world, "outbox", "--json").out)
    assert [e["state"] for e in outbox] == ["uncertain"]


def test_a_post_whose_answer_was_lost_is_found_by_its_key_not_posted_again(
    world: MirrorWorld,
) -> None:
    # Slack takes each parent, then the connection drops before it answers.
    world.slack.inject_hang_up("chat.postMessage", times=3)
    assert hero(world, "sync").code != 0
    assert len(world.parents()) == 3
    _sync(world)  # each retry looks the parent up by its key in the history first
    assert len(world.parents()) == 3
    number = _items(world)["github"]
    world.github.add_comment(REPO, 1, "Any news?", user="carol")
    world.slack.inject_hang_up("chat.postMessage", times=1)  # the follow-up, this time
    hero(world, "sync")
    _sync(world)
    parent = world.parent_for(number)
    assert [m["text"] for m in world.thread(parent["ts"])] == ["*carol* wrote:\nAny news?"]
    assert "Waiting on us" in parent["text"]


def test_a_dropped_parent_is_mirrored_afresh_once_the_channel_works(world: MirrorWorld) -> None:
    world.slack.set_member(MIRROR, False)  # the app is not in #team yet: not_in_channel
    assert hero(world, "sync").code != 0
    number = _items(world)["github"]
    assert hero(world, "assign", str(number), "ravi", "--local").code == 0
    assert hero(world, "sync").code != 0  # the edit waits for a parent that is not there
    entries = json.loads(hero(world, "outbox", "--json").out)
    posts = [e for e in entries if e["op"] == "mirror_post" and e["item"] == number]
    assert len(posts) == 1
    assert hero(world, "outbox", "drop", str(posts[0]["id"]), "--yes").code == 0
    world.slack.set_member(MIRROR, True)
    _sync(world)
    assert len(world.parents()) == 3
    assert "Assigned to Ravi" in world.parent_for(number)["text"]
    assert [
        e for e in json.loads(hero(world, "outbox", "--json").out) if e["state"] != "uncertain"
    ] == []


@pytest.mark.parametrize("customize", [True, False])
def test_relay_names_post_the_slack_answer_under_the_teammates_name(
    tmp_path: Path, customize: bool
) -> None:
    with mirror_world(tmp_path / "world", relay_names=True) as world:
        world.slack.customize = customize  # the app has chat:write.customize, or not
        _sync(world)
        items = _items(world)
        for number in items.values():
            world.teammate_says(world.parent_for(number)["ts"], "!reply Fixed in 1.2.")
        _sync(world)
        _sync(world)
        asked = [r.params for r in world.slack.requests if r.method == "chat.postMessage"]
        to_customer = [p for p in asked if p.get("channel") == SUPPORT]
        assert [p.get("username") for p in to_customer] == ["Ravi"]
        # Only the customer's answer is signed: the mirror's own messages are hero's.
        assert all("username" not in p for p in asked if p.get("channel") != SUPPORT)
        replies = world.support_replies()
        assert [r["text"] for r in replies] == ["Fixed in 1.2."]
        assert replies[0].get("username") == ("Ravi" if customize else None)
        assert len([c for c in world.comments() if "Fixed in 1.2." in c]) == 1
        assert not any("Ravi" in c for c in world.comments())  # no line added on GitHub
        shown = hero(world, "show", str(items["slack"]), "--json")
        assert "Ravi" in shown.out


def test_by_default_the_slack_answer_goes_out_under_the_apps_name(world: MirrorWorld) -> None:
    world.slack.customize = True
    _sync(world)
    number = _items(world)["slack"]
    world.teammate_says(world.parent_for(number)["ts"], "!reply Fixed in 1.2.")
    _sync(world)
    assert [r.get("username") for r in world.support_replies()] == [None]
    assert not any("username" in r.params for r in world.slack.requests)


def test_a_question_and_two_follow_ups_in_one_sync_show_in_order_and_once(
    world: MirrorWorld,
) -> None:
    # The first sync brings the question and two follow-ups at once: the parent quotes
    # the question, and both follow-ups go into its thread, in order.
    asked = datetime.fromisoformat(str(world.github.issue(REPO, 1)["created_at"]))
    for minutes, body in ((1, "Also on 1.1."), (2, "Log attached.")):
        later = asked + timedelta(minutes=minutes)
        world.github.add_comment(REPO, 1, body, user="carol", created_at=later)
    assert "2 follow-ups" in str(_sync(world)["mirror"]["summary"])
    number = _items(world)["github"]
    parent = world.parent_for(number)
    assert "> Export to CSV fails." in parent["text"]
    assert [m["text"] for m in world.thread(parent["ts"])] == [
        "*carol* wrote:\nAlso on 1.1.",
        "*carol* wrote:\nLog attached.",
    ]
    world.slack.clear_requests()
    _sync(world)  # nothing new: nothing posted, nothing edited
    assert world.slack.calls("chat.postMessage") == 0
    assert world.slack.calls("chat.update") == 0
    assert len(world.thread(parent["ts"])) == 2
    assert len(world.parents()) == 3

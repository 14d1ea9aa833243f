"""The Slack channel against the Slack Web API simulator, over real HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from herocli.channels.slack import SlackChannel
from herocli.errors import (
    ChannelError,
    NotFoundError,
    RateLimitedError,
)
from herocli.exchange import CloseReason, Conversation, OutgoingReply, SilentProgress, Thread
from herocli.models import RemoteState, TeamMember
from herocli.simulators.slack import SlackSimulator
from tests.clock import FakeClock
from tests.contract import ChannelContract
from tests.slack_fixtures import (  # noqa: F401
    CUSTOMER,
    SUPPORT,
    SlackBackend,
    backend_fixture,
    clock_fixture,
    collect,
    sim_fixture,
)


class TestSlackContract(ChannelContract):
    """The ``backend`` fixture comes from ``tests.slack_fixtures``."""


def sync_all(
    channel: SlackChannel, cursor: dict[str, Any] | None = None
) -> tuple[list[Conversation], dict[str, Any]]:
    """The conversations a fetch yielded, the last version of each, and the cursor after it.

    A thread with replies comes twice on its first sync: filed from history at
    once (provisional), then again when its replies are read.
    """
    pages = collect(channel, cursor)
    latest: dict[str, Conversation] = {}
    for conv in (c for p in pages for c in p.conversations):
        latest[conv.external_id] = conv
    return list(latest.values()), pages[-1].cursor


def ids(conversations: list[Conversation]) -> list[str]:
    return [c.external_id for c in conversations]


class Progress:
    def __init__(self) -> None:
        self.waits: list[tuple[float, str]] = []

    def update(
        self, description: str, *, completed: int | None = None, total: int | None = None
    ) -> None:
        pass

    def waiting(self, seconds: float, reason: str) -> None:
        self.waits.append((seconds, reason))


def thread_of(conv: Conversation) -> Thread:
    return Thread(
        item_id=1,
        external_id=conv.external_id,
        title=conv.title,
        url=conv.url,
        messages=conv.messages,
    )


# -- intake ---------------------------------------------------------------------


def test_all_intake_files_customer_messages_and_skips_team_bots_and_joins(
    backend: SlackBackend, sim: SlackSimulator
) -> None:
    asked = backend.say(CUSTOMER, "How do I reset my password?")
    backend.say("U0HANA", "Reminder: release on Friday")
    sim.post(SUPPORT, "U0DANA", "<@U0DANA> has joined the channel", subtype="channel_join")
    sim.post(SUPPORT, "", "Deploy finished", subtype="bot_message", bot_id="B0CI")
    conversations, _ = sync_all(backend.make_channel())
    assert ids(conversations) == [f"{SUPPORT}:{asked}"]
    [message] = conversations[0].messages
    assert message.author_id == CUSTOMER
    assert message.author_name == "Chris Customer"
    assert message.url == f"https://test-ws.slack.com/archives/{SUPPORT}/p{asked.replace('.', '')}"
    assert conversations[0].title == "How do I reset my password?"


def test_reaction_intake_files_only_marked_messages_even_when_marked_later(
    backend: SlackBackend, sim: SlackSimulator
) -> None:
    marked = backend.say(CUSTOMER, "The importer crashes on big files")
    later = backend.say("U0DANA", "Does the API support webhooks?")
    backend.say(CUSTOMER, "Thanks all!")
    sim.react(SUPPORT, marked, "ticket", "U0HANA")
    channel = backend.make_channel(intake="reaction")
    conversations, cursor = sync_all(channel)
    assert ids(conversations) == [f"{SUPPORT}:{marked}"]
    sim.react(SUPPORT, later, "ticket", "U0RAVI")
    conversations, cursor = sync_all(channel, cursor)
    assert ids(conversations) == [f"{SUPPORT}:{later}"]
    conversations, _ = sync_all(channel, cursor)
    assert conversations == []


# -- threads, edits, deletes ------------------------------------------------------


def test_only_changed_threads_are_read_again(backend: SlackBackend, sim: SlackSimulator) -> None:
    first = backend.say(CUSTOMER, "Question one")
    second = backend.say("U0DANA", "Question two")
    backend.say("U0HANA", "Answer one", thread_ts=first)
    channel = backend.make_channel()
    conversations, cursor = sync_all(channel)
    assert len(conversations) == 2
    assert [m.author_id for m in conversations[1].messages] == [CUSTOMER, "U0HANA"]
    assert conversations[1].messages[1].team_hint is True
    sim.clear_requests()
    conversations, cursor = sync_all(channel, cursor)
    assert conversations == []
    assert sim.calls("conversations.replies") == 0
    assert sim.calls("users.info") == 0
    reply = backend.say("U0DANA", "More detail on two", thread_ts=second)
    sim.clear_requests()
    conversations, cursor = sync_all(channel, cursor)
    assert ids(conversations) == [f"{SUPPORT}:{second}"]
    assert [m.external_id for m in conversations[0].messages][-1] == f"{SUPPORT}:{reply}"
    replies = [r for r in sim.requests if r.method == "conversations.replies"]
    assert [r.params["ts"] for r in replies] == [second]
    assert sim.calls("auth.test") == 0


def test_edits_update_the_item(backend: SlackBackend, sim: SlackSimulator) -> None:
    asked = backend.say(CUSTOMER, "Sync fails on 2.3")
    channel = backend.make_channel()
    _, cursor = sync_all(channel)
    backend.clock.advance(minutes=5)
    sim.edit(SUPPORT, asked, "Sync fails on 2.4, not 2.3")
    conversations, cursor = sync_all(channel, cursor)
    [message] = conversations[0].messages
    assert message.body == "Sync fails on 2.4, not 2.3"
    assert message.edited_at is not None
    assert sync_all(channel, cursor)[0] == []


def test_deletes_update_the_item(backend: SlackBackend, sim: SlackSimulator) -> None:
    lonely = backend.say(CUSTOMER, "Never mind, found it")
    threaded = backend.say("U0DANA", "Login loop on Safari")
    reply = backend.say("U0DANA", "Here is a HAR file", thread_ts=threaded)
    backend.say("U0HANA", "Thanks, looking", thread_ts=threaded)
    channel = backend.make_channel()
    _, cursor = sync_all(channel)
    sim.delete(SUPPORT, lonely)
    sim.delete(SUPPORT, reply)
    conversations, cursor = sync_all(channel, cursor)
    by_id = {c.external_id: c for c in conversations}
    gone = by_id[f"{SUPPORT}:{lonely}"].messages
    assert [(m.external_id, m.deleted) for m in gone] == [(f"{SUPPORT}:{lonely}", True)]
    deleted = [m.external_id for m in by_id[f"{SUPPORT}:{threaded}"].messages if m.deleted]
    assert deleted == [f"{SUPPORT}:{reply}"]
    sim.delete(SUPPORT, threaded)  # a parent with replies leaves a tombstone
    conversations, cursor = sync_all(channel, cursor)
    [parent] = [m for m in conversations[0].messages if m.external_id == f"{SUPPORT}:{threaded}"]
    assert parent.deleted
    assert sync_all(channel, cursor)[0] == []


def test_history_is_read_across_many_pages_and_resumes_mid_scan(
    backend: SlackBackend, sim: SlackSimulator
) -> None:
    posted = [
        sim.post(SUPPORT, CUSTOMER, f"message {n}", ts=f"{1795000000 + n}.000100")
        for n in range(2500)
    ]
    channel = backend.make_channel()
    pages = collect(channel)
    # The largest page Slack accepts: ceil(2500 / 999) requests.
    assert sim.calls("conversations.history") == 3
    assert all(
        r.params["limit"] == "999" for r in sim.requests if r.method == "conversations.history"
    )
    seen = [c.external_id for p in pages for c in p.conversations]
    assert sorted(seen) == sorted(f"{SUPPORT}:{ts}" for ts in posted)
    # An interrupted sync resumes below the last stored page and repeats nothing.
    interrupted = backend.make_channel()
    first_two = []
    for page in interrupted.fetch({}, SilentProgress()):
        first_two.append(page)
        if len(first_two) == 2:
            break
    rest = collect(backend.make_channel(), first_two[-1].cursor)
    resumed = [c.external_id for p in [*first_two, *rest] for c in p.conversations]
    assert sorted(resumed) == sorted(seen)


# -- rate limits and errors -----------------------------------------------------------


def test_rate_limit_waits_on_the_clock_then_continues(
    backend: SlackBackend, sim: SlackSimulator, clock: FakeClock
) -> None:
    asked = backend.say(CUSTOMER, "Hello?")
    backend.say("U0HANA", "Hi!", thread_ts=asked)
    sim.inject_rate_limit("conversations.history", 30, times=2)
    sim.inject_rate_limit("conversations.replies", 7)
    progress = Progress()
    pages = list(backend.make_channel().fetch({}, progress))
    assert {c.external_id for p in pages for c in p.conversations} == {f"{SUPPORT}:{asked}"}
    assert clock.sleeps == [30, 30, 7]
    assert [w[0] for w in progress.waits] == [30, 30, 7]
    assert "conversations.history" in progress.waits[0][1]


def test_a_wait_longer_than_allowed_is_an_error(backend: SlackBackend, sim: SlackSimulator) -> None:
    backend.say(CUSTOMER, "Hello?")
    sim.inject_rate_limit("conversations.history", 900)
    with pytest.raises(RateLimitedError) as caught:
        collect(backend.make_channel(max_rate_limit_wait=60))
    assert caught.value.retry_after == 900


def test_a_channel_without_the_app_says_to_invite_it(backend: SlackBackend) -> None:
    with pytest.raises(ChannelError) as caught:
        collect(backend.make_channel(channels=("C0OUTSIDE",)))
    assert "not a member" in caught.value.message
    assert "/invite" in (caught.value.hint or "")


def test_channel_names_are_resolved_once(backend: SlackBackend, sim: SlackSimulator) -> None:
    asked = backend.say(CUSTOMER, "Hi", channel="C0GENERAL")
    channel = backend.make_channel(channels=("#general", "support"))
    conversations, cursor = sync_all(channel)
    assert ids(conversations) == [f"C0GENERAL:{asked}"]
    sync_all(channel, cursor)
    assert sim.calls("conversations.list") == 1
    with pytest.raises(NotFoundError, match="#nowhere"):
        collect(backend.make_channel(channels=("#nowhere",)))


# -- text both ways -----------------------------------------------------------


def test_incoming_text_is_unescaped_and_rendered(
    backend: SlackBackend, sim: SlackSimulator
) -> None:
    sim.post(
        SUPPORT,
        CUSTOMER,
        "a &lt;b&gt; &amp;amp; <@U0HANA> see <#C0GENERAL|general> and "
        "<https://docs.example.com/x?a=1&amp;b=2|the docs> or <https://example.com> <!here>",
    )
    [conversation], _ = sync_all(backend.make_channel())
    assert conversation.messages[0].body == (
        "a <b> &amp; @Hana see #general and the docs (https://docs.example.com/x?a=1&b=2) "
        "or https://example.com @here"
    )


def test_replies_are_escaped_so_channel_pings_never_fire(
    backend: SlackBackend, sim: SlackSimulator
) -> None:
    backend.say(CUSTOMER, "Help")
    channel = backend.make_channel()
    [conversation], _ = sync_all(channel)
    member = TeamMember("Hana", slack="U0HANA")
    mention = channel.mention(member)
    assert mention == "<@U0HANA>"
    body = f"{mention} <!channel> please look: a < b & c > d <https://evil.example|click>"
    sent = channel.send_reply(thread_of(conversation), OutgoingReply("k1", body))
    ts = sent.external_id.split(":")[1]
    stored = sim.message(SUPPORT, ts)
    # A mention typed in a reply is shown, not sent: only --ping's (in mentions) notifies.
    assert stored["text"] == (
        "&lt;@U0HANA&gt; &lt;!channel&gt; please look: a &lt; b &amp; c &gt; d "
        "&lt;https://evil.example|click&gt;"
    )
    assert stored["blocks"] == [{"type": "markdown", "text": stored["text"]}]
    pinged = channel.send_reply(
        thread_of(conversation), OutgoingReply("k2", f"{body} again", mentions=(str(mention),))
    )
    text = sim.message(SUPPORT, pinged.external_id.split(":")[1])["text"]
    assert text.startswith("<@U0HANA> &lt;!channel&gt;")
    assert channel.mention(TeamMember("Ravi")) is None


# -- writing ---------------------------------------------------------------------


def test_reply_goes_to_the_parent_thread_and_fetch_reports_the_same_id(
    backend: SlackBackend, sim: SlackSimulator
) -> None:
    asked = backend.say(CUSTOMER, "Help")
    backend.say("U0HANA", "On it", thread_ts=asked)
    channel = backend.make_channel()
    [conversation], cursor = sync_all(channel)
    sent = channel.send_reply(
        thread_of(conversation), OutgoingReply("key-1", "Fixed in 2.4.1", broadcast=True)
    )
    post = [r for r in sim.requests if r.method == "chat.postMessage"][-1]
    assert post.params["thread_ts"] == asked
    assert post.params["reply_broadcast"] is True
    conversations, cursor = sync_all(channel, cursor)
    assert ids(conversations) == [f"{SUPPORT}:{asked}"]  # the broadcast copy is not a new item
    last = conversations[0].messages[-1]
    assert last.external_id == sent.external_id
    assert last.team_hint is True
    assert last.meta["key"] == "key-1"


def test_find_sent_after_a_crash_finds_the_reply_by_key_never_by_text(
    backend: SlackBackend, sim: SlackSimulator
) -> None:
    asked = backend.say(CUSTOMER, "Help")
    channel = backend.make_channel()
    [conversation], _ = sync_all(channel)
    thread = thread_of(conversation)
    assert channel.find_sent(thread, OutgoingReply("k", "Hello & welcome")) is None
    sent = channel.send_reply(thread, OutgoingReply("k", "Hello & welcome"))
    assert channel.find_sent(thread, OutgoingReply("k", "Hello & welcome")) == sent
    # The same words by the bot, without this entry's key, are another reply: not this one.
    sim.post(SUPPORT, "U0HEROBOT", "Second &amp; last", thread_ts=asked)
    assert channel.find_sent(thread, OutgoingReply("k2", "Second & last")) is None
    assert channel.find_sent(thread, OutgoingReply("k", "Hello & welcome")) == sent


def test_close_reacts_on_the_parent_and_reopen_removes_it(
    backend: SlackBackend, sim: SlackSimulator
) -> None:
    asked = backend.say(CUSTOMER, "Help")
    channel = backend.make_channel()
    [conversation], cursor = sync_all(channel)
    channel.close(thread_of(conversation), CloseReason.COMPLETED)
    channel.close(thread_of(conversation), CloseReason.COMPLETED)  # already_reacted is fine
    reactions = sim.message(SUPPORT, asked)["reactions"]
    assert reactions == [{"name": "white_check_mark", "users": ["U0HEROBOT"], "count": 1}]
    conversations, cursor = sync_all(channel, cursor)
    assert conversations[0].remote_state is RemoteState.CLOSED
    channel.reopen(thread_of(conversation))
    channel.reopen(thread_of(conversation))  # no_reaction is fine
    assert "reactions" not in sim.message(SUPPORT, asked)
    conversations, cursor = sync_all(channel, cursor)
    assert conversations[0].remote_state is RemoteState.OPEN


def test_post_and_find_posted(backend: SlackBackend, sim: SlackSimulator) -> None:
    channel = backend.make_channel()
    assert channel.find_posted("#general", "handoff-1") is None
    sent = channel.post("#general", "Handoff: 3 open <items>", "handoff-1")
    assert sent.external_id.startswith("C0GENERAL:")
    assert channel.find_posted("#general", "handoff-1") == sent
    assert channel.find_posted("C0GENERAL", "handoff-2") is None
    ts = sent.external_id.split(":")[1]
    assert sim.message("C0GENERAL", ts)["text"] == "Handoff: 3 open &lt;items&gt;"
    with pytest.raises(NotFoundError):
        channel.post("#nowhere", "x", "k")


def test_user_names_are_looked_up_once(backend: SlackBackend, sim: SlackSimulator) -> None:
    channel = backend.make_channel()
    first = backend.say(CUSTOMER, "one")
    backend.say(CUSTOMER, "again", thread_ts=first)
    _, cursor = sync_all(channel)
    backend.say(CUSTOMER, "two")
    sync_all(channel, cursor)
    assert [r.params["user"] for r in sim.requests if r.method == "users.info"] == [CUSTOMER]


def test_who_the_app_is_is_asked_once_per_process(
    backend: SlackBackend, sim: SlackSimulator
) -> None:
    """``auth.test`` (the bot's id, the workspace's URL) once per channel, that is per process:
    the sync, the mirror's read and every write share its answer."""
    backend.say(CUSTOMER, "Help")
    channel = backend.make_channel()
    [conversation], cursor = sync_all(channel)
    list(channel.fetch_mirror("#general", set(), {}, SilentProgress()))
    channel.send_reply(thread_of(conversation), OutgoingReply("k1", "On it"))
    channel.post("#general", "Handoff", "handoff-1")
    assert sim.calls("auth.test") == 1
    # The next process: the cursor knows who the app is, so its sync asks nothing,
    # and its first write asks once.
    again = backend.make_channel()
    sync_all(again, cursor)
    again.send_reply(thread_of(conversation), OutgoingReply("k2", "Fixed"))
    again.send_reply(thread_of(conversation), OutgoingReply("k3", "Really fixed"))
    assert sim.calls("auth.test") == 2

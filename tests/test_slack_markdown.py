"""Replies look like what the hero wrote: Markdown blocks, split in order, and no stray pings."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from herocli.channels.slack.mrkdwn import NAME_LIMIT, escape, markdown_parts, shown_name, unescape
from herocli.config import TeamSettings
from herocli.exchange import OutgoingReply, SilentProgress, Thread
from herocli.models import TeamMember
from herocli.services import outbox, triage
from herocli.services.sync import sync_channel
from herocli.simulators.slack import SlackSimulator
from herocli.store import Store, queue
from herocli.store import outbox as rows
from herocli.store.queue import ItemFilter
from tests.slack_fixtures import (  # noqa: F401
    CUSTOMER,
    SUPPORT,
    SlackBackend,
    backend_fixture,
    clock_fixture,
    sim_fixture,
)

# Anything Slack would turn into a notification: <!channel>, <!here>, <!everyone>,
# <!subteam^…>, <@U…>, <#C…> and links.
LIVE = re.compile(r"<[!@#a-z]")
MARKDOWN = "## Fixed\n\n**Upgrade** to `2.4.1`:\n\n- stop the app\n- run `pip install -U x`\n\n> quoted <tag> & more\n\n[notes](https://example.com/notes?a=1&b=2)"


def only_thread(backend: SlackBackend) -> Thread:
    asked = backend.say(CUSTOMER, "Help")
    return Thread(
        item_id=1,
        external_id=f"{SUPPORT}:{asked}",
        title="Help",
        url=None,
        messages=(),
    )


def hero_messages(sim: SlackSimulator, thread: Thread) -> list[dict[str, object]]:
    ts = thread.external_id.split(":")[1]
    return [m for m in sim.thread(SUPPORT, ts)[1:] if m.get("bot_id")]


def test_a_markdown_reply_is_a_markdown_block_with_the_same_text(
    backend: SlackBackend, sim: SlackSimulator
) -> None:
    channel = backend.make_channel()
    thread = only_thread(backend)
    channel.send_reply(thread, OutgoingReply("k", MARKDOWN))
    [message] = hero_messages(sim, thread)
    [block] = message["blocks"]  # type: ignore[misc]
    assert block["type"] == "markdown"
    # Entities are how Markdown writes <, > and & safely: it shows the hero's own text.
    assert unescape(block["text"]) == MARKDOWN
    assert message["text"] == block["text"]  # the escaped plain-text fallback
    # Read back, the queue holds exactly what the hero wrote.
    pages = list(channel.fetch({}, SilentProgress()))
    *_, conv = [c for p in pages for c in p.conversations]
    assert conv.messages[-1].body == MARKDOWN


def test_a_long_reply_goes_out_in_order_as_parts_of_one_outbox_entry(
    backend: SlackBackend, sim: SlackSimulator, tmp_path: Path
) -> None:
    backend.say(CUSTOMER, "Please explain everything")
    store = Store.open(tmp_path / "q.db")
    channel = backend.make_channel()
    team = TeamSettings(members=(TeamMember("Hana", slack="U0HANA"),))
    sync_channel(store, channel, team, backend.clock, SilentProgress())
    [item] = queue.list_items(store.conn, ItemFilter(states=(), waiting=None), backend.clock.now())
    paragraphs = [f"Paragraph {n}: " + "<word> & " * 500 for n in range(9)]
    body = "\n\n".join(paragraphs)
    actor = triage.Actor("Hana", lambda _name: channel, backend.clock)
    sim.inject_drop("chat.postMessage", after=1)  # the second part's answer is lost
    first = triage.reply(store, actor, item.id, body)
    assert not first.ok
    assert len(rows.unsent(store.conn)) == 1
    [retried] = outbox.deliver_pending(store, lambda _n: channel, backend.clock)
    assert retried.ok
    assert rows.unsent(store.conn) == []
    posted = hero_messages(sim, Thread(item.id, item.external_id, "", None, ()))
    texts = [str(m["text"]) for m in posted]
    assert all(len(t) <= 12000 for t in texts)
    assert len(texts) >= 3
    assert "\n\n".join(unescape(t) for t in texts) == body  # every part, once, in order
    assert [m["ts"] for m in posted] == sorted(m["ts"] for m in posted)  # type: ignore[type-var]
    parts = [m["metadata"]["event_payload"]["part"] for m in posted]  # type: ignore[index]
    assert parts == list(range(len(texts)))


def test_markdown_is_split_only_at_paragraphs_outside_code() -> None:
    code = "```\nline one\n\nline two\n```"
    body = f"intro\n\n{code}\n\n" + "x" * 20
    parts = markdown_parts(body, limit=len(code))
    assert parts == ["intro", code, "x" * 20]


# Typed text: the characters Slack cares about, often, among anything else.
typed = st.lists(
    st.one_of(
        st.sampled_from(list("<>&!@#|^:*_`~[]()\n ")),
        st.sampled_from(["<!channel>", "<!here>", "<!everyone>", "@here", "<@U0HANA>", "&lt;"]),
        st.characters(codec="utf-8"),
    ),
    max_size=40,
).map("".join)


@settings(max_examples=300, deadline=None, print_blob=True)
@given(text=typed)
def test_no_typed_text_pings_anyone_and_the_text_survives(text: str) -> None:
    out = escape(text)
    assert LIVE.search(out) is None
    assert unescape(out) == text
    parts = markdown_parts(text, limit=25)
    assert all(len(escape(p)) <= 25 for p in parts) or parts == [text]
    # In order, nothing lost but the line breaks where two parts meet.
    assert re.sub(r"\s", "", "".join(parts)) == re.sub(r"\s", "", text)


@settings(max_examples=300, deadline=None, print_blob=True)
@given(text=typed)
def test_only_the_mention_hero_adds_is_live(text: str) -> None:
    out = escape(f"<@U0RAVI>, could you look? {text}", keep=("<@U0RAVI>",))
    assert [m.group(0) for m in re.finditer(r"<[!@#][^>]*>", out)] == ["<@U0RAVI>"]


@settings(
    max_examples=40,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(text=typed.filter(lambda t: t.strip()))
def test_no_reply_the_hero_can_type_reaches_slack_as_a_ping(
    backend: SlackBackend, sim: SlackSimulator, text: str
) -> None:
    channel = backend.make_channel()
    thread = only_thread(backend)
    channel.send_reply(thread, OutgoingReply("k", text))
    [message] = hero_messages(sim, thread)
    assert LIVE.search(str(message["text"])) is None
    for block in message.get("blocks") or ():  # type: ignore[attr-defined]
        assert LIVE.search(block["text"]) is None
    assert "reply_broadcast" not in [r.params for r in sim.requests][-1]
    channel.shutdown()


@given(st.text())
def test_a_name_to_post_under_is_one_printable_line_within_the_limit(name: str) -> None:
    shown = shown_name(name)
    assert shown.isprintable()
    assert 0 < len(shown) <= NAME_LIMIT
    assert shown == " ".join(shown.split())


def test_a_name_keeps_its_words() -> None:
    assert shown_name("Ravi\n  K.\x1b[31m") == "Ravi K. [31m"

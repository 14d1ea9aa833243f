"""The queue: idempotent ingest, whose turn it is, snoozes, and state that follows the source.

Opening a queue and its migrations are tested in test_store_migrations.py.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from herocli.config import TeamSettings
from herocli.events import EventKind
from herocli.exchange import Conversation
from herocli.models import ItemState, Message, RemoteState, TeamMember, Waiting
from herocli.services.inbox import wake_due
from herocli.services.team import TeamDirectory
from herocli.store import Store, item_changes, log, queue
from herocli.store import ingest as store_ingest
from herocli.store.queue import ItemFilter
from tests.clock import FakeClock

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

TEAM = TeamSettings(
    members=(
        TeamMember("Hana", github="Hana-GH", emails=("hana@acme.dev",), slack="U0HANA"),
        TeamMember("Ravi", github="ravi", emails=("ravi@personal.org",), slack="U0RAVI"),
    ),
    email_domains=("acme.dev",),
)
DIRECTORY = TeamDirectory(TEAM)


def msg(n: int, author: str, minutes: int, body: str = "", **kw: object) -> Message:
    return Message(
        external_id=f"m{n}",
        author_id=author,
        author_name=author,
        sent_at=T0 + timedelta(minutes=minutes),
        body=body or f"message {n}",
        **kw,  # type: ignore[arg-type]
    )


def conv(*messages: Message, **fields: Any) -> Conversation:
    """Login broken, acme/widget#1 on github, unless ``fields`` say otherwise."""
    fields = {
        "channel": "github",
        "external_id": "acme/widget#1",
        "title": "Login broken",
        **fields,
    }
    return Conversation(messages=messages, **fields)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store.open(tmp_path / "queue.db")
    yield s  # type: ignore[misc]
    s.close()


def ingest(store: Store, c: Conversation, now: datetime | None = None) -> store_ingest.IngestResult:
    with store.transaction() as db:
        return store_ingest.ingest(
            db, c, lambda m: DIRECTORY.is_team(c.channel, m), now or T0 + timedelta(days=1)
        )


def events(store: Store, item_id: int) -> list[EventKind]:
    return [e.kind for e in log.item_events(store.conn, item_id)]


def get(store: Store, item_id: int, now: datetime | None = None) -> queue.Item:
    item = queue.get_item(store.conn, item_id, now or T0 + timedelta(days=1))
    assert item is not None
    return item


# --- idempotent ingest ------------------------------------------------------------------------


def test_the_same_conversation_twice_is_one_item_and_no_new_events(store: Store) -> None:
    c = conv(msg(1, "ann", 0), msg(2, "ann", 3))
    first = ingest(store, c)
    assert first.created
    assert first.new_messages == 2
    counts = [
        store.conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
        for t in ("items", "messages", "events")
    ]
    again = ingest(store, c)
    assert again.item_id == first.item_id
    assert not again.created
    assert again.new_messages == 0
    assert counts == [
        store.conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
        for t in ("items", "messages", "events")
    ]
    assert counts == [1, 2, 2]


def test_a_fetch_with_only_the_new_message_merges(store: Store) -> None:
    item_id = ingest(store, conv(msg(1, "ann", 0))).item_id
    assert item_id is not None
    result = ingest(store, conv(msg(2, "ann", 5), title="Login broken (renamed)"))
    assert result.item_id == item_id
    assert result.new_messages == 1
    item = get(store, item_id)
    assert item.message_count == 2
    assert item.title == "Login broken (renamed)"


def test_an_edited_message_is_updated_not_duplicated(store: Store) -> None:
    item_id = ingest(store, conv(msg(1, "ann", 0, "first text"))).item_id
    assert item_id is not None
    ingest(store, conv(msg(1, "ann", 0, "edited text", edited_at=T0 + timedelta(minutes=2))))
    [stored] = queue.messages(store.conn, item_id)
    assert stored.message.body == "edited text"
    assert stored.message.edited_at == T0 + timedelta(minutes=2)
    assert events(store, item_id) == [EventKind.RECEIVED]


def test_a_reply_by_reference_joins_its_item_without_renaming_it(store: Store) -> None:
    first = ingest(store, conv(msg(1, "ann@cust.com", 0), channel="email", external_id="<a@x>"))
    joined = ingest(
        store,
        conv(
            msg(2, "ann@cust.com", 9),
            channel="email",
            external_id="<b@x>",
            title="Re: something else",
            refers_to=("m1",),
        ),
    )
    assert joined.item_id == first.item_id
    assert first.item_id is not None
    assert get(store, first.item_id).title == "Login broken"
    assert store.conn.execute("SELECT COUNT(*) FROM items").fetchone()[0] == 1


def test_a_conversation_closed_before_we_ever_saw_it_is_not_kept(store: Store) -> None:
    result = ingest(store, conv(msg(1, "ann", 0), remote_state=RemoteState.CLOSED))
    assert result.item_id is None
    assert store.conn.execute("SELECT COUNT(*) FROM items").fetchone()[0] == 0


def test_untrusted_text_is_stored_verbatim(store: Store) -> None:
    title = "[bold red]x[/] \x1b[2J <script>"
    body = "Grüße\x1b[31m red \x00 nul [link=file:///etc/passwd]y[/link]"
    item_id = ingest(store, conv(msg(1, "ann", 0, body), title=title)).item_id
    assert item_id is not None
    assert get(store, item_id).title == title
    assert queue.messages(store.conn, item_id)[0].message.body == body


# --- whose turn it is -------------------------------------------------------------------------


def test_customer_last_means_waiting_on_us_since_the_oldest_unanswered(store: Store) -> None:
    item_id = ingest(
        store,
        conv(
            msg(1, "ann", 0),
            msg(2, "Hana-GH", 10),
            msg(3, "ann", 20),
            msg(4, "bob", 25),
            msg(5, "ann", 30),
        ),
    ).item_id
    assert item_id is not None
    item = get(store, item_id)
    assert item.waiting is Waiting.US
    assert item.last_from_team is False
    assert item.waiting_since == T0 + timedelta(minutes=20)
    assert item.last_message_at == T0 + timedelta(minutes=30)
    assert item.first_message_at == T0
    assert item.last_author == "ann"
    assert item.message_count == 5


def test_team_last_means_waiting_on_them(store: Store) -> None:
    item_id = ingest(store, conv(msg(1, "ann", 0), msg(2, "ravi", 5))).item_id
    assert item_id is not None
    item = get(store, item_id)
    assert item.waiting is Waiting.THEM
    assert item.waiting_since is None
    assert item.last_author == "ravi"


def test_messages_arriving_out_of_order_are_ordered_by_time(store: Store) -> None:
    item_id = ingest(store, conv(msg(2, "hana-gh", 10))).item_id
    assert item_id is not None
    ingest(store, conv(msg(1, "ann", 0)))
    item = get(store, item_id)
    assert item.waiting is Waiting.THEM  # the team's answer is still the latest word
    assert [m.message.external_id for m in queue.messages(store.conn, item_id)] == ["m1", "m2"]


def test_a_deleted_last_message_does_not_count(store: Store) -> None:
    item_id = ingest(store, conv(msg(1, "ann", 0), msg(2, "hana-gh", 5))).item_id
    assert item_id is not None
    ingest(store, conv(msg(2, "hana-gh", 5, deleted=True)))
    item = get(store, item_id)
    assert item.waiting is Waiting.US
    assert item.message_count == 1


@pytest.mark.parametrize(
    ("channel", "author", "hint", "team"),
    [
        ("github", "hana-gh", None, True),  # login, any case
        ("github", "HANA-GH", None, True),
        ("github", "ann", None, False),
        ("github", "hana@acme.dev", None, False),  # an email is not a GitHub login
        ("email", "Hana@Acme.dev", None, True),  # listed address
        ("email", "ravi@personal.org", None, True),  # a member's address off the domain
        ("email", "someone@acme.dev", None, True),  # team domain
        ("email", "someone@ACME.DEV", None, True),
        ("email", "someone@notacme.dev", None, False),
        ("email", "acme.dev@evil.com", None, False),
        ("slack", "U0HANA", None, True),
        ("slack", "u0hana", None, False),  # Slack ids are exact
        ("slack", "U0CUST", None, False),
        ("slack", "U0CUST", True, True),  # the channel knows better (a message we sent)
        ("github", "ann", False, False),
    ],
)
def test_team_membership(
    store: Store, channel: str, author: str, hint: bool | None, team: bool
) -> None:
    customer = {"github": "ann", "email": "ann@cust.com", "slack": "U0ANN"}[channel]
    item_id = ingest(
        store,
        conv(
            msg(1, customer, 0),
            msg(2, author, 5, team_hint=hint),
            channel=channel,
            external_id="x1",
        ),
    ).item_id
    assert item_id is not None
    item = get(store, item_id)
    assert item.waiting is (Waiting.THEM if team else Waiting.US)
    assert queue.messages(store.conn, item_id)[1].from_team is team
    kinds = events(store, item_id)
    assert kinds == [EventKind.RECEIVED, EventKind.REPLIED if team else EventKind.RECEIVED]


def test_a_team_message_stays_the_teams_even_if_the_config_changes(store: Store) -> None:
    c = conv(msg(1, "ann", 0), msg(2, "hero-bot", 5, team_hint=True))
    item_id = ingest(store, c).item_id
    assert item_id is not None
    ingest(store, conv(msg(1, "ann", 0), msg(2, "hero-bot", 5)))  # refetched without the hint
    assert get(store, item_id).waiting is Waiting.THEM


# --- snoozes ----------------------------------------------------------------------------------


def _snoozed(store: Store, until: datetime) -> int:
    item_id = ingest(store, conv(msg(1, "ann", 0))).item_id
    assert item_id is not None
    with store.transaction() as db:
        item_changes.set_state(
            db, item_id, ItemState.SNOOZED, T0, actor="Hana", snoozed_until=until
        )
    return item_id


def test_a_snoozed_item_is_hidden_until_its_time(store: Store) -> None:
    until = T0 + timedelta(hours=2)
    item_id = _snoozed(store, until)
    before = until - timedelta(seconds=1)
    assert get(store, item_id, before).state is ItemState.SNOOZED
    assert queue.list_items(store.conn, ItemFilter(), before) == []
    snoozed = queue.list_items(store.conn, ItemFilter(states=(ItemState.SNOOZED,)), before)
    assert [i.id for i in snoozed] == [item_id]
    # Time passes: it reads as open even before anything writes to the queue.
    assert get(store, item_id, until).state is ItemState.OPEN
    assert [i.id for i in queue.list_items(store.conn, ItemFilter(), until)] == [item_id]
    assert queue.list_items(store.conn, ItemFilter(states=(ItemState.SNOOZED,)), until) == []


def test_wake_due_opens_and_logs_once(store: Store) -> None:
    until = T0 + timedelta(hours=2)
    item_id = _snoozed(store, until)
    clock = FakeClock(until - timedelta(minutes=1))
    assert wake_due(store, clock) == []
    clock.advance(minutes=1)
    assert wake_due(store, clock) == [item_id]
    assert wake_due(store, clock) == []
    row = store.conn.execute("SELECT state, snoozed_until FROM items").fetchone()
    assert (row[0], row[1]) == ("open", None)
    woke = [e for e in log.item_events(store.conn, item_id) if e.kind is EventKind.WOKE]
    assert len(woke) == 1
    assert woke[0].at == until
    assert woke[0].detail == {"why": "time"}


def test_a_new_customer_message_wakes_a_snooze_early(store: Store) -> None:
    item_id = _snoozed(store, T0 + timedelta(days=3))
    ingest(store, conv(msg(2, "ann", 60, "any news?")))
    item = get(store, item_id)
    assert item.state is ItemState.OPEN
    assert item.snoozed_until is None
    woke = [e for e in log.item_events(store.conn, item_id) if e.kind is EventKind.WOKE]
    assert [(e.at, e.detail) for e in woke] == [
        (T0 + timedelta(minutes=60), {"why": "new message"})
    ]


def test_a_team_message_does_not_wake_a_snooze(store: Store) -> None:
    item_id = _snoozed(store, T0 + timedelta(days=3))
    ingest(store, conv(msg(2, "ravi", 60)))
    assert get(store, item_id).state is ItemState.SNOOZED


# --- closed items and the source's state ------------------------------------------------------


def test_a_closed_item_reopens_on_a_new_customer_message_without_remote_state(
    store: Store,
) -> None:
    item_id = ingest(store, conv(msg(1, "ann@cust.com", 0), channel="email")).item_id
    assert item_id is not None
    with store.transaction() as db:
        item_changes.set_state(db, item_id, ItemState.CLOSED, T0, actor="Hana")
    assert get(store, item_id).closed_at == T0
    # The team writing again does not reopen it.
    ingest(store, conv(msg(2, "hana@acme.dev", 5), channel="email"))
    assert get(store, item_id).state is ItemState.CLOSED
    result = ingest(store, conv(msg(3, "ann@cust.com", 30, "still broken"), channel="email"))
    assert result.reopened
    item = get(store, item_id)
    assert item.state is ItemState.OPEN
    assert item.closed_at is None
    assert item.waiting is Waiting.US
    reopened = [e for e in log.item_events(store.conn, item_id) if e.kind is EventKind.REOPENED]
    assert [e.detail for e in reopened] == [{"why": "new message"}]


def test_closed_upstream_closes_and_reopened_upstream_reopens(store: Store) -> None:
    item_id = ingest(store, conv(msg(1, "ann", 0), remote_state=RemoteState.OPEN)).item_id
    assert item_id is not None
    closed = ingest(store, conv(remote_state=RemoteState.CLOSED))
    assert closed.closed
    item = get(store, item_id)
    assert (item.state, item.remote_state) == (ItemState.CLOSED, RemoteState.CLOSED)
    assert ingest(store, conv(remote_state=RemoteState.CLOSED)) == store_ingest.IngestResult(
        item_id
    )
    reopened = ingest(store, conv(remote_state=RemoteState.OPEN))
    assert reopened.reopened
    item = get(store, item_id)
    assert (item.state, item.remote_state) == (ItemState.OPEN, RemoteState.OPEN)
    assert events(store, item_id) == [EventKind.RECEIVED, EventKind.CLOSED, EventKind.REOPENED]


def test_an_item_closed_here_stays_closed_while_the_source_is_open(store: Store) -> None:
    item_id = ingest(store, conv(msg(1, "ann", 0), remote_state=RemoteState.OPEN)).item_id
    assert item_id is not None
    with store.transaction() as db:
        item_changes.set_state(db, item_id, ItemState.CLOSED, T0, actor="Hana", why="local")
    ingest(store, conv(remote_state=RemoteState.OPEN))
    assert get(store, item_id).state is ItemState.CLOSED


def test_labels_follow_the_source_when_it_has_them(store: Store) -> None:
    item_id = ingest(store, conv(msg(1, "ann", 0), labels=("bug", "p1"))).item_id
    assert item_id is not None
    assert get(store, item_id).labels == ("bug", "p1")
    ingest(store, conv(labels=None))  # a channel without labels leaves ours alone
    assert get(store, item_id).labels == ("bug", "p1")
    ingest(store, conv(labels=("bug",)))
    assert get(store, item_id).labels == ("bug",)


# --- listing ----------------------------------------------------------------------------------


def test_the_inbox_lists_the_longest_wait_first(store: Store) -> None:
    for n, minutes in ((1, 30), (2, 10), (3, 20)):
        ingest(store, conv(msg(n, "ann", minutes), external_id=f"t{n}", title=f"T{n}"))
    ingest(store, conv(msg(9, "ann", 0), msg(10, "ravi", 1), external_id="t4", title="answered"))
    items = queue.list_items(store.conn, ItemFilter(), T0 + timedelta(hours=1))
    assert [i.title for i in items] == ["T2", "T3", "T1"]
    them = queue.list_items(store.conn, ItemFilter(waiting=Waiting.THEM), T0)
    assert [i.title for i in them] == ["answered"]
    assert queue.count_items(store.conn, ItemFilter(states=(), waiting=None), T0) == 4
    limited = queue.list_items(store.conn, ItemFilter(limit=2), T0)
    assert [i.title for i in limited] == ["T2", "T3"]


def test_search_treats_wildcards_literally(store: Store) -> None:
    ingest(store, conv(msg(1, "ann", 0, "100% broken"), external_id="a", title="A"))
    ingest(store, conv(msg(2, "ann", 0, "1000 broken"), external_id="b", title="B_c"))
    ingest(store, conv(msg(3, "ann", 0, "fine"), external_id="c", title="Bxc"))
    find = lambda text: [  # noqa: E731
        i.title for i in queue.list_items(store.conn, ItemFilter(search=text), T0)
    ]
    assert find("0%") == ["A"]
    assert find("B_c") == ["B_c"]
    assert find("BROKEN") == ["A", "B_c"]

"""Grouping mail into items across syncs: late parents merge, the subject joins only on evidence.

Each test feeds parsed mail batch by batch (as syncs would) into a real queue; see
``tests/mail_grouping.py``. Server-backed versions are in test_mail_order.py.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from herocli.channels.mail.parse import ParsedMail
from herocli.events import EventKind
from herocli.exchange import Conversation
from herocli.models import Message
from herocli.store import ingest, item_changes, log, queue
from herocli.store.threads import LOOSE_WINDOW
from tests.mail_grouping import CUSTOMER, T0, US, MailQueue, mail


def one_by_one(*mails: ParsedMail) -> MailQueue:
    q = MailQueue()
    for m in mails:
        q.deliver([m])
    return q


# --------------------------------------------------------------------------- late parents


def test_reply_with_only_in_reply_to_before_its_parent_merges_when_the_parent_comes() -> None:
    root = mail("<a@x>")
    parent = mail("<b@x>", irt=("<a@x>",), subject="Re: Help", sender=US, to=(CUSTOMER,), minutes=5)
    child = mail("<c@x>", irt=("<b@x>",), subject="Re: Help", minutes=9)
    q = one_by_one(root, child)
    assert len(q.items()) == 2
    child_item = q.item_of("<c@x>")
    q.deliver([parent])
    assert q.groups() == {frozenset({"<a@x>", "<b@x>", "<c@x>"})}
    # The older number stays; the other says where it went.
    [kept] = q.items()
    assert kept < child_item
    gone = queue.get_item(q.store.conn, child_item, q.clock.now())
    assert gone is not None
    assert gone.meta["merged_into"] == kept


def test_merge_moves_notes_labels_and_events() -> None:
    q = one_by_one(mail("<a@x>"), mail("<c@x>", irt=("<b@x>",), subject="Re: Help", minutes=9))
    first, second = sorted(q.items())
    now = q.clock.now()
    with q.store.transaction() as db:
        log.add_note(db, second, now, "hana", "customer is on the old plan")
        item_changes.set_labels(db, second, ["billing"])
    q.deliver([mail("<b@x>", irt=("<a@x>",), subject="Re: Help", minutes=5)])
    assert list(q.items()) == [first]
    assert queue.labels_of(q.store.conn, first) == ("billing",)
    assert [n.body for n in log.notes(q.store.conn, [first])[first]] == [
        "customer is on the old plan"
    ]
    kinds = [e.kind for e in log.item_events(q.store.conn, first)]
    assert kinds.count(EventKind.RECEIVED) == 3
    detail = queue.get_item(q.store.conn, first, now)
    assert detail is not None
    assert detail.message_count == 3


def test_siblings_waiting_for_the_same_missing_parent_share_an_item() -> None:
    q = one_by_one(
        mail("<b@x>", irt=("<p@x>",), subject="Re: Help"),
        mail("<c@x>", irt=("<p@x>",), subject="Re: Help", minutes=3),
    )
    assert q.groups() == {frozenset({"<b@x>", "<c@x>"})}


def test_sent_copy_and_inbox_thread_together_whatever_folder_comes_first() -> None:
    root = mail("<a@x>")
    ours = mail("<b@x>", irt=("<a@x>",), subject="Re: Help", sender=US, to=(CUSTOMER,), minutes=5)
    reply = mail("<c@x>", irt=("<b@x>",), subject="Re: Help", minutes=9)
    q = MailQueue()
    q.deliver([reply])
    q.deliver([ours], folder="Sent")
    q.deliver([root])
    assert q.groups() == {frozenset({"<a@x>", "<b@x>", "<c@x>"})}


# --------------------------------------------------------------------------- subject evidence


def test_subject_fallback_only_for_replies_without_headers() -> None:
    original = mail("<a@x>", subject="Export fails", minutes=0)
    answer = mail("<b@x>", subject="Re: Export fails", sender=US, to=(CUSTOMER,), minutes=10)
    fresh = mail("<c@x>", subject="Export fails", minutes=20)  # a new mail, same subject
    q = MailQueue()
    q.deliver([fresh, answer, original])
    assert q.groups() == {frozenset({"<a@x>", "<b@x>"}), frozenset({"<c@x>"})}
    # A later header-less reply joins the newest conversation with that subject.
    q.deliver([mail("<d@x>", subject="AW: export  FAILS", minutes=30)])
    assert frozenset({"<c@x>", "<d@x>"}) in q.groups()


def test_the_newest_thread_is_chosen_by_date_not_by_arrival() -> None:
    original = mail("<a@x>", subject="Export fails", minutes=0)
    fresh = mail("<c@x>", subject="Export fails", minutes=20)
    answer = mail("<b@x>", irt=("<a@x>",), subject="Re: Export fails", minutes=10)
    late = mail("<d@x>", subject="Re: Export fails", minutes=30)
    q = one_by_one(original, fresh, answer, late)
    assert frozenset({"<c@x>", "<d@x>"}) in q.groups()
    # Newer mail in the first thread makes it the newest again.
    q.deliver([mail("<e@x>", irt=("<b@x>",), subject="Re: Export fails", minutes=40)])
    q.deliver([mail("<f@x>", subject="Re: Export fails", minutes=50)])
    assert frozenset({"<a@x>", "<b@x>", "<e@x>"}) in q.groups()


def test_subject_fallback_needs_the_same_customer() -> None:
    q = MailQueue()
    q.deliver(
        [
            mail("<a@x>", subject="Invoice"),
            mail("<b@x>", subject="Re: Invoice", sender="other@y.example", minutes=5),
        ]
    )
    assert q.groups() == {frozenset({"<a@x>"}), frozenset({"<b@x>"})}


def test_subject_fallback_never_overrides_headers() -> None:
    q = MailQueue()
    q.deliver(
        [
            mail("<a@x>", subject="Help"),
            mail("<q@x>", subject="Other"),
            mail("<b@x>", subject="Re: Help", irt=("<q@x>",), minutes=3),
        ]
    )
    assert q.groups() == {frozenset({"<a@x>"}), frozenset({"<q@x>", "<b@x>"})}


def test_subject_fallback_stops_at_the_window() -> None:
    days = LOOSE_WINDOW.days
    q = one_by_one(
        mail("<a@x>", subject="Help"),
        mail("<b@x>", subject="Re: Help", minutes=(days + 1) * 24 * 60),
    )
    assert q.groups() == {frozenset({"<a@x>"}), frozenset({"<b@x>"})}


def test_a_headerless_reply_before_its_thread_joins_when_the_thread_arrives() -> None:
    late_reply = mail("<b@x>", subject="Re: Help", minutes=60)
    child = mail("<c@x>", refs=("<b@x>",), subject="Re: Help", minutes=61)
    q = one_by_one(late_reply, child)
    q.deliver([mail("<a@x>", subject="Help")])
    assert q.groups() == {frozenset({"<a@x>", "<b@x>", "<c@x>"})}


def test_a_fresh_mail_with_a_reused_subject_is_a_new_item() -> None:
    q = one_by_one(mail("<a@x>", subject="Help"), mail("<b@x>", subject="Help", minutes=60))
    assert q.groups() == {frozenset({"<a@x>"}), frozenset({"<b@x>"})}


def test_empty_subject_never_merges() -> None:
    q = MailQueue()
    q.deliver([mail("<a@x>", subject=""), mail("<b@x>", subject="Re:", minutes=1)])
    assert q.groups() == {frozenset({"<a@x>"}), frozenset({"<b@x>"})}


def test_undated_reply_joins_the_dated_thread() -> None:
    q = MailQueue()
    q.deliver([mail("<a@x>", minutes=0)])
    q.deliver([mail("<b@x>", subject="Re: Help", minutes=None)])
    # An undated mail counts as arriving now, long after the window: it stays apart.
    assert len(q.groups()) == 2


# --------------------------------------------------------------------------- same Message-ID


def test_two_messages_with_one_message_id_are_both_kept() -> None:
    first = mail("<dup@x>", subject="Order 1", text="first order")
    second = mail("<dup@x>", subject="Order 2", text="second order, other text", minutes=5)
    q = one_by_one(first, second)
    [(number, ids)] = q.items().items()
    assert ids == ["<dup@x>", "<dup@x>"]
    item = queue.get_item(q.store.conn, number, q.clock.now())
    assert item is not None
    assert item.title == "Order 1"
    # The same message fetched again (another folder, a rebuilt one) is still kept once.
    q.deliver([second, first], folder="Archive")
    assert list(q.items().values()) == [["<dup@x>", "<dup@x>"]]


def test_two_messages_with_one_message_id_in_one_sync_are_both_kept() -> None:
    first = mail("<dup@x>", subject="Order 1", text="first order")
    second = mail("<dup@x>", subject="Order 1", text="the order again, other text", minutes=5)
    third = mail("<dup@x>", subject="Order 1", text="and a third time", minutes=9)
    q = MailQueue()
    q.deliver([first, second, third])
    [texts] = [
        [m.message.body for m in queue.messages(q.store.conn, number)] for number in q.items()
    ]
    assert texts == ["first order", "the order again, other text", "and a third time"]
    q.deliver([third, first, second], folder="Archive")  # fetched again: still once each
    assert list(q.items().values()) == [["<dup@x>"] * 3]


def test_hero_reply_read_back_from_sent_stays_where_it_was_filed() -> None:
    """A reply to a mail without Message-ID has no threading headers: read back from Sent
    its subject names the customer's newest thread on it, not the one it answered."""
    q = MailQueue()
    q.deliver([mail("<a@herocli.invalid>", subject="Cannot log in", minutes=0)])
    q.deliver([mail("<c@x>", subject="Cannot log in", minutes=20)])  # fresh: its own item
    first = q.item_of("<a@herocli.invalid>")
    reply = mail("<hero.1@acme.dev>", subject="Re: Cannot log in", sender=US, to=(CUSTOMER,))
    reply = replace(reply, date=T0 + timedelta(minutes=40))
    sent = Message(
        external_id=reply.message_id,
        author_id=US,
        author_name="Hana",
        sent_at=T0 + timedelta(minutes=40),
        body=reply.text,
        team_hint=True,
        meta={"message_id": reply.message_id},
    )
    with q.store.transaction() as db:  # filed as the outbox files a reply it sent
        item = queue.get_item(db, first, q.clock.now())
        assert item is not None
        conv = Conversation("email", item.external_id, item.title, messages=(sent,))
        ingest.ingest(db, conv, lambda _m: True, q.clock.now())
    q.deliver([reply], folder="Sent")
    assert q.groups() == {
        frozenset({"<a@herocli.invalid>", "<hero.1@acme.dev>"}),
        frozenset({"<c@x>"}),
    }

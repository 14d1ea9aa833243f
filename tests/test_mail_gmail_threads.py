"""Gmail's X-GM-THRID joins mails into one conversation even when their headers do not.

No test server here offers X-GM-EXT-1, so this drives the channel's threading
with fetch results shaped like Gmail's: the part that reads the thread id.
"""

from __future__ import annotations

from herocli.channels.mail.conversations import Incoming, build_conversations
from herocli.channels.mail.cursor import MailCursor
from herocli.channels.mail.imap import Fetched
from herocli.channels.mail.parse import parse_message
from herocli.exchange import Conversation
from tests.clock import FakeClock


def _mail(message_id: str, subject: str, day: int) -> bytes:
    return (
        f"From: Ann <ann@example.org>\r\nTo: hey@acme.dev\r\nSubject: {subject}\r\n"
        f"Message-ID: <{message_id}>\r\nDate: Mon, {day:02d} Nov 2026 09:00:00 +0000\r\n\r\n"
        f"Body of {message_id}\r\n"
    ).encode()


def _conversations(folder: str, fetched: list[Fetched], cursor: MailCursor) -> list[Conversation]:
    batch = [Incoming(folder, f, parse_message(f.raw)) for f in fetched]
    return build_conversations(batch, cursor, lambda a: a == "hey@acme.dev", FakeClock().now())


def test_one_gmail_thread_is_one_conversation_across_syncs() -> None:
    cursor = MailCursor({}, {}, {})
    first = _conversations(
        "INBOX", [Fetched(1, _mail("a@x", "Invoice question", 2), (), gm_thrid=777)], cursor
    )
    # A later mail with no In-Reply-To/References and a different subject, same Gmail thread.
    second = _conversations(
        "INBOX", [Fetched(2, _mail("b@x", "one more thing", 3), (), gm_thrid=777)], cursor
    )
    assert [c.external_id for c in first] == ["<a@x>"]
    assert [c.external_id for c in second] == ["<a@x>"]


def test_different_gmail_threads_stay_apart() -> None:
    cursor = MailCursor({}, {}, {})
    convs = _conversations(
        "INBOX",
        [
            Fetched(1, _mail("a@x", "First", 2), (), gm_thrid=1),
            Fetched(2, _mail("b@x", "Second", 3), (), gm_thrid=2),
        ],
        cursor,
    )
    assert sorted(c.external_id for c in convs) == ["<a@x>", "<b@x>"]

"""Gmail's X-GM-THRID joins mails into one conversation even when their headers do not.

No test server here offers X-GM-EXT-1, so this drives the channel's threading
with fetch results shaped like Gmail's: the part that reads the thread id.
"""

from __future__ import annotations

from herocli.channels.mail.channel import EmailChannel
from herocli.channels.mail.cursor import MailCursor
from herocli.channels.mail.imap import Fetched
from herocli.config import EmailSettings
from herocli.secrets import EnvSecrets
from tests.clock import FakeClock


def _mail(message_id: str, subject: str, day: int) -> bytes:
    return (
        f"From: Ann <ann@example.org>\r\nTo: hey@acme.dev\r\nSubject: {subject}\r\n"
        f"Message-ID: <{message_id}>\r\nDate: Mon, {day:02d} Nov 2026 09:00:00 +0000\r\n\r\n"
        f"Body of {message_id}\r\n"
    ).encode()


def _channel() -> EmailChannel:
    settings = EmailSettings(
        imap_host="127.0.0.1",
        username="hey@acme.dev",
        smtp_host="127.0.0.1",
        from_address="hey@acme.dev",
    )
    return EmailChannel(settings, EnvSecrets({}), FakeClock())


def test_one_gmail_thread_is_one_conversation_across_syncs() -> None:
    channel = _channel()
    cursor = MailCursor({}, {}, {})
    first = channel._conversations(
        "INBOX", [Fetched(1, _mail("a@x", "Invoice question", 2), (), gm_thrid=777)], cursor
    )
    # A later mail with no In-Reply-To/References and a different subject, same Gmail thread.
    second = channel._conversations(
        "INBOX", [Fetched(2, _mail("b@x", "one more thing", 3), (), gm_thrid=777)], cursor
    )
    assert [c.external_id for c in first] == ["<a@x>"]
    assert [c.external_id for c in second] == ["<a@x>"]


def test_different_gmail_threads_stay_apart() -> None:
    channel = _channel()
    cursor = MailCursor({}, {}, {})
    convs = channel._conversations(
        "INBOX",
        [
            Fetched(1, _mail("a@x", "First", 2), (), gm_thrid=1),
            Fetched(2, _mail("b@x", "Second", 3), (), gm_thrid=2),
        ],
        cursor,
    )
    assert sorted(c.external_id for c in convs) == ["<a@x>", "<b@x>"]

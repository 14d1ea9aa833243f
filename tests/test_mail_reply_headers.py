# ruff: noqa: F811  (the server fixtures are imported from test_mail_channel)
"""Replies thread in every client: msg-id headers written bare, References per RFC 5322.

And an SMTP server that says no is worded as what it is, with whether a retry helps.
Real servers: Dovecot/pymap for IMAP, aiosmtpd for SMTP.
"""

from __future__ import annotations

import email
import email.policy

import pytest

from herocli.channels.mail.parse import parse_message
from herocli.errors import ChannelError
from herocli.exchange import OutgoingReply
from tests.mail_servers import ImapServer, SmtpSink
from tests.test_mail_channel import (  # noqa: F401  (fixtures)
    CUSTOMER,
    SUPPORT,
    conversations,
    imap,
    imap_running,
    mail,
    make_channel,
    mid_of,
    pages,
    smtp,
    smtp_running,
    thread_of,
)

pytestmark = pytest.mark.imap

OUTLOOK_ID = (
    "<DB9PR07MB7851C0FFEE1234567890ABCDEF1234567890ABCDEF12@"
    "DB9PR07MB7851.eurprd07.prod.outlook.com>"
)


def _raw_header(raw: bytes, name: str) -> str:
    head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    lines = head.split("\r\n")
    for n, line in enumerate(lines):
        if line.lower().startswith(name.lower() + ":"):
            out = [line]
            for nxt in lines[n + 1 :]:
                if nxt[:1] not in (" ", "\t"):
                    break
                out.append(nxt)
            return "\r\n".join(out)
    raise AssertionError(f"no {name} header")


def test_long_outlook_ids_are_written_bare_and_read_back(imap: ImapServer, smtp: SmtpSink) -> None:
    first = mail("Invoice", "Where is it?", message_id=OUTLOOK_ID)
    imap.append_many("INBOX", [first])
    channel = make_channel(imap, smtp)
    [conv] = conversations(pages(channel))
    cursor = pages(channel)[-1].cursor
    sent = channel.send_reply(thread_of(conv), OutgoingReply(key="k-long", body="Here."))
    raw = smtp.received[0][2]
    assert b"=?" not in raw.split(b"\r\n\r\n", 1)[0]
    assert _raw_header(raw, "In-Reply-To") == f"In-Reply-To: {OUTLOOK_ID}"
    assert _raw_header(raw, "References") == f"References: {OUTLOOK_ID}"
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998
    # The Sent copy hero filed reads back with its In-Reply-To, into the same item.
    [(_uid, _flags, copy)] = imap.messages(imap.sent_folder)
    assert parse_message(copy).in_reply_to == (OUTLOOK_ID,)
    [back] = conversations(pages(channel, cursor))
    assert back.external_id == conv.external_id
    assert [m.external_id for m in back.messages] == [sent.external_id]
    channel.shutdown()


def test_references_take_the_parents_in_reply_to_when_it_has_no_references(
    imap: ImapServer, smtp: SmtpSink
) -> None:
    root = "<root.1@customer.example>"
    parent = mail("Re: Export", "Still failing.", in_reply_to=root)
    imap.append_many("INBOX", [parent])
    channel = make_channel(imap, smtp)
    [conv] = conversations(pages(channel))
    channel.send_reply(thread_of(conv), OutgoingReply(key="k-gp", body="Looking."))
    msg = email.message_from_bytes(smtp.received[0][2], policy=email.policy.default)
    assert msg["References"].split() == [root, mid_of(parent)]
    assert msg["In-Reply-To"] == mid_of(parent)
    channel.shutdown()


def test_many_references_fold_between_ids_never_inside_one(
    imap: ImapServer, smtp: SmtpSink
) -> None:
    chain = [f"<{'x' * 60}.{n}@mail.example.com>" for n in range(5)]
    parent = mail("Re: Long thread", "Again.", in_reply_to=chain[-1], references=" ".join(chain))
    imap.append_many("INBOX", [parent])
    channel = make_channel(imap, smtp)
    [conv] = conversations(pages(channel))
    channel.send_reply(thread_of(conv), OutgoingReply(key="k-fold", body="Yes."))
    raw = smtp.received[0][2]
    header = _raw_header(raw, "References")
    assert header.split(": ", 1)[1].split() == [*chain, mid_of(parent)]
    assert all(
        line.strip().startswith("<") or line.startswith("References:")
        for line in header.split("\r\n")
    )
    channel.shutdown()


def test_reply_to_a_mail_without_message_id_points_nowhere_made_up(
    imap: ImapServer, smtp: SmtpSink
) -> None:
    raw = mail("No id here", "My client sends no Message-ID.")
    raw = b"\r\n".join(line for line in raw.split(b"\r\n") if not line.startswith(b"Message-ID"))
    imap.append_many("INBOX", [raw])
    channel = make_channel(imap, smtp)
    [conv] = conversations(pages(channel))
    cursor = pages(channel)[-1].cursor
    assert conv.messages[0].external_id.endswith("@herocli.invalid>")
    sent = channel.send_reply(thread_of(conv), OutgoingReply(key="k-noid", body="Got it."))
    out = smtp.received[0][2]
    assert b"herocli.invalid" not in out
    msg = email.message_from_bytes(out, policy=email.policy.default)
    assert msg["In-Reply-To"] is None
    assert msg["References"] is None
    # The parent is still marked answered (found by UID), and the Sent copy joins the item.
    [(_uid, flags, _raw)] = imap.messages("INBOX")
    assert b"\\Answered" in flags
    [back] = conversations(pages(channel, cursor))
    assert [m.external_id for m in back.messages] == [sent.external_id]
    channel.shutdown()


def test_permanent_refusal_says_a_retry_will_not_help(imap: ImapServer, smtp: SmtpSink) -> None:
    imap.append_many("INBOX", [mail("Help", "Please.")])
    channel = make_channel(imap, smtp)
    [conv] = conversations(pages(channel))
    smtp.refuse_next, smtp.refusal = 1, "554 5.7.1 message rejected as spam"
    try:
        with pytest.raises(ChannelError) as caught:
            channel.send_reply(thread_of(conv), OutgoingReply(key="k-554", body="Hi."))
    finally:
        smtp.refusal = "451 4.3.0 try again later"
    assert "554 5.7.1 message rejected as spam" in caught.value.message
    assert "permanent" in (caught.value.hint or "")
    assert "fails the same way" in (caught.value.hint or "")
    channel.shutdown()


def test_a_recipient_refused_among_others_is_sent_once_and_named(
    imap: ImapServer, smtp: SmtpSink
) -> None:
    # The server took the reply for the customer and refused the Cc: it went out,
    # so it is never sent again (the customer would get it twice); who missed it is kept.
    imap.append_many("INBOX", [mail("Help", "Please.", to=f"<{SUPPORT}>, <bob@customer.example>")])
    channel = make_channel(imap, smtp)
    try:
        [conv] = conversations(pages(channel))
        smtp.refuse_recipients = {"bob@customer.example"}
        sent = channel.send_reply(thread_of(conv), OutgoingReply(key="k-cc", body="Hi."))
    finally:
        channel.shutdown()
    assert sent.meta["refused"] == ["bob@customer.example"]
    assert [rcpt for _from, rcpt, _raw in smtp.received] == [[CUSTOMER]]


def test_temporary_refusal_says_a_retry_helps(imap: ImapServer, smtp: SmtpSink) -> None:
    imap.append_many("INBOX", [mail("Help", "Please.")])
    channel = make_channel(imap, smtp)
    [conv] = conversations(pages(channel))
    smtp.refuse_next = 1
    with pytest.raises(ChannelError) as caught:
        channel.send_reply(thread_of(conv), OutgoingReply(key="k-451", body="Hi."))
    assert "temporarily refused" in caught.value.message
    assert "tries again" in (caught.value.hint or "")
    channel.shutdown()


def test_missing_starttls_is_named_not_a_lost_connection(imap: ImapServer, smtp: SmtpSink) -> None:
    imap.append_many("INBOX", [mail("Help", "Please.")])
    channel = make_channel(imap, smtp, smtp_security="starttls")
    [conv] = conversations(pages(channel))
    with pytest.raises(ChannelError) as caught:
        channel.send_reply(thread_of(conv), OutgoingReply(key="k-tls", body="Hi."))
    assert "does not offer STARTTLS" in caught.value.message
    assert "lost" not in caught.value.message
    assert ".." not in caught.value.message
    assert smtp.received == []
    channel.shutdown()

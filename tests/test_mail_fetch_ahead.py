# ruff: noqa: F811  (fixtures from test_mail_channel)
"""A first sync asks for the next batch before it hands this one over, and misses nothing by it.

The server prepares the next batch while hero parses and stores: against Dovecot and pymap, over
several batches, two folders and a large message read by its structure, every message
comes once, in UID order within its folder, and nothing is left unread on the session.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest

from herocli.channels.mail import channel as channel_module
from herocli.channels.mail import conversations as conversations_module
from herocli.channels.mail.imap import ImapSession
from herocli.errors import UnreachableError
from herocli.exchange import FetchPage, SilentProgress
from tests.mail_servers import ImapServer
from tests.test_mail_channel import (  # noqa: F401  (fixtures)
    CommandLog,
    imap,
    imap_running,
    mail,
    make_channel,
    mid_of,
    pages,
)

pytestmark = pytest.mark.imap


def _large(subject: str) -> bytes:
    blob = base64.encodebytes(b"\x00" * (1024 * 1024 + 4096))
    return (
        b"From: Carla <carla@customer.example>\r\nTo: hey@acme.dev\r\nSubject: "
        + subject.encode()
        + b"\r\nMessage-ID: <large@customer.example>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
        b"Content-Type: text/plain; charset=utf-8\r\n\r\nThe dump is attached.\r\n"
        b'--b\r\nContent-Type: application/octet-stream; name="dump.bin"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n" + blob + b"--b--\r\n"
    )


def test_the_next_batch_is_asked_for_before_this_one_is_parsed(
    imap: ImapServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(channel_module, "BATCH", 3)
    inbox = [mail(f"Question {n}", f"Body {n}") for n in range(8)]
    imap.append_many("INBOX", inbox)
    channel = make_channel(imap, sent_folder="none")
    channel._imap()  # logged in: the log starts with the sync's own commands
    log = CommandLog(channel)
    original = conversations_module.parse_message

    def parsing(raw: bytes) -> Any:
        log.commands.append("parse")
        return original(raw)

    monkeypatch.setattr(conversations_module, "parse_message", parsing)
    result = pages(channel)
    assert [[m.external_id for c in p.conversations for m in c.messages] for p in result] == [
        [mid_of(r) for r in inbox[:3]],
        [mid_of(r) for r in inbox[3:6]],
        [mid_of(r) for r in inbox[6:]],
    ]
    assert log.commands == [
        "EXAMINE INBOX",
        "SEARCH",  # the new UIDs
        "SEARCH",  # and those large enough to be read by their structure
        "UID FETCH",  # batch 1
        "UID FETCH",  # batch 2, asked for before batch 1 is handed over
        "UID FETCH",  # batch 3, asked for once batch 2 is read, before batch 1 is parsed
        *["parse"] * 3,  # batch 1, parsed while batch 2 waits its turn
        *["parse"] * 3,
        *["parse"] * 2,
    ]
    log.commands.clear()
    again = pages(channel, result[-1].cursor)  # nothing was left unread on the session
    assert [c for p in again for c in p.conversations] == []
    assert log.commands == ["EXAMINE INBOX"]
    channel.shutdown()


def test_two_folders_and_a_large_message_come_once_each(
    imap: ImapServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(channel_module, "BATCH", 3)
    inbox = [mail(f"Question {n}", f"Body {n}") for n in range(4)]
    inbox += [_large("Dump")]
    inbox += [mail(f"Question {n}", f"Body {n}") for n in range(4, 8)]
    sent = [mail(f"Answer {n}", f"Answer body {n}") for n in range(4)]
    imap.append_many("INBOX", inbox)
    imap.append_many(imap.sent_folder, sent)
    channel = make_channel(imap)
    result = pages(channel)
    by_page = [[m.external_id for c in p.conversations for m in c.messages] for p in result]
    seen = [mid for page in by_page for mid in page]
    assert sorted(seen) == sorted(mid_of(r) for r in inbox + sent)
    assert len(seen) == len(set(seen))
    # Each page holds the next three of each folder.
    assert set(by_page[0]) == {mid_of(r) for r in inbox[:3] + sent[:3]}
    assert set(by_page[1]) == {mid_of(r) for r in inbox[3:6] + sent[3:]}
    [dump] = [m for p in result for c in p.conversations for m in c.messages if m.attachments]
    assert dump.body == "The dump is attached."
    assert [a.name for a in dump.attachments] == ["dump.bin"]
    again = pages(channel, result[-1].cursor)
    assert [c for p in again for c in p.conversations] == []
    channel.shutdown()


def _one_by_one(pages: Iterator[FetchPage], into: list[FetchPage]) -> list[FetchPage]:
    """Take pages as the sync does, keeping each as it comes (an error ends the taking)."""
    for page in pages:
        into.append(page)
    return []


def test_a_batch_fetched_ahead_that_fails_comes_after_the_batch_before_it(
    imap: ImapServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The connection drops while batch 2 is read ahead: batch 1 is still handed over (and
    so stored), then the error ends the sync; the next sync starts from batch 1's cursor."""
    monkeypatch.setattr(channel_module, "BATCH", 3)
    inbox = [mail(f"Question {n}", f"Body {n}") for n in range(8)]
    imap.append_many("INBOX", inbox)
    channel = make_channel(imap, sent_folder="none")
    original = ImapSession.finish_fetch
    calls = []

    def dropping(self: ImapSession, pending: Any) -> Any:
        calls.append(pending.uids)
        if len(calls) == 2:  # batch 2, read ahead while batch 1 is parsed
            raise UnreachableError("lost the IMAP server while trying to fetch messages")
        return original(self, pending)

    monkeypatch.setattr(ImapSession, "finish_fetch", dropping)
    got: list[FetchPage] = []
    with pytest.raises(UnreachableError):
        got.extend(_one_by_one(channel.fetch({}, SilentProgress()), got))
    assert [[m.external_id for c in p.conversations for m in c.messages] for p in got] == [
        [mid_of(r) for r in inbox[:3]]
    ]
    monkeypatch.setattr(ImapSession, "finish_fetch", original)
    rest = pages(channel, got[0].cursor)
    assert sorted(m.external_id for p in rest for c in p.conversations for m in c.messages) == (
        sorted(mid_of(r) for r in inbox[3:])
    )
    channel.shutdown()


def test_a_message_expunged_between_listing_and_fetching_is_not_filed_empty(
    imap: ImapServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Another client expunges a listed message before hero fetches it: the server may
    # still answer for it, with no body. That is no message, not an empty one.
    monkeypatch.setattr(channel_module, "BATCH", 2)
    inbox = [mail(f"Question {n}", f"Body {n}") for n in range(6)]
    imap.append_many("INBOX", inbox)
    channel = make_channel(imap, sent_folder="none")
    original = conversations_module.parse_message
    expunged: list[int] = []

    def parsing(raw: bytes) -> Any:
        if not expunged:
            expunged.extend(imap.uids("INBOX")[-1:])
            imap.expunge("INBOX", expunged)
        return original(raw)

    monkeypatch.setattr(conversations_module, "parse_message", parsing)
    result = pages(channel)
    filed = [m for p in result for c in p.conversations for m in c.messages]
    ids = [m.external_id for m in filed]
    # Dovecot answers with an empty body, pymap with the message as it was when listed.
    assert ids[:5] == [mid_of(r) for r in inbox[:5]]
    assert ids[5:] in ([], [mid_of(inbox[5])])
    assert all(m.body for m in filed)
    channel.shutdown()

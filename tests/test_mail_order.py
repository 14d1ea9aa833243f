# ruff: noqa: F811, RUF001  (fixtures from test_mail_channel; mail in several scripts)
"""Mail in any order, through real IMAP servers into a real queue (issue cases 2, 3, 5, 8).

Replies before their parents, Sent read with the inbox, subject evidence, a reused
Message-ID, and a folder that does not exist.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from herocli.config import TeamSettings
from herocli.exchange import SilentProgress
from herocli.models import shown_text
from herocli.services.sync import sync_channel
from herocli.store import Store, queue
from tests.clock import FakeClock
from tests.mail_servers import ImapServer
from tests.test_mail_channel import (  # noqa: F401  (fixtures)
    CUSTOMER,
    SUPPORT,
    grouping,
    imap,
    imap_running,
    mail,
    make_channel,
    mid_of,
    sync_into,
)

pytestmark = pytest.mark.imap
START = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


def test_reply_with_only_in_reply_to_read_before_its_parent(
    imap: ImapServer, tmp_path: Path
) -> None:
    """Case 2: INBOX holds the customer's reply, Sent our answer it replies to."""
    store = Store.open(tmp_path / "queue.db")
    root = mail("Export", "Export fails.", date=START)
    ours = mail(
        "Re: Export",
        "Which file?",
        sender=f"Acme <{SUPPORT}>",
        to=CUSTOMER,
        in_reply_to=mid_of(root),
        date=START + timedelta(hours=1),
    )
    theirs = mail(
        "Re: Export", "This one.", in_reply_to=mid_of(ours), date=START + timedelta(hours=2)
    )
    imap.append_many("INBOX", [theirs])
    channel = make_channel(imap)
    sync_into(store, channel)
    imap.append_many("INBOX", [root])
    imap.append_many("Sent", [ours])
    sync_into(store, channel)
    assert list(grouping(store).values()) == [{mid_of(root), mid_of(ours), mid_of(theirs)}]
    store.close()
    channel.shutdown()


def test_inbox_and_sent_in_one_sync_thread_together(imap: ImapServer, tmp_path: Path) -> None:
    store = Store.open(tmp_path / "queue.db")
    root = mail("Export", "Export fails.", date=START)
    ours = mail(
        "Re: Export",
        "Which file?",
        sender=f"Acme <{SUPPORT}>",
        to=CUSTOMER,
        in_reply_to=mid_of(root),
        date=START + timedelta(hours=1),
    )
    theirs = mail(
        "Re: Export", "This one.", in_reply_to=mid_of(ours), date=START + timedelta(hours=2)
    )
    imap.append_many("INBOX", [theirs, root])
    imap.append_many("Sent", [ours])
    channel = make_channel(imap)
    sync_into(store, channel)
    assert grouping(store) == {mid_of(root): {mid_of(root), mid_of(ours), mid_of(theirs)}}
    store.close()
    channel.shutdown()


def test_headerless_reply_of_one_customer_never_joins_anothers_thread(
    imap: ImapServer, tmp_path: Path
) -> None:
    """Case 3: same subject, another customer, or too long ago: a new item, not a wrong merge."""
    store = Store.open(tmp_path / "queue.db")
    other = mail("Invoice", "Where is it?", sender="Olga <olga@other.example>", date=START)
    old = mail("Invoice", "Last year's.", date=START - timedelta(days=200))
    bare = mail("Re: Invoice", "Any news?", date=START + timedelta(days=1))
    imap.append_many("INBOX", [other, old, bare])
    channel = make_channel(imap, sent_folder="none")
    sync_into(store, channel)
    assert sorted(map(sorted, grouping(store).values())) == sorted(
        [[mid_of(other)], [mid_of(old)], [mid_of(bare)]]
    )
    store.close()
    channel.shutdown()


def test_reused_message_id_keeps_both_messages_and_the_title(
    imap: ImapServer, tmp_path: Path
) -> None:
    """Case 5: a second message with the same Message-ID but other content is kept."""
    store = Store.open(tmp_path / "queue.db")
    first = mail("Order 1001", "First order.", message_id="<order@shop.example>", date=START)
    second = mail(
        "Order 1002",
        "Second order, different.",
        message_id="<order@shop.example>",
        date=START + timedelta(days=1),
    )
    channel = make_channel(imap, sent_folder="none")
    imap.append_many("INBOX", [first])
    sync_into(store, channel)
    imap.append_many("INBOX", [second])
    sync_into(store, channel)
    rows = store.conn.execute("SELECT title FROM items").fetchall()
    assert [r[0] for r in rows] == ["Order 1001"]
    bodies = [r[0] for r in store.conn.execute("SELECT body FROM messages ORDER BY sent_at")]
    assert bodies == ["First order.", "Second order, different."]
    store.close()
    channel.shutdown()


def test_a_missing_folder_is_named_and_the_others_still_sync(
    imap: ImapServer, tmp_path: Path
) -> None:
    """Case 8: a folder that does not exist stops nothing else, Sent included."""
    store = Store.open(tmp_path / "queue.db")
    root = mail("Export", "Export fails.", date=START)
    ours = mail(
        "Re: Export",
        "Fixed.",
        sender=f"Acme <{SUPPORT}>",
        to=CUSTOMER,
        in_reply_to=mid_of(root),
        date=START + timedelta(hours=1),
    )
    imap.append_many("INBOX", [root])
    imap.append_many("Sent", [ours])
    channel = make_channel(imap, folders=("No-Such-Folder", "INBOX"))
    result = sync_channel(store, channel, TeamSettings(), FakeClock(), SilentProgress())
    assert result.error is not None
    assert "'No-Such-Folder'" in result.error.message
    assert "the other folders were synced" in result.error.message
    assert grouping(store) == {mid_of(root): {mid_of(root), mid_of(ours)}}
    # Whose turn it is comes out right: our answer in Sent was read.
    [(last_from_team,)] = store.conn.execute("SELECT last_from_team FROM items").fetchall()
    assert last_from_team == 1
    store.close()
    channel.shutdown()


def test_undeclared_charsets_and_8bit_names_read_right_through_the_server(
    imap: ImapServer, tmp_path: Path
) -> None:
    """Case 6: Big5 with no charset, and a Windows-1251 attachment name in raw 8-bit."""
    text = "這是一個測試，我們的帳戶無法登入，請協助處理。"
    raw = (
        b"From: kunde@customer.example\r\nTo: hey@acme.dev\r\nSubject: test\r\n"
        b"Message-ID: <big5@customer.example>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
        b"Content-Type: text/plain\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        + text.encode("big5")
        + b"\r\n--b\r\nContent-Type: application/zip\r\n"
        b'Content-Disposition: attachment; filename="'
        + "ФНС_РФ558.zip".encode("cp1251")
        + b'"\r\n\r\nUEs=\r\n--b--\r\n'
    )
    imap.append("INBOX", raw)
    store = Store.open(tmp_path / "queue.db")
    channel = make_channel(imap, sent_folder="none")
    sync_into(store, channel)
    [(body, attachments)] = store.conn.execute("SELECT body, attachments FROM messages")
    assert body == text
    assert '"name": "\\u0424\\u041d\\u0421_\\u0420\\u0424558.zip"' in attachments
    store.close()
    channel.shutdown()


def test_show_hides_quotes_and_phone_signatures_the_queue_keeps(
    imap: ImapServer, tmp_path: Path
) -> None:
    """Case 7: no blank line before "On … wrote:", a Russian attribution, "Sent from my iPhone"."""
    root = mail("Export", "Export fails.", date=START)
    body = (
        "Спасибо, работает.\n\nОтправлено с iPhone\n"
        "пн, 3 нояб. 2025 г. в 10:15, Acme <hey@acme.dev>:\n> Export fails."
    )
    reply = mail("Re: Export", body, in_reply_to=mid_of(root), date=START + timedelta(hours=1))
    imap.append_many("INBOX", [root, reply])
    store = Store.open(tmp_path / "queue.db")
    channel = make_channel(imap, sent_folder="none")
    sync_into(store, channel)
    [(item_id,)] = store.conn.execute(
        "SELECT item_id FROM messages WHERE body LIKE 'Спасибо%'"
    ).fetchall()
    [_, stored] = [m.message for m in queue.messages(store.conn, item_id)]
    assert stored.body == body  # everything kept
    assert shown_text(stored) == "Спасибо, работает."  # what `hero show` displays
    # The shown part is the reply above its quote: kept as a length, not a second copy.
    assert stored.meta["trimmed"] == len("Спасибо, работает.")
    store.close()
    channel.shutdown()


def test_a_large_message_is_read_by_its_structure_without_its_attachment(
    imap: ImapServer, tmp_path: Path
) -> None:
    """Case 9: attachments are listed from BODYSTRUCTURE; their bytes are not fetched."""
    import base64

    blob = base64.encodebytes(bytes(range(256)) * 8192)  # 2 MiB, 2.7 MB encoded
    raw = (
        b"From: Carla <carla@customer.example>\r\nTo: hey@acme.dev\r\nSubject: Logs\r\n"
        b"Message-ID: <logs@customer.example>\r\nDate: Mon, 02 Nov 2026 08:00:00 +0000\r\n"
        b'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
        b'Content-Type: multipart/alternative; boundary="a"\r\n\r\n--a\r\n'
        b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        + "Die Logs hängen an.".encode()
        + b"\r\n--a\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Die Logs</p>\r\n--a--\r\n"
        b'--b\r\nContent-Type: application/zip; name="logs.zip"\r\n'
        b'Content-Disposition: attachment; filename="logs.zip"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n" + blob + b"--b--\r\n"
    )
    imap.append("INBOX", raw)
    channel = make_channel(imap, sent_folder="none")
    fetched: list[list[str]] = []
    session = channel._imap()
    original = session.fetch_range

    def recording(uidset: str, items: list[str], modifiers: list[str] | None = None) -> Any:
        fetched.append(items)
        return original(uidset, items, modifiers)

    session.fetch_range = recording  # type: ignore[method-assign]
    store = Store.open(tmp_path / "queue.db")
    sync_into(store, channel)
    [(body, attachments)] = store.conn.execute("SELECT body, attachments FROM messages")
    assert body == "Die Logs hängen an."
    [listed] = json.loads(attachments)
    assert listed["name"] == "logs.zip"
    assert listed["content_type"] == "application/zip"
    assert abs(listed["size"] - 2 * 1024 * 1024) < 4096
    assert not any("BODY.PEEK[]" in items for items in fetched), fetched
    store.close()
    channel.shutdown()

# ruff: noqa: F811, RUF001  (fixtures from test_mail_channel; names in several scripts)
"""A large message's attachments, listed from BODYSTRUCTURE, have the names the parser reads.

Past 1 MiB a message is read by its structure (its text parts fetched, its files only
listed), so the names come from the server's BODYSTRUCTURE parameters instead of the
parsed headers. Found by the email model: an RFC 2231 name (``filename*=utf-8''...``,
what most clients write for a non-ASCII name) was listed as ``part-2``. Each way of
writing a name, against the real server, must read as the whole message parsed does.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from herocli.channels.mail.parse import parse_message
from herocli.store import Store
from tests.mail_servers import ImapServer
from tests.test_mail_channel import (  # noqa: F401  (fixtures)
    imap,
    imap_running,
    make_channel,
    sync_into,
)

pytestmark = pytest.mark.imap

DISPOSITIONS = {
    "plain": 'filename="logs.zip"',
    "rfc2231": "filename*=utf-8''Rechnung%20M%C3%A4rz.pdf",
    "rfc2231-continued": "filename*0*=utf-8''%D1%81%D0%BA%D1%80%D0%B8%D0%BD; filename*1*=.png",
    "rfc2231-latin1": "filename*=iso-8859-1''R%E9sum%E9.pdf",
    "rfc2047": 'filename="=?utf-8?q?Pr=C3=BCfbericht.pdf?="',
    "8bit": 'filename="ФНС_РФ558.zip"',
}


def _large(disposition: str) -> bytes:
    blob = base64.encodebytes(bytes(range(256)) * 4500)  # past 1 MiB once encoded
    return (
        b"From: Carla <carla@customer.example>\r\nTo: hey@acme.dev\r\nSubject: Files\r\n"
        b"Message-ID: <files@customer.example>\r\nDate: Mon, 02 Nov 2026 08:00:00 +0000\r\n"
        b'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
        b"Content-Type: text/plain; charset=utf-8\r\n\r\nThe files, attached.\r\n--b\r\n"
        b"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n"
        b"Content-Disposition: attachment; "
        + disposition.encode()
        + b"\r\n\r\n"
        + blob
        + b"--b--\r\n"
    )


@pytest.mark.parametrize("how", sorted(DISPOSITIONS))
def test_a_large_messages_file_has_the_name_the_parser_reads(
    imap: ImapServer, tmp_path: Path, how: str
) -> None:
    raw = _large(DISPOSITIONS[how])
    assert len(raw) > 1 << 20
    [expected] = parse_message(raw).attachments
    assert not expected.name.startswith("part-")
    imap.append("INBOX", raw)
    channel = make_channel(imap, sent_folder="none")
    store = Store.open(tmp_path / "queue.db")
    try:
        sync_into(store, channel)
        [(body, attachments)] = store.conn.execute("SELECT body, attachments FROM messages")
    finally:
        store.close()
        channel.shutdown()
    assert body == "The files, attached."
    [listed] = json.loads(attachments)
    assert listed["name"] == expected.name

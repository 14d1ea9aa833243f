"""The Sent copy as the record of an SMTP send that cannot be asked about afterwards.

SMTP has no "did you get message X?". So the copy goes into Sent *before* the
SMTP transaction, marked as sending; the mark is cleared once the server has
answered 250. After a crash, the copy tells the next attempt what it needs:

- no copy: the send never started; sending now is safe;
- a copy still marked: unknown (the server may have taken it); never resent
  without the hero's word;
- a copy without the mark: sent.

The mark is the ``$HeroSending`` keyword where the folder keeps keywords
(PERMANENTFLAGS lists it or ``\\*``), else ``\\Draft``, which every server keeps.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from herocli.channels.mail.imap import ImapSession

SENDING = "$HeroSending"
DRAFT = "\\Draft"
DELETED = "\\Deleted"


class CopyState(StrEnum):
    NONE = "none"
    SENDING = "sending"
    SENT = "sent"


def _mark(session: ImapSession, folder: str) -> str:
    return SENDING if session.keeps_keyword(folder, SENDING) else DRAFT


def _copies(session: ImapSession, folder: str, message_id: str) -> dict[int, tuple[str, ...]]:
    """The copies of ``message_id`` in ``folder`` not already deleted, with their flags."""
    flags = session.flags_of(folder, session.find_by_message_id(folder, message_id))
    return {uid: f for uid, f in flags.items() if DELETED not in f}


def state(session: ImapSession, folder: str, message_id: str) -> CopyState:
    """What the Sent copy of ``message_id`` says about its send."""
    copies = _copies(session, folder, message_id)
    if not copies:
        return CopyState.NONE
    mark = _mark(session, folder)
    if any(mark in flags for flags in copies.values()):
        return CopyState.SENDING
    return CopyState.SENT


def file_first(session: ImapSession, folder: str, message_id: str, raw: bytes) -> list[int]:
    """File the copy marked as sending (or mark an earlier attempt's copy again); its UIDs."""
    mark = _mark(session, folder)
    copies = _copies(session, folder, message_id)
    if copies:  # a resend the hero asked for
        session.add_flags(folder, list(copies), [mark])
        return list(copies)
    session.append(folder, raw, flags=("\\Seen", mark))
    return session.find_by_message_id(folder, message_id)


def confirm(session: ImapSession, folder: str, uids: list[int]) -> None:
    """The server answered 250: the copy is now the record of a sent mail."""
    session.remove_flags(folder, uids, [_mark(session, folder)])


def withdraw(session: ImapSession, folder: str, uids: list[int]) -> None:
    """The server refused the mail: remove the copy, it would claim a send that never was."""
    session.remove(folder, uids)


def sent_meta(msg: Any, from_address: str) -> dict[str, Any]:
    """What the queue keeps of a sent reply: enough to answer it again in the same thread."""
    from email.utils import getaddresses

    def addresses(name: str) -> list[str]:
        return [a for _n, a in getaddresses([str(v) for v in msg.get_all(name, [])]) if a]

    return {
        "message_id": str(msg["Message-ID"]),
        "subject": str(msg["Subject"]),
        "from": from_address,
        "to": addresses("To"),
        "cc": addresses("Cc"),
        "in_reply_to": str(msg["In-Reply-To"] or "").split(),
        "references": str(msg["References"] or "").split(),
    }

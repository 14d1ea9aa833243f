"""Turn one batch of parsed mail (every folder's new messages together) into conversations.

Headers thread the batch (``threading``); what ties it to earlier syncs goes with each
conversation for the queue to resolve, so the result does not depend on arrival order:
``refers_to`` holds every id the conversation's messages have or answer, and ``loose``
the subject evidence (each message offers its normalised subject with each customer
address it involves; a reply with no threading headers seeks the thread of its customer).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from herocli.channels.mail.cursor import MailCursor
from herocli.channels.mail.fetching import Fetched
from herocli.channels.mail.outgoing import DRAFT, SENDING
from herocli.channels.mail.parse import ParsedMail, parse_message
from herocli.channels.mail.smtp import REPLY_PREFIX
from herocli.channels.mail.subjects import is_reply_subject, normalise_subject
from herocli.channels.mail.threading import thread_keys
from herocli.exchange import Conversation, LooseLink
from herocli.models import Message, utc

__all__ = ["Incoming", "Threaded", "build_conversations", "content_key", "thread_batch"]

THRID_PREFIX = "gm:"
#: The marks ``outgoing`` puts on a Sent copy until the SMTP server has answered 250.
SENDING_MARKS = frozenset({SENDING, DRAFT})


@dataclass(frozen=True)
class Incoming:
    """One fetched message, parsed once, with the folder it was found in."""

    folder: str
    fetched: Fetched
    mail: ParsedMail


@dataclass(frozen=True)
class Threaded:
    """A batch parsed and threaded, and the thread keys threading it noted in the cursor."""

    conversations: list[Conversation]
    thread_of: dict[str, str]
    subjects: dict[str, str]

    def note(self, state: MailCursor) -> None:
        """Note in ``state`` what threading the batch noted (in a worker, in its copy)."""
        state.thread_of.update(self.thread_of)
        state.subjects.update(self.subjects)


def thread_batch(
    messages: Sequence[tuple[str, Fetched]],
    state: MailCursor,
    ours: Callable[[str], bool],
    now: datetime,
) -> Threaded:
    """Parse and thread one batch of fetched mail (with the folder each was found in)."""
    batch = [Incoming(folder, fetched, _parse(fetched)) for folder, fetched in messages]
    conversations = build_conversations(batch, state, ours, now)
    gmail = (f"{THRID_PREFIX}{i.fetched.gm_thrid}" for i in batch if i.fetched.gm_thrid)
    return Threaded(
        conversations,
        {i.mail.message_id: state.thread_of[i.mail.message_id] for i in batch},
        {key: state.subjects[key] for key in gmail},
    )


def _parse(fetched: Fetched) -> ParsedMail:
    mail = parse_message(fetched.raw)
    if fetched.listed:  # a large message: its attachments stayed on the server
        return replace(mail, attachments=(*mail.attachments, *fetched.listed))
    return mail


def content_key(mail: ParsedMail) -> str:
    """What tells two messages with one Message-ID apart: sender, date, subject and text."""
    when = mail.date.isoformat() if mail.date else ""
    text = "\x1f".join((mail.from_addr, when, mail.subject, mail.text))
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def _when(value: datetime | None) -> datetime:
    return utc(value) if value is not None else datetime.max.replace(tzinfo=UTC)


def build_conversations(
    batch: list[Incoming],
    state: MailCursor,
    ours: Callable[[str], bool],
    now: datetime,
    channel: str = "email",
) -> list[Conversation]:
    """Group ``batch`` into conversations, recording thread keys in ``state``."""
    keys = thread_keys([m.mail for m in batch], state.thread_of)
    grouped: dict[str, list[Incoming]] = {}
    for item in batch:
        mail = item.mail
        key = keys.get(mail.message_id) or state.thread_of.get(mail.message_id) or mail.message_id
        thrid = item.fetched.gm_thrid
        if thrid is not None:
            gmail_key = state.subjects.setdefault(f"{THRID_PREFIX}{thrid}", key)
            key = gmail_key
        state.thread_of[mail.message_id] = key
        grouped.setdefault(key, []).append(item)
    out = []
    for key, members in grouped.items():
        members.sort(key=lambda m: _when(m.mail.date))
        refers = dict.fromkeys(
            ref
            for member in members
            for ref in (member.mail.message_id, *member.mail.in_reply_to, *member.mail.references)
        )
        loose = [link for member in members for link in _evidence(member.mail, ours, now)]
        first = members[0].mail
        title = first.subject
        if first.message_id != key:
            # A later message of the thread: show the subject without its "Re:".
            title = REPLY_PREFIX.sub("", title)
        out.append(
            Conversation(
                channel=channel,
                external_id=key,
                title=title or "(no subject)",
                messages=tuple(_message(m, ours, now) for m in members),
                refers_to=tuple(refers),
                meta={"folder": members[0].folder},
                loose=tuple(loose),
                keeps_title=True,
            )
        )
    return out


def _evidence(mail: ParsedMail, ours: Callable[[str], bool], now: datetime) -> list[LooseLink]:
    subject = normalise_subject(mail.subject)
    if not subject:
        return []
    at = utc(mail.date) if mail.date else now
    people = [a for a in dict.fromkeys((mail.from_addr, *mail.to, *mail.cc)) if a and not ours(a)]
    links = [LooseLink(f"{subject}\x1f{a}", at) for a in people]
    if not mail.in_reply_to and not mail.references and is_reply_subject(mail.subject):
        # A reply without threading headers: the customer is its sender, or whom we wrote to.
        customer = (
            mail.from_addr
            if mail.from_addr and not ours(mail.from_addr)
            else next((a for a in mail.to if not ours(a)), "")
        )
        if customer:
            links.append(LooseLink(f"{subject}\x1f{customer}", at, seeks=True))
    return links


def _message(item: Incoming, ours: Callable[[str], bool], now: datetime) -> Message:
    mail, fetched = item.mail, item.fetched
    sender = mail.from_addr.lower()
    return Message(
        external_id=mail.message_id,
        author_id=sender,
        author_name=mail.from_name or mail.from_addr,
        sent_at=utc(mail.date) if mail.date else now,
        body=mail.text,
        team_hint=True if ours(sender) else None,
        attachments=tuple(mail.attachments),
        # Our copy still marked as sending: an SMTP send whose outcome nobody knows.
        unconfirmed=ours(sender) and bool(SENDING_MARKS.intersection(fetched.flags)),
        meta={
            "message_id": mail.message_id,
            "content_key": content_key(mail),
            "in_reply_to": list(mail.in_reply_to),
            "references": list(mail.references),
            "subject": mail.subject,
            "from": sender,
            "reply_to": list(mail.reply_to),
            "to": list(mail.to),
            "cc": list(mail.cc),
            "folder": item.folder,
            "uid": fetched.uid,
            "defects": list(mail.defects),
            **_trimmed(mail),
        },
    )


def _trimmed(mail: ParsedMail) -> dict[str, str | int]:
    """What ``shown_text`` shows of the message: nothing to say when it is all of it, how
    many characters when it is the text's beginning (the reply above its quote), else the
    text to show. The text is written once, not twice, and the queue stays smaller."""
    shown, text = mail.display_text, mail.text
    if not shown or shown == text:
        return {}
    if text.startswith(shown):
        return {"trimmed": len(shown)}
    return {"trimmed": shown}

"""The email grouping without a server: parsed mail, batch by batch, into a real queue.

``build_conversations`` groups each batch as a sync does; ``ingest`` files the result
into a real in-memory SQLite queue, where late parents and subject evidence merge items.
The server-backed tests drive the same code through IMAP.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from herocli.channels.mail.conversations import Incoming, build_conversations
from herocli.channels.mail.cursor import MailCursor
from herocli.channels.mail.imap import Fetched
from herocli.channels.mail.parse import ParsedMail, parse_message
from herocli.models import Message
from herocli.store import Store, ingest, queue
from herocli.store.queue import ItemFilter
from tests.clock import FakeClock

TEAM = frozenset({"hey@herocli.test", "hey@acme.dev", "hana@acme.dev"})


T0 = datetime(2024, 1, 1, 9, 0, tzinfo=UTC)
CUSTOMER = "cust@x.example"
US = "hey@herocli.test"


def mail(
    mid: str,
    *,
    refs: tuple[str, ...] = (),
    irt: tuple[str, ...] = (),
    subject: str = "Help",
    sender: str = CUSTOMER,
    to: tuple[str, ...] = (US,),
    minutes: float | None = 0,
    text: str = "",
) -> ParsedMail:
    """A parsed mail from the customer to us, ``minutes`` after T0 (None: no Date)."""
    return ParsedMail(
        message_id=mid,
        in_reply_to=irt,
        references=refs,
        subject=subject,
        from_name="",
        from_addr=sender,
        to=to,
        cc=(),
        reply_to=(),
        date=None if minutes is None else T0 + timedelta(minutes=minutes),
        text=text or f"text of {mid}",
        display_text=text or f"text of {mid}",
        attachments=(),
        defects=(),
    )


def ours(address: str) -> bool:
    return address.lower() in TEAM


class MailQueue:
    """A queue fed by batches of parsed mail, as successive syncs would feed it."""

    def __init__(self) -> None:
        self.store = Store.memory()
        self.state = MailCursor({}, {}, {})
        self.clock = FakeClock()
        self.uid = 0

    def deliver(self, batch: Iterable[ParsedMail], folder: str = "INBOX") -> None:
        self.deliver_from([(folder, mail) for mail in batch])

    def deliver_raw(self, batch: Iterable[tuple[str, bytes]]) -> None:
        """One sync that finds these raw messages, each in its folder."""
        self.deliver_from([(folder, parse_message(raw)) for folder, raw in batch])

    def deliver_from(self, batch: list[tuple[str, ParsedMail]]) -> None:
        incoming = []
        for folder, mail in batch:
            self.uid += 1
            incoming.append(Incoming(folder, Fetched(self.uid, b"", ()), mail))
        now = self.clock.now()
        # Each sync starts from the cursor the last one stored, as JSON, as a real sync does.
        self.state = MailCursor.load(json.loads(json.dumps(self.state.dump())))
        convs = build_conversations(incoming, self.state, ours, now)

        def is_team(m: Message) -> bool:
            return bool(m.team_hint)

        with self.store.transaction() as db:
            for conv in convs:
                ingest.ingest(db, conv, is_team, now)

    def items(self) -> dict[int, list[str]]:
        """Live item number → the Message-IDs of its messages (copies once each)."""
        found = queue.list_items(
            self.store.conn, ItemFilter(states=(), waiting=None), self.clock.now()
        )
        return {
            item.id: [
                str(m.message.meta.get("message_id"))
                for m in queue.messages(self.store.conn, item.id)
            ]
            for item in found
        }

    def groups(self) -> set[frozenset[str]]:
        """The partition of Message-IDs into items."""
        return {frozenset(ids) for ids in self.items().values()}

    def item_of(self, message_id: str) -> int:
        [found] = [n for n, ids in self.items().items() if message_id in ids]
        return found

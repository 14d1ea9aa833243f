"""Generated support conversations as real mail: every common client's reply shape.

A conversation is a customer's question and the answers back and forth; each reply is
written the way some client writes it (full References, In-Reply-To only, References
only, Outlook's truncated References, or no threading headers at all, so only the
subject ties it). Customers share subjects with each other, never with themselves, so a
header-less reply has exactly one right thread to go to.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from hypothesis import strategies as st

US = "hey@acme.dev"
SHAPES = ("full", "irt-only", "refs-only", "outlook", "bare")
SUBJECTS = ("Cannot log in", "Invoice", "Export fails", "Webhook timeout", "Refund")
START = datetime(2026, 10, 1, 8, 0, tzinfo=UTC)


@dataclass
class Mail:
    conversation: int
    message_id: str
    folder: str  # INBOX for the customer's mail, Sent for ours
    raw: bytes


@dataclass
class World:
    mails: list[Mail] = field(default_factory=list)

    def conversation_of(self) -> dict[str, int]:
        return {m.message_id: m.conversation for m in self.mails}


def _raw(
    *,
    sender: str,
    to: str,
    subject: str,
    when: datetime,
    mid: str,
    irt: str | None,
    refs: list[str],
    body: str,
) -> bytes:
    head = [
        f"From: {sender}",
        f"To: {to}",
        f"Subject: {subject}",
        f"Date: {format_datetime(when)}",
        f"Message-ID: {mid}",
    ]
    if irt:
        head.append(f"In-Reply-To: {irt}")
    if refs:
        head.append(f"References: {' '.join(refs)}")
    head += ["MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8"]
    return ("\r\n".join(head) + "\r\n\r\n" + body + "\r\n").encode()


@st.composite
def worlds(draw: st.DrawFn, max_conversations: int = 6, max_messages: int = 5) -> World:
    """Conversations of 1-3 customers, each a tree of replies in the clients' shapes."""
    customers = [f"cust{n}@c{n}.example" for n in range(draw(st.integers(1, 3)))]
    count = draw(st.integers(1, max_conversations))
    world = World()
    used: dict[str, int] = {}
    for c in range(count):
        customer = draw(st.sampled_from(customers))
        if used.get(customer, 0) >= len(SUBJECTS):
            continue
        subject = SUBJECTS[used.get(customer, 0)]
        used[customer] = used.get(customer, 0) + 1
        start = START + timedelta(hours=draw(st.integers(0, 24 * 20)))
        chain: list[tuple[str, list[str], str | None]] = []  # (id, references, in-reply-to)
        for n in range(draw(st.integers(1, max_messages))):
            mid = f"<c{c}.m{n}.{customer.split('@')[0]}@{'acme.dev' if n % 2 else 'c.example'}>"
            when = start + timedelta(hours=3 * n, minutes=draw(st.integers(0, 120)))
            ours = n % 2 == 1
            irt: str | None = None
            refs: list[str] = []
            re = ""
            if n:
                re = "Re: "
                parent_index = draw(st.integers(0, n - 1))
                parent_id, parent_refs, parent_irt = chain[parent_index]
                full = parent_refs or ([parent_irt] if parent_irt else [])
                shape = draw(st.sampled_from(SHAPES))
                if shape == "full":
                    irt, refs = parent_id, [*full, parent_id]
                elif shape == "irt-only":
                    irt = parent_id
                elif shape == "refs-only":
                    refs = [*full, parent_id]
                elif shape == "outlook":
                    irt, refs = parent_id, [*full[:1], parent_id] if full else [parent_id]
            chain.append((mid, refs, irt))
            world.mails.append(
                Mail(
                    conversation=c,
                    message_id=mid,
                    folder="Sent" if ours else "INBOX",
                    raw=_raw(
                        sender=f"Acme <{US}>" if ours else customer,
                        to=customer if ours else US,
                        subject=re + subject,
                        when=when,
                        mid=mid,
                        irt=irt,
                        refs=refs,
                        body=f"message {n} of conversation {c}",
                    ),
                )
            )
    return world


@st.composite
def deliveries(draw: st.DrawFn, world: World) -> list[list[Mail]]:
    """The world's mail in a random order, cut into random batches (one per sync)."""
    order = draw(st.permutations(world.mails))
    batches: list[list[Mail]] = []
    rest = list(order)
    while rest:
        size = draw(st.integers(1, max(1, len(rest))))
        batches.append(rest[:size])
        rest = rest[size:]
    return batches


def splits_and_mixes(
    groups: set[frozenset[str]], conversation_of: dict[str, int]
) -> tuple[int, int]:
    """(extra items beyond one per conversation, items holding two conversations)."""
    mixed = sum(1 for g in groups if len({conversation_of[m] for m in g}) > 1)
    per_conversation: dict[int, int] = {}
    for g in groups:
        for conv in {conversation_of[m] for m in g}:
            per_conversation[conv] = per_conversation.get(conv, 0) + 1
    split = sum(n - 1 for n in per_conversation.values())
    return split, mixed


def describe(batches: list[list[Mail]]) -> str:
    """The deliveries in a line a mail each: enough to replay a failure by hand."""
    lines = []
    for n, batch in enumerate(batches):
        for m in batch:
            head = m.raw.split(b"\r\n\r\n", 1)[0].decode()
            fields = dict(line.split(": ", 1) for line in head.split("\r\n"))
            lines.append(
                f"sync {n}: {m.message_id} {m.folder} {fields['Date'][5:22]} "
                f"{fields['Subject']!r} irt={fields.get('In-Reply-To', '-')} "
                f"refs={fields.get('References', '-')}"
            )
    return "\n".join(lines)

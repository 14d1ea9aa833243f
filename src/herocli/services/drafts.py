"""Drafts of replies: what the hero wrote is kept per item until sent or discarded.

The CLI saves a draft as soon as the editor closes, so a declined, postponed
or interrupted reply is there the next time; the TUI uses the same calls.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from herocli.models import Clock
from herocli.store import Store, drafts

#: hero's own block under the text: everything from this line down is dropped, as git does.
SCISSORS = "# ------------------------ >8 ------------------------"
_SCISSORS_NOTE = (
    "# Do not change or remove the line above.",
    "# Everything below it is ignored; an empty reply sends nothing.",
)


@dataclass(frozen=True)
class Draft:
    item_id: int
    body: str
    saved_at: datetime


def load(store: Store, item_id: int) -> Draft | None:
    """The draft kept for the item, if any."""
    found = drafts.get(store.conn, item_id)
    return None if found is None else Draft(item_id, found[0], found[1])


def save(store: Store, clock: Clock, item_id: int, body: str) -> Draft:
    """Keep ``body`` as the item's draft (an empty body keeps nothing)."""
    now = clock.now()
    with store.transaction() as db:
        if body.strip():
            drafts.put(db, item_id, body, now)
        else:
            drafts.delete(db, item_id)
    return Draft(item_id, body, now)


def discard(store: Store, item_id: int) -> bool:
    """Forget the item's draft; whether there was one."""
    with store.transaction() as db:
        return drafts.delete(db, item_id)


def with_scissors(body: str, below: list[str]) -> str:
    """The editor's text: ``body`` to edit, then the scissors line and hero's own block."""
    head = body.rstrip("\n")
    lines = [head, "", SCISSORS, *_SCISSORS_NOTE, *below]
    return "\n".join(lines) + "\n"


def cut_at_scissors(text: str) -> str:
    """What the hero wrote: the text above the scissors line, every other line kept as
    written (Markdown headings and "#2291" included), surrounding blank lines dropped."""
    lines = text.splitlines()
    if SCISSORS in lines:
        lines = lines[: lines.index(SCISSORS)]
    body = "\n".join(lines).strip("\n").rstrip()
    return body + "\n" if body else ""

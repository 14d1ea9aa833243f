"""An item as the queue reads it: the columns of its row, and the ``Item`` they make.

A listing makes one ``Item`` per row, and that cost more than reading the rows:
here the enum members are looked up by their text, and the record is made from
its values without a call by keyword. An item's ``meta`` stays JSON text until
it is read (``JsonMeta``): piped rows show nothing from it, so a listing piped to
another program decodes no item's meta and never imports ``json`` for it. The two
keys a listing shows (``LISTED_KEYS``: whose turn is provisional, why it closed) are
read by SQLite with the row, so a table or ``--json`` decodes no meta either.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from herocli.models import Item, ItemState, RemoteState
from herocli.records import from_values
from herocli.store.timefmt import from_db

# The keys of meta every listing reads (render.rows, render.items).
LISTED_KEYS = ("provisional", "why")
_COLUMNS = [
    "i.id",
    "i.channel",
    "i.external_id",
    "i.title",
    "i.url",
    "i.state",
    "i.snoozed_until",
    "i.remote_state",
    "i.assignee",
    "i.created_at",
    "i.updated_at",
    "i.closed_at",
    "i.message_count",
    "i.first_message_at",
    "i.last_message_at",
    "i.last_author",
    "i.last_from_team",
    "i.waiting_since",
    "i.meta",
    "i.reply_uncertain",
    # Each listed key's JSON type ('' when the key is not there) and value; NULL both for
    # meta that is not JSON, so only a reader of it fails, as before. A value is read only
    # from meta with no \u escape in it: SQLite would cut a string at an escaped NUL, and
    # hand Python's sqlite3 a lone surrogate it cannot decode (then json reads it).
    *(
        column
        for key in LISTED_KEYS
        for column in (
            f"CASE WHEN json_valid(i.meta) THEN ifnull(json_type(i.meta, '$.{key}'), '') END",
            f"CASE WHEN json_valid(i.meta) AND instr(i.meta, '\\u') = 0 "
            f"THEN json_extract(i.meta, '$.{key}') END",
        )
    ),
]
# The columns ``item_from_row`` reads, in this order, from the start of a row (a listing
# adds one).
ITEM_COLUMNS = ", ".join(_COLUMNS)
_ITEM_WIDTH = len(_COLUMNS)
_FIELDS_READ = _ITEM_WIDTH - 2 * len(LISTED_KEYS)
_LISTED_AT = {key: 2 * n for n, key in enumerate(LISTED_KEYS)}
_MISSING: Any = object()
_UNKNOWN: Any = object()
# The JSON types SQLite names whose value json.loads gives is known from the type alone
# (a string is the value extracted; a number, list or object is left to json).
_SCALARS: dict[str | None, Any] = {"": _MISSING, "null": None, "true": True, "false": False}


class JsonMeta(Mapping[str, Any]):
    """A read-only mapping over a JSON object's text, decoded on first access.

    It compares equal to a ``dict`` of the same items, as any ``Mapping`` does;
    ``dict(meta)`` gives a plain copy (what ``json.dumps`` takes).

    A listing asks each item for a key or two (``provisional``, ``why``), and
    decoding costs more than the rest of an item's ``--json`` entry: those keys
    are answered from what SQLite read with the row (``LISTED_KEYS``), and any
    other key whose name is not in the text at all is missing without decoding.
    """

    __slots__ = ("_data", "_listed", "_text")

    def __init__(self, text: str, listed: tuple[Any, ...] = ()) -> None:
        self._text = text
        self._data: dict[str, Any] | None = None
        # The JSON type and value of each of LISTED_KEYS, as SQLite read them with the row.
        self._listed = listed

    def _known(self, key: str) -> Any:
        """``key``'s value as SQLite told it, ``_MISSING`` if not there, else ``_UNKNOWN``."""
        at = _LISTED_AT.get(key) if self._listed else None
        if at is None:
            return _UNKNOWN
        kind, value = self._listed[at], self._listed[at + 1]
        if kind == "text":
            return _UNKNOWN if value is None else value  # None: not read (see _COLUMNS)
        return _SCALARS.get(kind, _UNKNOWN)

    def _decoded(self) -> dict[str, Any]:
        if self._data is None:
            import json  # here: only a reader of meta pays for json

            self._data = json.loads(self._text)
        return self._data

    def get(self, key: str, default: Any = None) -> Any:
        if self._data is None and type(key) is str:
            value = self._known(key)
            if value is not _UNKNOWN:
                return default if value is _MISSING else value
            # JSON writes a key as its characters in quotes, escaping only quotes,
            # backslashes, controls and (json.dumps, which wrote every stored meta) what
            # is not ASCII: an ASCII identifier is in the text as itself, wherever it is a key.
            if key.isascii() and key.isidentifier() and f'"{key}"' not in self._text:
                return default
        return self._decoded().get(key, default)

    def __getitem__(self, key: str) -> Any:
        value = self.get(key, _MISSING)
        if value is _MISSING:
            raise KeyError(key)
        return value

    def __contains__(self, key: object) -> bool:
        return self.get(key, _MISSING) is not _MISSING  # type: ignore[arg-type]

    def __iter__(self) -> Iterator[str]:
        return iter(self._decoded())

    def __len__(self) -> int:
        return len(self._decoded())

    def __repr__(self) -> str:
        return repr(self._decoded())


# Each state by its stored text: a lookup here costs a tenth of calling the enum, and a
# listing reads one or two per item. A text no member has is still the enum's ValueError.
_STATES = {state.value: state for state in ItemState}
_REMOTE_STATES = {state.value: state for state in RemoteState}


def item_from_row(row: tuple[Any, ...], labels: tuple[str, ...], now: datetime) -> Item:
    """The item of a row whose first columns are ``ITEM_COLUMNS``; a due snooze reads as open."""
    (
        id_,
        channel,
        external_id,
        title,
        url,
        state_text,
        snoozed_text,
        remote_text,
        assignee,
        created_at,
        updated_at,
        closed_at,
        message_count,
        first_message_at,
        last_message_at,
        last_author,
        last_from_team,
        waiting_since,
        meta,
        reply_uncertain,
    ) = row[:_FIELDS_READ]
    state = _STATES.get(state_text) or ItemState(state_text)
    snoozed_until = None if snoozed_text is None else from_db(snoozed_text)
    if state is ItemState.SNOOZED and snoozed_until is not None and snoozed_until <= now:
        state = ItemState.OPEN
    remote_state = (
        (_REMOTE_STATES.get(remote_text) or RemoteState(remote_text)) if remote_text else None
    )
    # Every field of Item, in its order (tests/test_item_rows.py holds them to it):
    # a listing makes an item per row, and a call by keyword costs it more than the row.
    return from_values(
        Item,
        (
            id_,
            channel,
            external_id,
            title,
            url,
            state,
            snoozed_until if state is ItemState.SNOOZED else None,
            remote_state,
            assignee,
            labels,
            from_db(created_at),
            from_db(updated_at),
            None if closed_at is None else from_db(closed_at),
            message_count,
            None if first_message_at is None else from_db(first_message_at),
            None if last_message_at is None else from_db(last_message_at),
            last_author,
            None if last_from_team is None else bool(last_from_team),
            None if waiting_since is None else from_db(waiting_since),
            JsonMeta(meta, row[_FIELDS_READ:_ITEM_WIDTH]),
            bool(reply_uncertain),
        ),
    )

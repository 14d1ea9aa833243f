"""The IMAP commands on messages in one folder: finding them, their flags, moving,
deleting and appending.

``ImapSession`` (``channels/mail/imap.py``) has them from here: it brings the
connection, its error mapping and the folder selection they run in.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from herocli.channels.mail.fetching import as_text, uidset


class FolderCommands:
    """Searches and writes in one folder at a time, selected read-write first."""

    # What the session brings (see ImapSession).
    client: Any
    capabilities: frozenset[str]
    ensure_selected: Callable[[str], None]
    _errors: Callable[[str], AbstractContextManager[None]]

    def find_by_message_id(self, folder: str, message_id: str) -> list[int]:
        """UIDs in ``folder`` whose Message-ID header is ``message_id``."""
        self.ensure_selected(folder)
        with self._errors(f"search {folder!r}"):
            uids = self.client.search(["HEADER", "Message-ID", message_id])
        return sorted(int(u) for u in uids)

    def uids_present(self, folder: str, uids: list[int]) -> list[int]:
        """Those of ``uids`` still in ``folder``."""
        self.ensure_selected(folder)
        with self._errors(f"search {folder!r}"):
            found = self.client.search(["UID", uidset(uids)]) if uids else []
        return sorted(int(u) for u in found)

    def flags_of(self, folder: str, uids: list[int]) -> dict[int, tuple[str, ...]]:
        """The flags and keywords of ``uids`` in ``folder``."""
        if not uids:
            return {}
        self.ensure_selected(folder)
        with self._errors(f"read flags in {folder!r}"):
            answers = self.client.get_flags(uids)
        return {int(uid): tuple(as_text(f) for f in flags) for uid, flags in answers.items()}

    def remove(self, folder: str, uids: list[int]) -> None:
        """Delete ``uids`` from ``folder`` (only these: UID EXPUNGE where the server has it)."""
        if not uids:
            return
        self.ensure_selected(folder)
        with self._errors(f"delete messages in {folder!r}"):
            self.client.delete_messages(uids)
            if "UIDPLUS" in self.capabilities:
                self.client.expunge(uids)

    def add_flags(self, folder: str, uids: list[int], flags: list[str]) -> None:
        """Set ``flags`` on ``uids`` in ``folder`` (nothing to do for no UIDs)."""
        self._store_flags(folder, uids, flags, add=True)

    def remove_flags(self, folder: str, uids: list[int], flags: list[str]) -> None:
        """Clear ``flags`` on ``uids`` in ``folder`` (nothing to do for no UIDs)."""
        self._store_flags(folder, uids, flags, add=False)

    def _store_flags(self, folder: str, uids: list[int], flags: list[str], *, add: bool) -> None:
        if not uids:
            return
        self.ensure_selected(folder)
        verb, store = (
            ("flag", self.client.add_flags) if add else ("unflag", self.client.remove_flags)
        )
        with self._errors(f"{verb} messages in {folder!r}"):
            store(uids, flags, silent=True)

    def move(self, folder: str, uids: list[int], target: str) -> None:
        if not uids:
            return
        self.ensure_selected(folder)
        with self._errors(f"move messages to {target!r}"):
            if not self.client.folder_exists(target):
                self.client.create_folder(target)
            if "MOVE" in self.capabilities:
                self.client.move(uids, target)
            else:
                self.client.copy(uids, target)
                self.client.delete_messages(uids)
                # UID EXPUNGE touches only these messages, not others marked \Deleted.
                if "UIDPLUS" in self.capabilities:
                    self.client.expunge(uids)
                else:
                    self.client.expunge()

    def append(self, folder: str, raw: bytes, flags: tuple[str, ...] = ()) -> None:
        with self._errors(f"file the message in {folder!r}"):
            self.client.append(folder, raw, flags=flags)

"""One folder's part in a sync: its new UIDs, taken a batch at a time, and its cursor state."""

from __future__ import annotations

from herocli.channels.mail.imap import FolderStatus
from herocli.models import JSON

__all__ = ["FolderPlan", "unchanged"]


class FolderPlan:
    """One folder's new UIDs, taken a batch at a time, and the cursor state they lead to."""

    def __init__(
        self,
        folder: str,
        status: FolderStatus,
        new_uids: list[int],
        last_uid: int,
        modseq: int | None,
        sizes: dict[int, int],
    ) -> None:
        self.folder = folder
        self.sizes = sizes
        self.status = status
        self.new_uids = new_uids
        self.last_uid = last_uid
        self.modseq = modseq
        self.done = 0

    @property
    def remaining(self) -> bool:
        """Whether UIDs are left to take."""
        return self.done < len(self.new_uids)

    def peek(self, count: int) -> list[int]:
        """The UIDs ``take(count)`` would give next."""
        return self.new_uids[self.done : self.done + count]

    def take(self, count: int) -> list[int]:
        """The next ``count`` UIDs (fewer at the end), noted as taken."""
        uids = self.new_uids[self.done : self.done + count]
        self.done += len(uids)
        if uids:
            self.last_uid = max(uids)
        return uids

    def cursor_state(self) -> JSON:
        """The folder's cursor entry once what was taken is stored."""
        state: JSON = {
            "uidvalidity": self.status.uidvalidity,
            "uidnext": self.status.uidnext,
            "exists": self.status.exists,
            "highestmodseq": self.status.highestmodseq,
            "last_uid": self.last_uid,
        }
        if self.remaining:
            # The counts SELECT gave only describe the folder once every UID below UIDNEXT is in.
            state.update(uidnext=0, exists=-1, highestmodseq=self.modseq)
        return state


def unchanged(known: JSON, status: FolderStatus) -> bool:
    """Whether SELECT says the folder is as the cursor left it."""
    return (
        known.get("uidnext") == status.uidnext
        and known.get("exists") == status.exists
        and (status.highestmodseq is None or known.get("highestmodseq") == status.highestmodseq)
    )

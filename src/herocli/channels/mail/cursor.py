"""The email channel's cursor: per-folder IMAP state and Gmail's thread ids."""

from __future__ import annotations

from herocli.models import JSON

__all__ = ["CURSOR_VERSION", "MailCursor"]

CURSOR_VERSION = 1


class MailCursor:
    """The cursor, unpacked: folders, Message-ID → thread key, subject key → thread key.

    ``thread_of`` lives for one sync only (the pages of a first sync thread into each other
    through it); it is not stored, because the queue finds the item a later message joins
    by the ids the message refers to. Older cursors that stored it load without it.

    ``subject_times`` holds when each subject key last had mail (POSIX seconds); the cursor
    keeps it in the same string as the thread key, after a space (ids contain none).
    """

    def __init__(
        self,
        folders: dict[str, JSON],
        thread_of: dict[str, str],
        subjects: dict[str, str],
        sent: str | None = None,
        sent_setting: str | None = None,
        subject_times: dict[str, int] | None = None,
    ) -> None:
        self.folders = folders
        self.thread_of = thread_of
        self.subjects = subjects
        self.subject_times = subject_times if subject_times is not None else {}
        self.sent = sent  # None: not looked up yet; "": no Sent folder
        self.sent_setting = sent_setting

    @classmethod
    def load(cls, cursor: JSON) -> MailCursor:
        """Unpack a stored cursor; one of another version starts afresh."""
        if cursor.get("v") != CURSOR_VERSION:
            return cls({}, {}, {})
        subjects: dict[str, str] = {}
        times: dict[str, int] = {}
        for skey, value in dict(cursor.get("subjects", {})).items():
            thread, _, stamp = str(value).partition(" ")
            subjects[skey] = thread
            if stamp.lstrip("-").isdigit():
                times[skey] = int(stamp)
        return cls(
            {name: dict(value) for name, value in dict(cursor.get("folders", {})).items()},
            {},
            subjects,
            cursor.get("sent"),
            cursor.get("sent_setting"),
            times,
        )

    def dump(self) -> JSON:
        """The cursor as JSON, ready to store with the page it follows."""
        return {
            "v": CURSOR_VERSION,
            "folders": {name: dict(value) for name, value in self.folders.items()},
            "subjects": {
                skey: f"{thread} {self.subject_times[skey]}"
                if skey in self.subject_times
                else thread
                for skey, thread in self.subjects.items()
            },
            "sent": self.sent,
            "sent_setting": self.sent_setting,
        }

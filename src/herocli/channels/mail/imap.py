"""One IMAP session over imapclient: connect, log in, and the few commands the channel needs
(those on the messages of one folder are in ``folder_commands``).

Every failure leaves this module as a ``herocli.errors`` type: a rejected login
is an ``AuthError`` naming the variable the password came from, a server that
cannot be reached an ``UnreachableError`` naming host:port, anything else a
``ChannelError``.

``fetch_range`` sends ``UID FETCH`` itself rather than through
``IMAPClient.fetch``, which drops every answer whose UID was not listed and so
cannot serve ``n:*`` ranges.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any

from herocli.channels.mail.fetching import (
    Fetched,
    as_text,
    flags_of,
    plain_fetch_answers,
    size_of,
    thrid_of,
    uidset,
)
from herocli.channels.mail.folder_commands import FolderCommands
from herocli.channels.mail.wire import read_fetch
from herocli.config import EmailSettings
from herocli.errors import AuthError, ChannelError, HeroError, UnreachableError
from herocli.exchange import Secret

#: A message larger than this is read by its structure: headers and text parts, and the
#: attachments listed (name, type, size) but left on the server.
LARGE = 1 << 20
SENT_NAMES = ("Sent", "Sent Items", "Sent Messages", "Sent Mail", "INBOX.Sent", "INBOX/Sent")


@dataclass(frozen=True)
class PendingFetch:
    """A ``UID FETCH`` sent and not yet read (see ``ImapSession.start_fetch``)."""

    uids: tuple[int, ...]
    small: tuple[int, ...]
    tag: Any
    sizes: dict[int, int]


class FolderMissingError(ChannelError):
    """SELECT failed because the folder does not exist (the channel syncs the others)."""


@dataclass(frozen=True)
class FolderStatus:
    """What SELECT says about a folder."""

    name: str
    uidvalidity: int
    uidnext: int
    exists: int
    highestmodseq: int | None


class ImapSession(FolderCommands):
    """A logged-in IMAP connection; use as a context manager or call ``logout``."""

    def __init__(
        self,
        settings: EmailSettings,
        credential: Secret,
        *,
        oauth2: bool = False,
    ) -> None:
        self.settings = settings
        self.credential = credential
        self.oauth2 = oauth2
        self.where = f"{settings.imap_host}:{settings.imap_port}"
        self.client: Any = None
        self.capabilities: frozenset[str] = frozenset()
        self.selected: str | None = None  # selected read-write (for flags and moves)
        self.current: str | None = None  # selected either way (for fetching)
        self._sent: tuple[str | None] | None = None
        self._permanent: dict[str, tuple[str, ...]] = {}

    # --- connection -----------------------------------------------------------------
    def connect(self) -> ImapSession:
        from imapclient import IMAPClient, SocketTimeout
        from imapclient.exceptions import IMAPClientError, LoginError

        s = self.settings
        try:
            client = IMAPClient(
                s.imap_host,
                port=s.imap_port,
                ssl=s.imap_security == "ssl",
                timeout=SocketTimeout(connect=s.connect_timeout, read=s.read_timeout),
            )
        except (TimeoutError, ConnectionError, socket.gaierror, OSError) as exc:
            raise UnreachableError(
                f"cannot reach the IMAP server {self.where}: {exc}",
                hint="check [email] imap_host, imap_port and imap_security, and the network",
            ) from None
        except IMAPClientError as exc:
            # The connection was made but broke off (or spoke no IMAP) before the greeting
            # and CAPABILITY were through: imaplib says so with its own error, not OSError.
            raise UnreachableError(
                f"lost the IMAP server {self.where} before logging in: {exc}",
                hint="run the sync again; if it keeps failing, check [email] imap_port and "
                "imap_security",
            ) from None
        # imapclient turns imaplib's protocol trace on (debug 5) to feed its own logger, which
        # formats the repr of every line and literal read, message bodies included, whether
        # or not anything listens. hero logs no IMAP traffic (it would hold the mail).
        client._imap.debug = 0
        self.client = client
        with self._errors("log in"):
            if s.imap_security == "starttls":
                if b"STARTTLS" not in client.capabilities():
                    raise ChannelError(
                        f"the IMAP server {self.where} does not offer STARTTLS",
                        hint='set [email] imap_security = "ssl" (usually port 993)',
                    )
                client.starttls(ssl.create_default_context())
            try:
                if self.oauth2:
                    client.oauth2_login(s.username, self.credential.value)
                else:
                    client.login(s.username, self.credential.value)
            except LoginError:
                raise AuthError(
                    f"the IMAP server {self.where} rejected the login of {s.username!r} "
                    f"with the {'token' if self.oauth2 else 'password'} in {self.credential.source}",
                    hint=f"put a valid "
                    f"{'OAuth2 access token' if self.oauth2 else 'password (or app password)'} "
                    f"in {self.credential.source}",
                ) from None
            self.capabilities = frozenset(as_text(c).upper() for c in client.capabilities())
            if self.condstore:
                client.enable("CONDSTORE")
        return self

    @property
    def condstore(self) -> bool:
        return "CONDSTORE" in self.capabilities

    @property
    def gmail(self) -> bool:
        return "X-GM-EXT-1" in self.capabilities

    def logout(self) -> None:
        client, self.client = self.client, None
        if client is None:
            return
        with suppress(Exception):  # a dead connection needs no goodbye
            client.logout()
        with suppress(Exception):  # and its socket is closed even when LOGOUT was not said
            client.shutdown()

    def __enter__(self) -> ImapSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.logout()

    @contextmanager
    def _errors(self, doing: str) -> Iterator[None]:
        from imapclient.exceptions import IMAPClientError

        try:
            yield
        except HeroError:
            raise
        except (TimeoutError, ConnectionError, socket.gaierror, ssl.SSLError) as exc:
            raise UnreachableError(
                f"lost the IMAP server {self.where} while trying to {doing}: {exc}",
                hint="run the sync again; nothing is lost",
            ) from None
        except (IMAPClientError, OSError) as exc:
            raise ChannelError(
                f"the IMAP server {self.where} failed to {doing}: {exc}",
            ) from None

    # --- folders --------------------------------------------------------------------
    def select(self, folder: str, readonly: bool = True) -> FolderStatus:
        try:
            with self._errors(f"select {folder!r}"):
                info = self.client.select_folder(folder, readonly=readonly)
        except ChannelError as exc:
            if isinstance(exc, UnreachableError) or self._exists(folder):
                raise
            raise FolderMissingError(
                f"the IMAP server {self.where} has no folder {folder!r}",
                hint="check [email] folders and sent_folder in the config",
            ) from None
        self.selected = None if readonly else folder
        self.current = folder
        if not readonly:  # EXAMINE reports no permanent flags
            self._permanent[folder] = tuple(as_text(f) for f in info.get(b"PERMANENTFLAGS", ()))
        modseq = info.get(b"HIGHESTMODSEQ")
        return FolderStatus(
            name=folder,
            uidvalidity=int(info.get(b"UIDVALIDITY", 0)),
            uidnext=int(info.get(b"UIDNEXT", 0)),
            exists=int(info.get(b"EXISTS", 0)),
            highestmodseq=int(modseq) if modseq is not None and self.condstore else None,
        )

    def _exists(self, folder: str) -> bool:
        with self._errors("list folders"):
            return bool(self.client.folder_exists(folder))

    def ensure_selected(self, folder: str) -> None:
        if self.selected != folder:
            self.select(folder, readonly=False)

    def keeps_keyword(self, folder: str, keyword: str) -> bool:
        """Whether ``folder`` stores ``keyword`` for good (PERMANENTFLAGS has it or ``\\*``)."""
        if folder not in self._permanent:
            self.select(folder, readonly=False)
        return bool({"\\*", keyword} & set(self._permanent.get(folder, ())))

    def sent_folder(self) -> str | None:
        """The folder to file sent mail in: the configured one, the ``\\Sent`` one, or None."""
        if self._sent is None:
            self._sent = (self._find_sent_folder(),)
        return self._sent[0]

    def _find_sent_folder(self) -> str | None:
        wanted = self.settings.sent_folder
        if wanted == "none":
            return None
        with self._errors("list folders"):
            folders = self.client.list_folders()
            names = [as_text(name) for _flags, _sep, name in folders]
            if wanted != "auto":
                if wanted not in names:
                    self.client.create_folder(wanted)
                return wanted
            for flags, _sep, name in folders:
                if b"\\Sent" in flags or "\\Sent" in flags:
                    return as_text(name)
            for candidate in SENT_NAMES:
                if candidate in names:
                    return candidate
            self.client.create_folder("Sent")
            return "Sent"

    # --- fetching -------------------------------------------------------------------
    def fetch_range(
        self, uidset: str, items: list[str], modifiers: list[str] | None = None
    ) -> dict[int, dict[bytes, Any]]:
        """``UID FETCH uidset (items) [(modifiers)]``, every answer kept."""
        return self._read_fetch(self._send_fetch(uidset, items, modifiers))

    def _send_fetch(self, uidset: str, items: list[str], modifiers: list[str] | None = None) -> Any:
        """Send ``UID FETCH`` and return its tag; ``_read_fetch`` reads the answers."""
        with self._errors("fetch messages"):
            args = ["FETCH", uidset, "(" + " ".join(items) + ")"]
            if modifiers:
                args.append("(" + " ".join(modifiers) + ")")
            return self.client._imap._command("UID", *args)

    def _read_fetch(self, tag: Any) -> dict[int, dict[bytes, Any]]:
        from imapclient.response_parser import parse_fetch_response

        with self._errors("fetch messages"):
            typ, done, data = read_fetch(self.client._imap, tag)
            self.client._checkok("fetch", typ, done)
            if not data:
                return {}
            fast = plain_fetch_answers(data)
            if fast is not None:
                return fast
            parsed: dict[int, dict[bytes, Any]] = parse_fetch_response(data, False, True)
            return parsed

    def uids_after(self, last_uid: int) -> dict[int, int]:
        """UIDs above ``last_uid``, in order, each with its size if it is large (else 0).

        Two SEARCHes answer in a line each, where a FETCH of every size answers a line
        per message; only the large ones' sizes are fetched. ``n:*`` always answers the
        highest UID, which may be ≤ last.
        """
        span = f"{last_uid + 1}:*"
        with self._errors("search messages"):
            found = self.client.search(["UID", span])
            large = self.client.search(["UID", span, "LARGER", LARGE])
        sizes = dict.fromkeys(sorted(u for u in map(int, found) if u > last_uid), 0)
        big = sorted(u for u in map(int, large) if u in sizes)
        if big:
            for uid, data in self.fetch_range(uidset(big), ["UID", "RFC822.SIZE"]).items():
                if uid in sizes:
                    sizes[uid] = size_of(data)
        return sizes

    def fetch_messages(self, uids: list[int], sizes: dict[int, int] | None = None) -> list[Fetched]:
        """The messages ``uids``; those ``sizes`` says are large by their structure."""
        return self.finish_fetch(self.start_fetch(uids, sizes))

    def start_fetch(self, uids: list[int], sizes: dict[int, int] | None = None) -> PendingFetch:
        """Ask for the messages ``uids`` and return at once, so the server prepares them
        while the caller works; ``finish_fetch`` reads them. No other command may come
        between the two on this session."""
        sizes = sizes or {}
        small = [uid for uid in uids if sizes.get(uid, 0) <= LARGE]
        items = ["UID", "FLAGS", "BODY.PEEK[]"]
        if self.gmail:
            items.append("X-GM-THRID")
        tag = self._send_fetch(uidset(small), items) if small else None
        return PendingFetch(tuple(uids), tuple(small), tag, dict(sizes))

    def finish_fetch(self, pending: PendingFetch) -> list[Fetched]:
        """The messages ``start_fetch`` asked for, in its order; large ones by structure."""
        answers = self._read_fetch(pending.tag) if pending.tag is not None else {}
        by_uid = {}
        for uid in pending.small:
            data = answers.get(uid) or {}
            raw = data.get(b"BODY[]")
            if not raw:
                continue  # expunged between listing and fetching (some servers answer empty)
            by_uid[uid] = Fetched(
                uid=uid,
                raw=bytes(raw),
                flags=flags_of(data),
                gm_thrid=thrid_of(data),
            )
        for uid in pending.uids:
            if pending.sizes.get(uid, 0) > LARGE:
                found = self._fetch_by_structure(uid)
                if found is not None:
                    by_uid[uid] = found
        return [by_uid[uid] for uid in pending.uids if uid in by_uid]

    def _fetch_by_structure(self, uid: int) -> Fetched | None:
        """A large message without its attachments' bytes: headers and text parts only."""
        from herocli.channels.mail.structure import assemble, text_sections

        items = ["UID", "FLAGS", "BODYSTRUCTURE", "BODY.PEEK[HEADER]"]
        if self.gmail:
            items.append("X-GM-THRID")
        data = self.fetch_range(str(uid), items).get(uid)
        if data is None:
            return None
        sections, listed = text_sections(data.get(b"BODYSTRUCTURE"))
        if sections is None:  # one part, or a shape not worth the trouble: all of it
            whole = self.fetch_range(str(uid), ["UID", "BODY.PEEK[]"]).get(uid) or {}
            raw = bytes(whole.get(b"BODY[]") or b"")
            listed = ()
        else:
            wanted = [f"BODY.PEEK[{s}.MIME]" for s in sections]
            wanted += [f"BODY.PEEK[{s}]" for s in sections]
            parts = self.fetch_range(str(uid), ["UID", *wanted]).get(uid, {}) if sections else {}
            raw = assemble(
                bytes(data.get(b"BODY[HEADER]") or b""),
                [
                    (
                        bytes(parts.get(f"BODY[{s}.MIME]".encode()) or b""),
                        bytes(parts.get(f"BODY[{s}]".encode()) or b""),
                    )
                    for s in sections
                ],
            )
        return Fetched(
            uid=uid,
            raw=raw,
            flags=flags_of(data),
            gm_thrid=thrid_of(data),
            listed=listed,
        )

    def changes_since(
        self, modseq: int, last_uid: int
    ) -> tuple[dict[int, int], dict[int, tuple[str, ...]]]:
        """New UIDs above ``last_uid`` (with sizes) and flag changes at or below it, in one
        CONDSTORE fetch."""
        answers = self.fetch_range(
            "1:*", ["UID", "FLAGS", "RFC822.SIZE"], [f"CHANGEDSINCE {modseq}"]
        )
        new = {uid: size_of(data) for uid, data in sorted(answers.items()) if uid > last_uid}
        changed = {uid: flags_of(data) for uid, data in answers.items() if uid <= last_uid}
        return new, changed

"""The email model's ground truth: generated support mail in a real mailbox, and where it is.

A ``MailWorld`` writes mail the way clients and delivery do, through an IMAP
connection of its own (never through the channel under test): customers start
conversations and reply in every client's shape, teammates file answers into Sent,
mail is held back and delivered late, moved, expunged, flagged, and a folder is
rebuilt with a new UIDVALIDITY. Each message carries a token (``[m17]`` in its text,
``X-Model-Token`` in its header), so whatever hero makes of it, the test knows which
message of which conversation it is, who wrote it, and which folder holds it now.
"""

from __future__ import annotations

import base64
import quopri
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.header import Header
from email.utils import format_datetime
from urllib.parse import quote

from imapclient import IMAPClient

from herocli.store.threads import LOOSE_WINDOW
from tests.clock import FakeClock
from tests.mail_servers import ImapServer

HOME = "hey@acme.dev"
CUSTOMERS = ("carla@customer.example", "dmitri@kunde.example", "li@client.example")
TEAM_SENDERS = (f"Acme Support <{HOME}>", "Hana <hana@acme.dev>")
SUBJECTS = ("Cannot log in", "Invoice", "Rückerstattung", "Export fails")
SENT = "Sent"
WATCHED = ("INBOX", "Support", SENT)  # Sent is read too (sent_folder = "auto")
FOLDERS = (*WATCHED, "Archive")  # Archive is not watched
START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

# name → (declared charset or None, transfer encoding, codec, text, read back exactly)
CHARSETS: dict[str, tuple[str | None, str, str, str, bool]] = {
    "utf-8": ("utf-8", "8bit", "utf-8", "Grüße aus Köln, es geht nicht", True),
    "latin-1": ("iso-8859-1", "quoted-printable", "latin-1", "Ça ne marche pas, déjà vu", True),
    "koi8-r": ("koi8-r", "8bit", "koi8-r", "Здравствуйте, не работает вход", True),
    "big5": ("big5", "base64", "big5", "您好，無法登入系統", True),  # noqa: RUF001
    "wrong": ("us-ascii", "8bit", "utf-8", "naïve café, still broken", True),
    "undeclared-utf8": (None, "8bit", "utf-8", "Ärger mit dem Export", True),
    # Guessed by detection: the token must be there, the letters may not be.
    "undeclared-1252": (None, "8bit", "cp1252", "Déjà essayé, ça plante", False),
}
SHAPES = ("full", "irt-only", "refs-only", "outlook", "bare")
#: A message larger than the channel reads whole (imap.LARGE): its file stays on the server.
BIG = 1 << 20
BIG_NAMES = ("server-logs.zip", "Rechnung März.pdf", "скриншот.png")
TOKEN = re.compile(r"\[(m\d+)\]")


@dataclass
class Said:
    """One message of the ground truth."""

    token: str
    conv: int
    team: bool
    when: datetime
    message_id: str | None  # None: the mail has no Message-ID header
    chain: list[str]  # the References a reply to it carries
    target: str  # the folder it is (or is to be) delivered into
    raw: bytes | None = None  # None: hero's own reply, filed by the channel
    text: str | None = None  # what hero must read back exactly, when it must
    folder: str | None = None  # where it is upstream now; None: not delivered, or expunged
    refers: frozenset[str] = frozenset()  # the ids its In-Reply-To and References name
    answered: str | None = None  # for hero's replies: the token of the message answered
    attachments: tuple[str, ...] = ()  # the names of its attachments

    def ids(self) -> frozenset[str]:
        """Every id in its threading headers, its own included: what ties it to others."""
        return self.refers | {self.message_id} if self.message_id else self.refers


@dataclass
class Conv:
    number: int
    customer: str
    subject: str
    said: list[str] = field(default_factory=list)


def compose(
    *,
    token: str,
    sender: str,
    to: str,
    subject: str,
    when: datetime,
    message_id: str | None,
    in_reply_to: str | None,
    references: list[str],
    charset: str,
    attachment: tuple[str, int] | None = None,
) -> bytes:
    """A message as a client writes it; ``X-Model-Token`` lets the test find it again.

    ``attachment`` (a file name and a size in bytes) makes it multipart/mixed: the text,
    then the file, base64-encoded, its name RFC 2231-encoded when it is not ASCII.
    """
    declared, encoding, codec, text, _exact = CHARSETS[charset]
    if not subject.isascii():
        subject = Header(subject, "utf-8").encode()
    head = [f"From: {sender}", f"To: {to}", f"Subject: {subject}"]
    head.append(f"Date: {format_datetime(when)}")
    if message_id:
        head.append(f"Message-ID: {message_id}")
    if in_reply_to:
        head.append(f"In-Reply-To: {in_reply_to}")
    if references:
        head.append("References: " + "\r\n ".join(references))  # folded between ids
    content = "text/plain" + (f"; charset={declared}" if declared else "")
    # In brackets: IMAP SEARCH HEADER matches substrings, and m1 is in m12.
    head += [f"X-Model-Token: <{token}>", "MIME-Version: 1.0"]
    part = [f"Content-Type: {content}", f"Content-Transfer-Encoding: {encoding}"]
    body = f"{text} [{token}]\r\n".encode(codec)
    if encoding == "quoted-printable":
        body = quopri.encodestring(body).replace(b"\n", b"\r\n").replace(b"\r\r\n", b"\r\n")
    elif encoding == "base64":
        body = base64.encodebytes(body).replace(b"\n", b"\r\n")
    if attachment is None:
        return "\r\n".join([*head, *part]).encode() + b"\r\n\r\n" + body
    name, size = attachment
    boundary = f"model-{token}"
    head.append(f'Content-Type: multipart/mixed; boundary="{boundary}"')
    named = f'filename="{name}"' if name.isascii() else f"filename*=utf-8''{quote(name)}"
    file_head = [
        "Content-Type: application/octet-stream",
        "Content-Transfer-Encoding: base64",
        f"Content-Disposition: attachment; {named}",
    ]
    data = base64.encodebytes((bytes(range(256)) * (size // 256 + 1))[:size])
    return b"\r\n".join(
        [
            "\r\n".join(head).encode(),
            b"",
            f"--{boundary}".encode(),
            "\r\n".join(part).encode(),
            b"",
            body,
            f"--{boundary}".encode(),
            "\r\n".join(file_head).encode(),
            b"",
            data.replace(b"\n", b"\r\n"),
            f"--{boundary}--".encode(),
            b"",
        ]
    )


def message_id(token: str, style: int, domain: str) -> str | None:
    """A short id, a long Outlook/Exchange one (78+ characters), or none at all."""
    if style % 7 == 6:
        return None
    if style % 3 == 1:
        return f"<DB9PR07MB7851{token.upper()}A1B2C3D4E5F6A7B8C9D0E1F2@DB9PR07MB7851.eurprd07.prod.outlook.com>"
    return f"<{token}.{style}@{domain}>"


class Upstream:
    """The mailbox as other clients see it: one IMAP connection of the test's own."""

    def __init__(self, imap: ImapServer) -> None:
        self.c: IMAPClient = imap.client()
        self.missing: set[str] = set()  # folders deleted, made again when mail goes there

    def ensure(self, folder: str) -> None:
        """Make ``folder`` again if it was deleted (as a client does when mail goes there)."""
        if folder in self.missing:
            self.c.create_folder(folder)
            self.missing.discard(folder)

    def close(self) -> None:
        try:
            self.c.logout()
        except Exception:
            self.c.shutdown()

    def uid(self, folder: str, said: Said) -> int | None:
        """The UID of ``said`` in ``folder``, which is selected for what follows."""
        self.c.select_folder(folder)
        if said.raw is not None:
            found = self.c.search(["HEADER", "X-Model-Token", f"<{said.token}>"])
        else:
            found = self.c.search(["HEADER", "Message-ID", str(said.message_id)])
        return int(found[0]) if found else None

    def append(self, folder: str, raw: bytes, flags: tuple[bytes, ...] = ()) -> None:
        self.ensure(folder)
        self.c.append(folder, raw, flags=flags)

    def expunge(self, uid: int) -> None:
        """Delete the message ``uid`` of the selected folder, and only it."""
        self.c.delete_messages([uid])
        if self.c.has_capability("UIDPLUS"):
            self.c.expunge([uid])
        else:
            self.c.expunge()

    def move(self, uid: int, to: str) -> None:
        """Move the message ``uid`` of the selected folder to ``to``, as a client does."""
        self.ensure(to)
        if self.c.has_capability("MOVE"):
            self.c.move([uid], to)
        else:
            self.c.copy([uid], to)
            self.expunge(uid)


class MailWorld:
    """Every message ever written, by token, and the conversations they make up."""

    def __init__(self, imap: ImapServer, clock: FakeClock) -> None:
        self.up = Upstream(imap)
        for folder in FOLDERS:
            if not self.up.c.folder_exists(folder):
                self.up.c.create_folder(folder)
        self.clock = clock
        self.said: dict[str, Said] = {}
        self.convs: list[Conv] = []
        self.ever: set[str] = set()  # was in a watched folder at some time
        self.must: set[str] = set()  # in the queue after every completed sync (the test says)
        self.log: list[str] = []

    def close(self) -> None:
        self.up.close()

    def tick(self, minutes: int = 1) -> datetime:
        return self.clock.advance(minutes=minutes)

    def present(self) -> set[str]:
        """The tokens in a watched folder now."""
        return {t for t, s in self.said.items() if s.folder in WATCHED}

    def place(self, said: Said, folder: str | None) -> None:
        """``said`` is in ``folder`` now (None: expunged)."""
        said.folder = folder
        if folder in WATCHED:
            self.ever.add(said.token)

    def new_token(self) -> str:
        return f"m{len(self.said) + 1}"

    def _file(self, said: Said, hold: bool, flags: tuple[bytes, ...] = ()) -> None:
        self.said[said.token] = said
        self.convs[said.conv].said.append(said.token)
        if hold:
            self.log.append(f"held {said.token} for {said.target}")
            return
        assert said.raw is not None
        self.up.append(said.target, said.raw, flags)
        self.place(said, said.target)

    def _attachment(self, token: str, big: bool, b: int) -> tuple[str, int] | None:
        """For a big message: a file name (ASCII or not) and a size past ``BIG``."""
        if not big:
            return None
        name = BIG_NAMES[b % len(BIG_NAMES)]
        stem, dot, ext = name.rpartition(".")
        return f"{stem}-{token}{dot}{ext}", BIG + 4096 * (b % 8)

    def new_conversation(self, a: int, b: int, big: bool = False) -> list[str]:
        customer = CUSTOMERS[a % len(CUSTOMERS)]
        taken = sorted({c.subject for c in self.convs if c.customer == customer})
        free = [s for s in SUBJECTS if s not in taken]
        if taken and (b % 5 == 0 or not free):
            # A fresh mail (no "Re:") on a subject this customer wrote about before: a new
            # conversation all the same.
            subject = taken[b // 5 % len(taken)]
        else:
            subject = free[b % len(free)]
        conv = Conv(len(self.convs), customer, subject)
        self.convs.append(conv)
        token = self.new_token()
        mid = message_id(token, b, customer.split("@")[1])
        charset = list(CHARSETS)[a % len(CHARSETS)]
        when = self.tick()
        attachment = self._attachment(token, big, b)
        raw = compose(
            token=token,
            sender=customer,
            to=f"Acme <{HOME}>",
            subject=subject,
            when=when,
            message_id=mid,
            in_reply_to=None,
            references=[],
            charset=charset,
            attachment=attachment,
        )
        target = "INBOX" if b % 4 else "Support"
        said = Said(token, conv.number, False, when, mid, [mid] if mid else [], target, raw)
        said.text = CHARSETS[charset][3] if CHARSETS[charset][4] else None
        said.attachments = (attachment[0],) if attachment else ()
        self.log.append(
            f"{token}: conv {conv.number} new from {customer} {subject!r} id={mid}"
            f"{' with a big file' if big else ''}"
        )
        self._file(said, hold=a % 5 == 4)
        return [token]

    def _parent(self, conv: Conv, pick: int, with_id: bool) -> Said | None:
        candidates = [self.said[t] for t in conv.said]
        if with_id:
            candidates = [s for s in candidates if s.message_id]
        if not candidates:
            return None
        # Mostly the newest, sometimes an older one (a reply to the middle of the thread).
        return candidates[-1] if pick % 3 else candidates[pick // 3 % len(candidates)]

    def _named(self, conv: Conv, when: datetime) -> Conv | bool | None:
        """The conversation a reply without threading headers, from ``conv``'s customer on
        its subject and dated ``when``, belongs to (docs/email.md): of the conversations of
        that customer and subject with mail in the window before it, the one that started
        last; None when there is none, so it starts one. False when that is not certain:
        when the answer differs between the mail certainly in the queue and all that may
        be there by the time the reply is read, or when another such conversation wrote
        after the newest one started (a piece of it, waiting for a parent held back, looks
        to the queue like a thread that started later)."""

        def pick(known: Callable[[str], bool]) -> Conv | bool | None:
            active: list[tuple[datetime, datetime, Conv]] = []
            for c in self.convs:
                if c.customer != conv.customer or c.subject != conv.subject:
                    continue
                dates = [self.said[t].when for t in c.said if known(t)]
                dates = [d for d in dates if d <= when]
                if dates and max(dates) >= when - LOOSE_WINDOW:
                    active.append((min(dates), max(dates), c))
            if not active:
                return None
            started, _last, newest = max(active, key=lambda span: span[0])
            if any(last > started for _first, last, c in active if c is not newest):
                return False
            return newest

        sure = pick(lambda t: t in self.must)
        maybe = pick(lambda _t: True)
        return sure if sure is maybe else False

    def _start_from_reply(self, conv: Conv) -> Conv:
        """A new conversation that a reply without threading headers starts."""
        fresh = Conv(len(self.convs), conv.customer, conv.subject)
        self.convs.append(fresh)
        return fresh

    def reply(
        self, a: int, b: int, team: bool, big: bool = False, shape: str | None = None
    ) -> list[str]:
        if not self.convs:
            return []
        conv = self.convs[a % len(self.convs)]
        shape = shape or SHAPES[b % len(SHAPES)]
        if team and shape in ("bare", "refs-only"):
            shape = "full"
        when = self.tick(1 + b % 3)
        parent = self._parent(conv, b // 4, with_id=shape != "bare")
        if parent is None and team:
            return []
        if parent is None:
            shape = "bare"
        if shape == "bare":
            named = self._named(conv, when)
            if named is False:  # headers then, to a message that has an id to name
                shape, parent = "full", self._parent(conv, b // 4, with_id=True)
                if parent is None:
                    return []
            else:
                self.log.append(
                    "a reply without threading headers "
                    + ("joins its thread" if isinstance(named, Conv) else "starts a thread")
                )
                conv = named if isinstance(named, Conv) else self._start_from_reply(conv)
                parent = self._parent(conv, b // 4, with_id=False)
        token = self.new_token()
        sender = TEAM_SENDERS[a % 2] if team else conv.customer
        to = conv.customer if team else f"Acme <{HOME}>"
        domain = "acme.dev" if team else conv.customer.split("@")[1]
        mid = message_id(token, b // 2 + 1, domain)
        irt = parent.message_id if parent and shape in ("full", "irt-only", "outlook") else None
        refs = parent.chain if parent and shape in ("full", "refs-only") else []
        if parent and shape == "outlook":  # Outlook keeps the first and the last of the chain
            refs = list(dict.fromkeys([*parent.chain[:1], str(parent.message_id)]))
        charset = list(CHARSETS)[(a + b) % len(CHARSETS)]
        prefix = ("Re: ", "RE: ", "AW: ")[b % 3] if not team else "Re: "
        attachment = self._attachment(token, big, b)
        raw = compose(
            token=token,
            sender=sender,
            to=to,
            subject=prefix + conv.subject,
            when=when,
            message_id=mid,
            in_reply_to=irt,
            references=refs,
            charset=charset,
            attachment=attachment,
        )
        chain = [*(refs or ([irt] if irt else [])), *([mid] if mid else [])]
        target = SENT if team else ("INBOX", "INBOX", "Support")[b % 3]
        said = Said(token, conv.number, team, when, mid, chain, target, raw)
        said.refers = frozenset([*refs, *([irt] if irt else [])])
        said.text = CHARSETS[charset][3] if CHARSETS[charset][4] else None
        said.attachments = (attachment[0],) if attachment else ()
        who = "team" if team else "customer"
        to_whom = parent.token if parent else "nothing: a new conversation"
        self.log.append(
            f"{token}: conv {conv.number} {who} reply {shape} to {to_whom} id={mid} "
            f"at {when:%m-%d %H:%M}{' with a big file' if big else ''}"
        )
        self._file(said, hold=not team and a % 7 == 6, flags=(b"\\Seen",) if team else ())
        return [token]

    def reuse_id(self, a: int, b: int) -> list[str]:
        """A customer's message again under its Message-ID, with another date and text."""
        originals = [s for s in self.said.values() if s.raw and s.message_id and not s.team]
        if not originals:
            return []
        original = originals[a % len(originals)]
        assert original.raw is not None
        token = self.new_token()
        when = self.tick()
        head = original.raw.split(b"\r\n\r\n", 1)[0].decode()
        fields = dict(line.split(": ", 1) for line in head.split("\r\n") if ": " in line)
        refs = [r for r in original.chain if r != original.message_id]
        charset = list(CHARSETS)[b % len(CHARSETS)]
        raw = compose(
            token=token,
            sender=fields["From"],
            to=fields["To"],
            subject=self.convs[original.conv].subject,
            when=when,
            message_id=original.message_id,
            in_reply_to=fields.get("In-Reply-To"),
            references=refs,
            charset=charset,
        )
        said = Said(
            token, original.conv, False, when, original.message_id, original.chain, "INBOX", raw
        )
        said.refers = original.refers
        said.text = CHARSETS[charset][3] if CHARSETS[charset][4] else None
        self.log.append(f"{token}: conv {original.conv} reuses {original.token}'s id")
        self._file(said, hold=False)
        return [token]

    def deliver_held(self, a: int) -> list[str]:
        held = [s for s in self.said.values() if s.raw and s.folder is None]
        held = [s for s in held if s.token not in self.ever]
        if not held:
            return []
        said = held[a % len(held)]
        assert said.raw is not None
        self.up.append(said.target, said.raw)
        self.place(said, said.target)
        self.log.append(f"{said.token}: delivered late into {said.target}")
        return [said.token]

    def _somewhere(self, a: int) -> Said | None:
        placed = [s for s in self.said.values() if s.folder is not None]
        return placed[a % len(placed)] if placed else None

    def move(self, a: int, b: int) -> list[str]:
        said = self._somewhere(a)
        if said is None:
            return []
        assert said.folder is not None
        to = [f for f in FOLDERS if f != said.folder][b % (len(FOLDERS) - 1)]
        uid = self.up.uid(said.folder, said)
        assert uid is not None, f"{said.token} is not in {said.folder}"
        self.up.move(uid, to)
        self.log.append(f"{said.token}: moved {said.folder} -> {to}")
        self.place(said, to)
        return [said.token]

    def expunge(self, a: int) -> list[str]:
        said = self._somewhere(a)
        if said is None:
            return []
        assert said.folder is not None
        uid = self.up.uid(said.folder, said)
        assert uid is not None, f"{said.token} is not in {said.folder}"
        self.up.expunge(uid)
        self.log.append(f"{said.token}: expunged from {said.folder}")
        self.place(said, None)
        return [said.token]

    def flag(self, a: int, b: int) -> list[str]:
        said = self._somewhere(a)
        if said is None:
            return []
        assert said.folder is not None
        uid = self.up.uid(said.folder, said)
        assert uid is not None
        flag = (b"\\Seen", b"\\Answered", b"\\Flagged")[b % 3]
        if b % 2:
            self.up.c.add_flags([uid], [flag])
        else:
            self.up.c.remove_flags([uid], [flag])
        return []

    def rebuild(self, a: int) -> list[str]:
        """Delete a folder and make it again with the same mail: a new UIDVALIDITY."""
        folder = ("Support", SENT)[a % 2]
        self.up.ensure(folder)
        self.up.c.select_folder(folder)
        uids = self.up.c.search("ALL")
        data = self.up.c.fetch(uids, ["FLAGS", "BODY.PEEK[]"]) if uids else {}
        self.up.c.close_folder()
        self.up.c.delete_folder(folder)
        self.up.c.create_folder(folder)
        for uid in sorted(data):
            flags = tuple(f for f in data[uid][b"FLAGS"] if f != b"\\Recent")
            self.up.append(folder, bytes(data[uid][b"BODY[]"]), flags)
        self.log.append(f"{folder} rebuilt (new UIDVALIDITY)")
        return [t for t, s in self.said.items() if s.folder == folder]

    def drop_folder(self) -> list[str]:
        """A watched folder deleted in a mail client, its mail with it: the sync names it
        and syncs the others (docs/email.md)."""
        folder = "Support"
        if folder in self.up.missing:
            return []
        self.up.c.select_folder("INBOX")  # Dovecot hangs up on a client whose folder goes
        self.up.c.delete_folder(folder)
        self.up.missing.add(folder)
        gone = [t for t, s in self.said.items() if s.folder == folder]
        for token in gone:
            self.place(self.said[token], None)
        self.log.append(f"{folder} deleted with {gone}")
        return gone

    def change(self, kind: str, a: int, b: int) -> list[str]:
        """One upstream change; returns the tokens it touched."""
        if kind == "new":
            return self.new_conversation(a, b)
        if kind in ("customer", "team"):
            return self.reply(a, b, team=kind == "team")
        if kind == "bare":  # no threading headers: only the customer and subject tie it
            return self.reply(a, b, team=False, shape="bare")
        if kind == "big":  # over 1 MiB: a file attached to a new mail or a customer's reply
            if a % 2 and self.convs:
                return self.reply(a, b, team=False, big=True)
            return self.new_conversation(a, b, big=True)
        if kind == "reuse_id":
            return self.reuse_id(a, b)
        if kind == "late":
            return self.deliver_held(a)
        if kind == "move":
            return self.move(a, b)
        if kind == "expunge":
            return self.expunge(a)
        if kind == "flag":
            return self.flag(a, b)
        if kind == "drop_folder":
            return self.drop_folder()
        assert kind == "rebuild"
        return self.rebuild(a)

    def record(self, said: Said) -> None:
        """A message the hero sent through hero, filed in Sent by the channel itself."""
        self.said[said.token] = said
        self.convs[said.conv].said.append(said.token)
        self.place(said, said.target)

    def of(self, body: str) -> Said:
        """The message whose text this is (each holds exactly one token)."""
        found = TOKEN.findall(body)
        assert len(found) == 1, f"a message with tokens {found}: {body!r}"
        assert found[0] in self.said, f"a message nobody wrote: {body!r}"
        return self.said[found[0]]

    def threads(self, messages: list[Said]) -> list[set[str]]:
        """``messages`` grouped by header evidence alone: two belong together when their
        threading headers share an id (a reply and its parent, two replies to one parent,
        a reused Message-ID), or one is hero's reply to the other. What only the subject
        ties (a reply without headers) may stand apart until its thread is seen."""
        parent = {s.token: s.token for s in messages}

        def root(token: str) -> str:
            while parent[token] != token:
                token = parent[token]
            return token

        by_id: dict[str, str] = {}
        for s in messages:
            tied = [by_id[i] for i in s.ids() if i in by_id]
            if s.answered in parent:
                tied.append(str(s.answered))
            for other in tied:
                parent[root(other)] = root(s.token)
            for i in s.ids():
                by_id.setdefault(i, s.token)
        groups: dict[str, set[str]] = {}
        for s in messages:
            groups.setdefault(root(s.token), set()).add(s.token)
        return list(groups.values())

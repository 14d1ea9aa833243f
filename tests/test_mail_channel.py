"""The email channel against real servers: Dovecot and/or pymap for IMAP, aiosmtpd for SMTP."""

from __future__ import annotations

import email
import email.policy
import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest

from herocli.channels.mail import channel as channel_module
from herocli.channels.mail.channel import EmailChannel
from herocli.channels.mail.parse import parse_message
from herocli.channels.mail.smtp import reply_message_id
from herocli.config import EmailSettings, TeamSettings
from herocli.errors import AuthError, UnreachableError
from herocli.exchange import Conversation, FetchPage, OutgoingReply, Secret, SilentProgress, Thread
from herocli.models import TeamMember, shown_text
from herocli.records import replace
from herocli.services.sync import sync_channel
from herocli.store import Store, queue
from herocli.store.queue import ItemFilter
from tests.clock import FakeClock
from tests.contract import ChannelContract
from tests.mail_servers import (
    ImapServer,
    SmtpSink,
    free_port,
    imap_kinds,
    imap_server,
    pymap_available,
    smtp_sink,
)

pytestmark = pytest.mark.imap

KINDS = imap_kinds()
SUPPORT = "hey@acme.dev"
CUSTOMER = "carla@customer.example"
PASSWORD_ENV = "TEST_HERO_IMAP_PASSWORD"
SMTP_PASSWORD_ENV = "TEST_HERO_SMTP_PASSWORD"
_ids = itertools.count(1)


class DictSecrets:
    def __init__(self, values: dict[str, str]) -> None:
        self.values = values

    def secret(self, names: tuple[str, ...], purpose: str) -> Secret:
        for name in names:
            if name in self.values:
                return Secret(self.values[name], f"${name}")
        raise AuthError(f"no {purpose}: set {' or '.join('$' + n for n in names)}")


def mail(
    subject: str,
    body: str,
    *,
    sender: str = f"Carla Customer <{CUSTOMER}>",
    to: str = f"Acme Support <{SUPPORT}>",
    message_id: str | None = None,
    in_reply_to: str | None = None,
    references: str | None = None,
    date: datetime | None = None,
    extra: str = "",
) -> bytes:
    mid = message_id or f"<m{next(_ids)}.{id(body)}@customer.example>"
    when = date or datetime(2026, 11, 23, 8, 0, tzinfo=UTC) + timedelta(minutes=next(_ids))
    head = [
        f"From: {sender}",
        f"To: {to}",
        f"Subject: {subject}",
        f"Date: {format_datetime(when)}",
        f"Message-ID: {mid}",
    ]
    if in_reply_to:
        head.append(f"In-Reply-To: {in_reply_to}")
    if references:
        head.append(f"References: {references}")
    head += ["MIME-Version: 1.0", 'Content-Type: text/plain; charset="utf-8"']
    head += ["Content-Transfer-Encoding: 8bit"]
    text = "\r\n".join(head) + "\r\n" + extra + "\r\n" + body.replace("\n", "\r\n") + "\r\n"
    return text.encode("utf-8")


def mid_of(raw: bytes) -> str:
    return parse_message(raw).message_id


# --- fixtures ---------------------------------------------------------------------------
@pytest.fixture(scope="module", params=KINDS)
def imap_running(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ImapServer]:
    with imap_server(request.param, tmp_path_factory.mktemp(request.param)) as server:
        yield server


@pytest.fixture
def imap(imap_running: ImapServer) -> ImapServer:
    imap_running.reset()
    return imap_running


@pytest.fixture(scope="module")
def smtp_running() -> Iterator[SmtpSink]:
    with smtp_sink() as sink:
        yield sink


@pytest.fixture
def smtp(smtp_running: SmtpSink) -> SmtpSink:
    smtp_running.received.clear()
    return smtp_running


def local_settings(imap_port: int, username: str, smtp_port: int, address: str) -> EmailSettings:
    """Plain-text IMAP and SMTP on 127.0.0.1, INBOX watched, Sent found by itself."""
    return EmailSettings(
        imap_host="127.0.0.1",
        imap_port=imap_port,
        imap_security="none",
        username=username,
        password_env=PASSWORD_ENV,
        folders=("INBOX",),
        sent_folder="auto",
        smtp_host="127.0.0.1",
        smtp_port=smtp_port,
        smtp_security="none",
        from_address=address,
        allow_insecure=True,
    )


def settings_for(imap: ImapServer, smtp: SmtpSink | None = None, **overrides: Any) -> EmailSettings:
    smtp_port = smtp.port if smtp else free_port()
    return replace(local_settings(imap.port, imap.username, smtp_port, SUPPORT), **overrides)


def make_channel(imap: ImapServer, smtp: SmtpSink | None = None, **overrides: Any) -> EmailChannel:
    secrets = DictSecrets({PASSWORD_ENV: imap.password, SMTP_PASSWORD_ENV: "smtp-pass"})
    return EmailChannel(
        settings_for(imap, smtp, **overrides),
        secrets,
        FakeClock(),
        team_addresses=frozenset({"hana@acme.dev", "ravi@acme.dev"}),
        team_domains=("acme.dev",),
    )


def pages(channel: EmailChannel, cursor: dict[str, Any] | None = None) -> list[FetchPage]:
    return list(channel.fetch(cursor or {}, SilentProgress()))


def conversations(result: list[FetchPage]) -> list[Conversation]:
    return [c for p in result for c in p.conversations]


def thread_of(conversation: Conversation) -> Thread:
    return Thread(
        item_id=1,
        external_id=conversation.external_id,
        title=conversation.title,
        url=None,
        messages=conversation.messages,
    )


class CommandLog:
    """Record the IMAP commands a channel's connection sends.

    imapclient sends most commands through imaplib's ``_command`` and a few (ENABLE,
    SEARCH) through its own ``_raw_command``: both are wrapped, our code is not.
    """

    def __init__(self, channel: EmailChannel) -> None:
        session = channel._session
        assert session is not None
        client = session.client
        imap = client._imap
        self.commands: list[str] = []
        original = imap._command
        original_raw = client._raw_command

        def command(name: str, *args: Any) -> Any:
            first = args[0] if args else b""
            text = first.decode() if isinstance(first, bytes) else str(first)
            self.commands.append(f"{name} {text.strip(chr(34))}".strip())
            return original(name, *args)

        def raw_command(name: bytes, *args: Any, **kwargs: Any) -> Any:
            self.commands.append(name.decode() if isinstance(name, bytes) else str(name))
            return original_raw(name, *args, **kwargs)

        imap._command = command
        client._raw_command = raw_command


# --- the shared contract ----------------------------------------------------------------
class MailBackend:
    """A mailbox as the contract sees it: customers' mail in two watched folders, replies at
    the SMTP sink. New conversations go to INBOX and Later in turn; with one message per
    folder in a page, a third conversation makes a second page: a sync can stop between."""

    customer = CUSTOMER
    member = TeamMember("Hana", emails=("hana@acme.dev",))
    member_id = "hana@acme.dev"
    credential_variable = f"${PASSWORD_ENV}"
    # A page holds the next message of each folder (one per folder, see make_channel):
    # two conversations fill it, a third (in INBOX again) makes a second page.
    page_size = 2
    folders = ("INBOX", "Later")
    vanished_thread_error = None  # a reply goes to the customer's address all the same

    def __init__(self, imap: ImapServer, smtp: SmtpSink) -> None:
        self.imap = imap
        self.smtp = smtp
        self.threads: dict[str, list[str]] = {}
        self.minute = 0
        self.password: str | None = imap.password
        self.reachable = True
        with imap.client() as c:
            c.create_folder("Later")

    def _date(self) -> datetime:
        self.minute += 1
        return datetime(2026, 11, 23, 8, 0, tzinfo=UTC) + timedelta(minutes=self.minute)

    def make_channel(self) -> EmailChannel:
        # Closing flags the thread read, so a close reaches the mailbox.
        settings = settings_for(self.imap, self.smtp, close_action="flag", folders=self.folders)
        if not self.reachable:
            settings = replace(settings, imap_port=free_port(), smtp_port=free_port())
        channel = EmailChannel(
            settings,
            DictSecrets({PASSWORD_ENV: self.password} if self.password else {}),
            FakeClock(),
            team_addresses=frozenset({"hana@acme.dev", "ravi@acme.dev"}),
            team_domains=("acme.dev",),
        )
        channel.batch = 1
        return channel

    def start_conversation(self, title: str, body: str) -> None:
        raw = mail(title, body, date=self._date())
        self.threads[mid_of(raw)] = [mid_of(raw)]
        self.imap.append(self.folders[len(self.threads) % 2 - 1], raw)

    def customer_says(self, external_id: str, body: str) -> None:
        ids = self.threads[external_id]
        raw = mail(
            "Re: follow-up",
            body,
            in_reply_to=ids[-1],
            references=" ".join(ids),
            date=self._date(),
        )
        ids.append(mid_of(raw))
        self.imap.append("INBOX", raw)

    def _in_thread(self, external_id: str, raw: bytes) -> bool:
        parsed = parse_message(raw)
        return external_id in (parsed.message_id, *parsed.references, *parsed.in_reply_to)

    def _mailbox(self, external_id: str) -> list[tuple[str, int, tuple[bytes, ...], bytes]]:
        """(folder, uid, flags, raw) of the thread's mail in the watched folders."""
        return [
            (folder, uid, flags, raw)
            for folder in self.folders
            for uid, flags, raw in self.imap.messages(folder)
            if self._in_thread(external_id, raw)
        ]

    def remote_bodies(self, external_id: str) -> list[str]:
        """The customer's mail in the mailbox, then what the SMTP server was given to deliver."""
        delivered = [raw for _from, _to, raw in self.smtp.received]
        return [parse_message(raw).text for *_, raw in self._mailbox(external_id)] + [
            parse_message(raw).text for raw in delivered if self._in_thread(external_id, raw)
        ]

    def remote_closed(self, external_id: str) -> bool:
        flags = [flags for _folder, _uid, flags, _raw in self._mailbox(external_id)]
        assert flags, f"no mail of {external_id} in {self.folders}"
        return all(b"\\Seen" in f for f in flags)

    def remote_labels(self, external_id: str) -> list[str]:
        raise AssertionError("mail has no labels")

    def remote_assignees(self, external_id: str) -> list[str]:
        raise AssertionError("mail has no assignees")

    def revoke_credential(self) -> str:
        self.password = "revoked-password"
        return self.password

    def remove_credential(self) -> None:
        self.password = None

    def set_reachable(self, reachable: bool) -> None:
        self.reachable = reachable

    def delete_conversation(self, external_id: str) -> None:
        found = self._mailbox(external_id)
        for folder in {folder for folder, *_ in found}:
            self.imap.expunge(folder, [uid for f, uid, *_ in found if f == folder])


class TestEmailContract(ChannelContract):
    @pytest.fixture
    def backend(self, imap: ImapServer, smtp: SmtpSink) -> MailBackend:
        return MailBackend(imap, smtp)


# --- fetching ---------------------------------------------------------------------------
def test_first_sync_threads_and_marks_nothing_read(imap: ImapServer, smtp: SmtpSink) -> None:
    first = mail("Invoice missing", "Where is my November invoice?")
    root = mid_of(first)
    outlook = mail(
        "RE: Invoice missing", "Any news?", in_reply_to=root, extra="Thread-Index: AQHZ\r\n"
    )
    gmail = mail(
        "Re: Invoice missing",
        "Hello?\n\nOn Mon, Carla wrote:\n> Any news?",
        in_reply_to=mid_of(outlook),
        references=f"{root} {mid_of(outlook)}",
    )
    other = mail("Password reset", "The reset link has expired.", sender="dan@other.example")
    for raw in (first, outlook, gmail, other):
        imap.append("INBOX", raw)
    channel = make_channel(imap, smtp)
    result = pages(channel)
    convs = {c.external_id: c for c in conversations(result)}
    assert set(convs) == {root, mid_of(other)}
    thread = convs[root]
    assert [m.external_id for m in thread.messages] == [root, mid_of(outlook), mid_of(gmail)]
    assert thread.title == "Invoice missing"
    msg = thread.messages[2]
    assert msg.author_id == CUSTOMER
    assert msg.author_name == "Carla Customer"
    assert msg.sent_at.tzinfo is not None
    assert msg.team_hint is None
    assert msg.meta["message_id"] == mid_of(gmail)
    assert msg.meta["references"] == [root, mid_of(outlook)]
    assert "Hello?" in shown_text(msg)
    assert "> Any news?" not in shown_text(msg)
    assert "> Any news?" in msg.body
    assert root in thread.refers_to
    assert all(b"\\Seen" not in flags for _u, flags, _r in imap.messages("INBOX"))
    channel.shutdown()


def test_unchanged_mailbox_costs_one_select_per_folder(imap: ImapServer) -> None:
    imap.append("INBOX", mail("Hello", "Just saying hello."))
    channel = make_channel(imap, sent_folder="none")
    cursor = pages(channel)[-1].cursor
    log = CommandLog(channel)
    again = pages(channel, cursor)
    assert conversations(again) == []
    assert log.commands == ["EXAMINE INBOX"]
    channel.shutdown()


def test_unchanged_mailbox_with_sent_folder_costs_two_selects(imap: ImapServer) -> None:
    imap.append("INBOX", mail("Hello", "Just saying hello."))
    channel = make_channel(imap)
    cursor = pages(channel)[-1].cursor
    log = CommandLog(channel)
    pages(channel, cursor)
    assert [c.split()[0] for c in log.commands] == ["EXAMINE", "EXAMINE"]
    channel.shutdown()


def test_new_mail_is_fetched_once_in_batches(
    imap: ImapServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(channel_module, "BATCH", 3)
    raws = [mail(f"Question {n}", f"Body {n}") for n in range(7)]
    imap.append_many("INBOX", raws)
    channel = make_channel(imap, sent_folder="none")
    result = pages(channel)
    assert len(result) == 3
    assert [len(p.conversations) for p in result] == [3, 3, 1]
    # A sync resumed from a middle page picks up exactly where it stopped.
    resumed = pages(channel, result[0].cursor)
    assert sorted(c.external_id for c in conversations(resumed)) == sorted(
        mid_of(r) for r in raws[3:]
    )
    later = mail("Question late", "Late body")
    imap.append("INBOX", later)
    log = CommandLog(channel)
    final = pages(channel, result[-1].cursor)
    assert [c.external_id for c in conversations(final)] == [mid_of(later)]
    # With CONDSTORE one FETCH finds what is new and what changed; without, two SEARCHes
    # (every new UID, and the large ones) answer in a line each. Then the one new message.
    assert log.commands == (
        ["EXAMINE INBOX", "UID FETCH", "UID FETCH"]
        if imap.condstore
        else ["EXAMINE INBOX", "SEARCH", "SEARCH", "UID FETCH"]
    )
    channel.shutdown()


def test_highest_uid_returned_by_star_range_is_not_fetched_again(imap: ImapServer) -> None:
    imap.append("INBOX", mail("Only one", "Single message."))
    channel = make_channel(imap, sent_folder="none")
    cursor = pages(channel)[-1].cursor
    # UIDNEXT moves but nothing new stays: "last+1:*" then answers with the last UID.
    imap.append("INBOX", mail("Gone", "Expunged at once."))
    imap.expunge("INBOX", imap.uids("INBOX")[-1:])
    log = CommandLog(channel)
    again = pages(channel, cursor)
    assert conversations(again) == []
    if imap.condstore:
        assert log.commands[:2] == ["EXAMINE INBOX", "UID FETCH"]
    else:  # the SEARCHes answer only the old highest UID: nothing is fetched at all
        assert log.commands == ["EXAMINE INBOX", "SEARCH", "SEARCH"]
    channel.shutdown()


def test_uidvalidity_change_refetches_without_duplicates(imap: ImapServer, tmp_path: Path) -> None:
    raws = [mail("Broken export", "Export fails."), mail("Slow page", "The page is slow.")]
    imap.append_many("Support", raws)
    channel = make_channel(imap, folders=("Support",), sent_folder="none")
    store = Store.open(tmp_path / "queue.db")
    clock = FakeClock()
    first = sync_channel(store, channel, TeamSettings(), clock, SilentProgress())
    assert first.error is None
    assert first.new_items == 2
    with imap.client() as c:
        c.delete_folder("Support")
        c.create_folder("Support")
    newer = mail("Re: Broken export", "Still failing.", in_reply_to=mid_of(raws[0]))
    imap.append_many("Support", [*raws, newer])
    second = sync_channel(store, channel, TeamSettings(), clock, SilentProgress())
    assert second.error is None
    assert second.new_items == 0
    assert second.new_messages == 1
    items = queue.list_items(store.conn, ItemFilter(states=(), waiting=None), clock.now())
    assert len(items) == 2
    counts = sorted(i.message_count for i in items)
    assert counts == [1, 2]
    store.close()
    channel.shutdown()


def test_expunged_messages_leave_the_sync_consistent(imap: ImapServer) -> None:
    raws = [mail(f"Topic {n}", f"Body {n}") for n in range(3)]
    imap.append_many("INBOX", raws)
    channel = make_channel(imap, sent_folder="none")
    cursor = pages(channel)[-1].cursor
    imap.expunge("INBOX", imap.uids("INBOX")[:1])
    notes: list[str] = []

    class Progress(SilentProgress):
        def update(self, description: str, **_: Any) -> None:
            notes.append(description)

    after_expunge = list(channel.fetch(cursor, Progress()))
    assert conversations(after_expunge) == []
    assert any("expunged" in n for n in notes), notes
    cursor = after_expunge[-1].cursor
    assert cursor["folders"]["INBOX"]["exists"] == 2
    fresh = mail("Topic new", "New body")
    imap.append("INBOX", fresh)
    newer = pages(channel, cursor)
    assert [c.external_id for c in conversations(newer)] == [mid_of(fresh)]
    log = CommandLog(channel)
    assert conversations(pages(channel, newer[-1].cursor)) == []
    assert log.commands == ["EXAMINE INBOX"]
    channel.shutdown()


def test_flag_changes_use_changedsince_where_offered(imap: ImapServer) -> None:
    imap.append("INBOX", mail("Flags", "Flag me."))
    channel = make_channel(imap, sent_folder="none")
    cursor = pages(channel)[-1].cursor
    state = cursor["folders"]["INBOX"]
    with imap.client() as c:
        c.select_folder("INBOX")
        c.add_flags(c.search("ALL"), [b"\\Flagged"])
    log = CommandLog(channel)
    again = pages(channel, cursor)
    assert conversations(again) == []
    if imap.condstore:
        assert isinstance(state["highestmodseq"], int)
        assert log.commands == ["EXAMINE INBOX", "UID FETCH"]
        assert again[-1].cursor["folders"]["INBOX"]["highestmodseq"] > state["highestmodseq"]
    else:
        # Without CONDSTORE a flag change is invisible and costs nothing.
        assert state["highestmodseq"] is None
        assert log.commands == ["EXAMINE INBOX"]
    channel.shutdown()


def test_hero_replies_in_sent_join_their_threads(imap: ImapServer) -> None:
    first = mail("Refund", "I want a refund.")
    imap.append("INBOX", first)
    ours = mail(
        "Re: Refund",
        "Refund issued.",
        sender=f"Hana <{SUPPORT}>",
        to=CUSTOMER,
        in_reply_to=mid_of(first),
        references=mid_of(first),
    )
    imap.append(imap.sent_folder, ours)
    channel = make_channel(imap)
    convs = conversations(pages(channel))
    assert [c.external_id for c in convs] == [mid_of(first), mid_of(first)] or len(convs) == 1
    messages = [m for c in convs for m in c.messages]
    assert {c.external_id for c in convs} == {mid_of(first)}
    [reply] = [m for m in messages if m.external_id == mid_of(ours)]
    assert reply.team_hint is True
    assert reply.meta["folder"] == imap.sent_folder
    channel.shutdown()


def sync_into(store: Store, channel: EmailChannel) -> None:
    result = sync_channel(store, channel, TeamSettings(), FakeClock(), SilentProgress())
    assert result.error is None, result.error


def grouping(store: Store) -> dict[str, set[str]]:
    """Each live item's external id and the Message-IDs of its messages."""
    items = queue.list_items(store.conn, ItemFilter(states=(), waiting=None), FakeClock().now())
    return {
        item.external_id: {
            str(m.message.meta.get("message_id")) for m in queue.messages(store.conn, item.id)
        }
        for item in items
    }


def test_late_replies_thread_across_syncs(imap: ImapServer, tmp_path: Path) -> None:
    store = Store.open(tmp_path / "queue.db")
    first = mail("Cannot upload", "Uploads fail with 413.")
    imap.append("INBOX", first)
    channel = make_channel(imap, sent_folder="none")
    sync_into(store, channel)
    apple = mail(
        "Re: Cannot upload",
        "Any update?",
        in_reply_to=mid_of(first),
        references=mid_of(first),
        extra="X-Mailer: Apple Mail (2.3774)\r\n",
    )
    bare = mail("Re: Cannot upload", "Hello again, no headers this time.")
    imap.append_many("INBOX", [apple, bare])
    sync_into(store, channel)
    assert grouping(store) == {mid_of(first): {mid_of(first), mid_of(apple), mid_of(bare)}}
    # A reference cycle in a later sync neither loops nor splits the thread.
    a_id, b_id = "<cycle-a@customer.example>", "<cycle-b@customer.example>"
    a = mail("Re: Cannot upload", "A", message_id=a_id, references=f"{mid_of(first)} {b_id}")
    b = mail("Re: Cannot upload", "B", message_id=b_id, references=f"{mid_of(first)} {a_id}")
    imap.append_many("INBOX", [a, b])
    sync_into(store, channel)
    assert grouping(store) == {
        mid_of(first): {mid_of(first), mid_of(apple), mid_of(bare), a_id, b_id}
    }
    store.close()
    channel.shutdown()


@pytest.mark.parametrize("separate_syncs", [False, True], ids=["one-sync", "two-syncs"])
def test_subject_fallback_joins_the_newest_thread_across_syncs(
    imap: ImapServer, separate_syncs: bool, tmp_path: Path
) -> None:
    store = Store.open(tmp_path / "queue.db")
    start = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    older = mail("Cannot log in", "The reset mail never arrives.", date=start)
    # A fresh mail (no "Re:") with the same subject and people opens a second conversation.
    newer = mail("Cannot log in", "Now SSO fails too.", date=start + timedelta(days=2))
    channel = make_channel(imap, sent_folder="none")
    for batch in ([older], [newer]) if separate_syncs else ([older, newer],):
        imap.append_many("INBOX", batch)
        sync_into(store, channel)
    assert grouping(store) == {mid_of(older): {mid_of(older)}, mid_of(newer): {mid_of(newer)}}
    bare = mail("Re: Cannot log in", "Any news?", date=start + timedelta(days=3))
    imap.append("INBOX", bare)
    sync_into(store, channel)
    assert grouping(store) == {
        mid_of(older): {mid_of(older)},
        mid_of(newer): {mid_of(newer), mid_of(bare)},
    }
    store.close()
    channel.shutdown()


def test_subject_fallback_goes_by_date_not_by_folder_order(
    imap: ImapServer, tmp_path: Path
) -> None:
    """Sent is read with the inbox: an older reply filed there does not take the subject back."""
    store = Store.open(tmp_path / "queue.db")
    start = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    older = mail("Cannot log in", "The reset mail never arrives.", date=start)
    answer = mail(
        "Re: Cannot log in",
        "Try the link in the second mail.",
        sender=f"Acme Support <{SUPPORT}>",
        to=f"Carla Customer <{CUSTOMER}>",
        in_reply_to=mid_of(older),
        references=mid_of(older),
        date=start + timedelta(days=1),
    )
    newer = mail("Cannot log in", "Now SSO fails too.", date=start + timedelta(days=2))
    imap.append_many("INBOX", [older, newer])
    imap.append("Sent", answer)
    channel = make_channel(imap, sent_folder="Sent")
    sync_into(store, channel)
    bare = mail("Re: Cannot log in", "Any news?", date=start + timedelta(days=3))
    imap.append("INBOX", bare)
    sync_into(store, channel)
    assert grouping(store) == {
        mid_of(older): {mid_of(older), mid_of(answer)},
        mid_of(newer): {mid_of(newer), mid_of(bare)},
    }
    store.close()
    channel.shutdown()


MALFORMED = [
    b"From: x@customer.example\r\nSubject: bad charset\r\nMessage-ID: <bad-cs@x>\r\n"
    b'Content-Type: text/plain; charset="x-no-such-charset"\r\n\r\nCaf\xe9 cr\xe8me\r\n',
    b"From: x@customer.example\r\nSubject: no boundary\r\nMessage-ID: <no-boundary@x>\r\n"
    b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed\r\n\r\n--zzz\r\n"
    b"Content-Type: text/plain\r\n\r\npart one\r\n--zzz--\r\n",
    b"From: x@customer.example\r\nSubject: truncated\r\nMessage-ID: <truncated@x>\r\n"
    b'MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary="b1"\r\n\r\n'
    b"--b1\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
    b"SGVsbG8gd29y",
    b"Subject: =?utf-8?q?no_sender_no_id?=\r\n\r\nnothing else\r\n",
    b"From: =?iso-8859-1?q?J=FCrgen?= <j@customer.example>\r\nSubject: latin\r\n"
    b"Message-ID: <latin@x>\r\nContent-Type: text/html; charset=iso-8859-1\r\n\r\n"
    b"<p>Gr\xfc\xdfe</p>\r\n",
]


def malformed_samples() -> list[bytes]:
    extra: list[bytes] = []
    try:
        from tests import mail_samples
    except ImportError:
        return list(MALFORMED)
    extra = list(getattr(mail_samples, "malformed_messages", list)())
    return [*MALFORMED, *extra]


def test_malformed_mailbox_syncs_every_message(imap: ImapServer) -> None:
    raws = malformed_samples()
    imap.append_many("INBOX", raws)
    channel = make_channel(imap, sent_folder="none")
    messages = [m for c in conversations(pages(channel)) for m in c.messages]
    assert len({m.external_id for m in messages}) == len({mid_of(r) for r in raws})
    assert len(messages) >= len({mid_of(r) for r in raws})
    by_id = {m.external_id: m for m in messages}
    assert "Caf" in by_id["<bad-cs@x>"].body
    assert "Grüße" in by_id["<latin@x>"].body
    channel.shutdown()


# --- failures ---------------------------------------------------------------------------
def test_an_unreachable_mailbox_is_named(imap: ImapServer) -> None:
    port = free_port()
    dead = make_channel(imap, sent_folder="none", imap_port=port)
    with pytest.raises(UnreachableError, match=f"127.0.0.1:{port}"):
        next(dead.fetch({}, SilentProgress()))


# --- replies ----------------------------------------------------------------------------
def _customer_thread(imap: ImapServer, channel: EmailChannel) -> tuple[Conversation, bytes, bytes]:
    first = mail(
        "Widget broken", "My widget is broken.", to=f"{SUPPORT}, Ops <ops@customer.example>"
    )
    second = mail(
        "Re: Widget broken",
        "Grüße — still broken ✓",
        in_reply_to=mid_of(first),
        references=mid_of(first),
        to=f"{SUPPORT}, Ops <ops@customer.example>",
    )
    imap.append_many("INBOX", [first, second])
    [conv] = conversations(pages(channel))
    return conv, first, second


def test_reply_has_every_threading_header(imap: ImapServer, smtp: SmtpSink) -> None:
    channel = make_channel(imap, smtp)
    conv, first, second = _customer_thread(imap, channel)
    sent = channel.send_reply(thread_of(conv), OutgoingReply(key="k-1", body="Fixed it — Grüße"))
    [(envelope_from, rcpts, raw)] = smtp.received
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert envelope_from == SUPPORT
    assert sorted(rcpts) == [CUSTOMER, "ops@customer.example"]
    assert msg["From"].addresses[0].addr_spec == SUPPORT
    assert [a.addr_spec for a in msg["To"].addresses] == [CUSTOMER]
    assert [a.addr_spec for a in msg["Cc"].addresses] == ["ops@customer.example"]
    assert msg["Subject"] == "Re: Widget broken"
    assert msg["In-Reply-To"] == mid_of(second)
    assert msg["References"].split() == [mid_of(first), mid_of(second)]
    assert msg["Message-ID"] == reply_message_id("k-1", SUPPORT)
    assert msg["Message-ID"].endswith("@acme.dev>")
    assert sent.external_id == msg["Message-ID"]
    assert msg["Date"].datetime == FakeClock().now()
    assert msg.get_content_type() == "text/plain"
    assert msg.get_content_charset() == "utf-8"
    body = msg.get_content().replace("\r\n", "\n")
    assert body.startswith("Fixed it — Grüße\n")
    assert "> Grüße — still broken ✓" in body
    channel.shutdown()


def test_reply_without_quote(imap: ImapServer, smtp: SmtpSink) -> None:
    channel = make_channel(imap, smtp, quote_original=False)
    conv, _first, _second = _customer_thread(imap, channel)
    channel.send_reply(thread_of(conv), OutgoingReply(key="k-2", body="Short answer."))
    msg = email.message_from_bytes(smtp.received[0][2], policy=email.policy.default)
    assert msg.get_content().strip() == "Short answer."
    channel.shutdown()


def test_reply_is_filed_in_sent_and_parent_answered(imap: ImapServer, smtp: SmtpSink) -> None:
    channel = make_channel(imap, smtp)
    conv, first, second = _customer_thread(imap, channel)
    cursor_before = pages(channel)[-1].cursor
    sent = channel.send_reply(thread_of(conv), OutgoingReply(key="k-3", body="On it."))
    flags = imap.flags_by_message_id("INBOX")
    assert b"\\Answered" in flags[mid_of(second)]
    assert b"\\Answered" not in flags[mid_of(first)]
    sent_copies = imap.flags_by_message_id(imap.sent_folder)
    assert list(sent_copies) == [sent.external_id]
    assert b"\\Seen" in sent_copies[sent.external_id]
    # The next fetch brings the reply in from Sent, into the same thread, as ours.
    result = conversations(pages(channel, cursor_before))
    assert [(c.external_id, [m.external_id for m in c.messages]) for c in result] == [
        (conv.external_id, [sent.external_id])
    ]
    assert result[0].messages[0].team_hint is True
    channel.shutdown()


def test_sent_folder_none_appends_nothing(imap: ImapServer, smtp: SmtpSink) -> None:
    channel = make_channel(imap, smtp, sent_folder="none")
    conv, _first, _second = _customer_thread(imap, channel)
    channel.send_reply(thread_of(conv), OutgoingReply(key="k-4", body="Gmail files it."))
    assert len(smtp.received) == 1
    assert imap.messages(imap.sent_folder) == []
    channel.shutdown()


def test_retry_after_crash_finds_the_reply_in_sent(imap: ImapServer, smtp: SmtpSink) -> None:
    channel = make_channel(imap, smtp)
    conv, _first, _second = _customer_thread(imap, channel)
    reply = OutgoingReply(key="k-5", body="Exactly once.")
    assert channel.find_sent(thread_of(conv), reply) is None
    sent = channel.send_reply(thread_of(conv), reply)
    channel.shutdown()
    # A new process (nothing remembered in memory) asks before sending again.
    restarted = make_channel(imap, smtp)
    found = restarted.find_sent(thread_of(conv), reply)
    assert found is not None
    assert found.external_id == sent.external_id
    assert len(smtp.received) == 1
    restarted.shutdown()


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
def test_smtp_auth(imap: ImapServer) -> None:
    with smtp_sink(auth=True) as sink:
        channel = make_channel(
            imap, sink, smtp_password_env=SMTP_PASSWORD_ENV, smtp_username="hero-smtp"
        )
        conv, _first, _second = _customer_thread(imap, channel)
        channel.send_reply(thread_of(conv), OutgoingReply(key="k-6", body="Authenticated."))
        assert len(sink.received) == 1
        bad = EmailChannel(
            settings_for(
                imap, sink, smtp_password_env=SMTP_PASSWORD_ENV, smtp_username="hero-smtp"
            ),
            DictSecrets({PASSWORD_ENV: imap.password, SMTP_PASSWORD_ENV: "nope"}),
            FakeClock(),
        )
        with pytest.raises(AuthError) as caught:
            bad.send_reply(thread_of(conv), OutgoingReply(key="k-7", body="Rejected."))
        assert SMTP_PASSWORD_ENV in caught.value.message
        assert len(sink.received) == 1
        channel.shutdown()
        bad.shutdown()


def test_mailbox_failure_after_sending_does_not_fail_the_send(
    imap: ImapServer, smtp: SmtpSink
) -> None:
    channel = make_channel(imap, smtp, sent_folder="Outbox-copies")
    conv, _first, _second = _customer_thread(imap, channel)

    def mailbox_goes_away() -> None:
        with imap.client() as c:
            c.delete_folder("Outbox-copies")

    smtp.on_receive = mailbox_goes_away
    try:
        sent = channel.send_reply(thread_of(conv), OutgoingReply(key="k-9", body="Sent anyway."))
    finally:
        smtp.on_receive = None
    assert len(smtp.received) == 1
    assert "imap_error" in sent.meta
    # The same process remembers the acceptance, so a retry does not send again.
    found = channel.find_sent(thread_of(conv), OutgoingReply(key="k-9", body="Sent anyway."))
    assert found is not None
    assert found.external_id == sent.external_id
    channel.shutdown()


def test_smtp_unreachable(imap: ImapServer) -> None:
    channel = make_channel(imap, None)
    conv, _first, _second = _customer_thread(imap, channel)
    with pytest.raises(UnreachableError) as caught:
        channel.send_reply(thread_of(conv), OutgoingReply(key="k-8", body="Nowhere."))
    assert f"127.0.0.1:{channel.settings.smtp_port}" in caught.value.message
    assert imap.messages(imap.sent_folder) == []
    channel.shutdown()


def test_close_flag_and_move(imap: ImapServer, smtp: SmtpSink) -> None:
    channel = make_channel(imap, smtp, close_action="move", close_folder="Done")
    conv, _first, _second = _customer_thread(imap, channel)
    from herocli.exchange import CloseReason

    channel.close(thread_of(conv), CloseReason.COMPLETED)
    assert imap.messages("INBOX") == []
    assert len(imap.messages("Done")) == 2
    channel.reopen(thread_of(conv))
    assert len(imap.messages("INBOX")) == 2
    channel.shutdown()


# --- the demo mailbox -------------------------------------------------------------------
@pytest.mark.skipif(not pymap_available(), reason="pymap is not installed")
def test_demo_mailbox_serves_threads_and_takes_replies() -> None:
    from herocli.simulators.mail import MailDemo

    with MailDemo(now=FakeClock().now()) as demo:
        settings = local_settings(demo.imap_port, demo.username, demo.smtp_port, demo.address)
        channel = EmailChannel(settings, DictSecrets({PASSWORD_ENV: demo.password}), FakeClock())
        convs = conversations(pages(channel))
        threads: dict[str, list[Any]] = {}
        for c in convs:
            threads.setdefault(c.external_id, []).extend(c.messages)
        assert len(threads) == 4
        titles = {c.title for c in convs}
        assert "Webhook deliveries to Slack stopped" in titles
        webhook = next(c for c in convs if c.title.startswith("Webhook"))
        assert len(threads[webhook.external_id]) == 3
        assert any("Okta" in m.body for ms in threads.values() for m in ms)
        ordered = sorted(threads[webhook.external_id], key=lambda m: m.sent_at)
        thread = Thread(1, webhook.external_id, webhook.title, None, tuple(ordered))
        channel.send_reply(thread, OutgoingReply(key="demo-1", body="Looking into it."))
        [(_from, rcpts, _raw)] = demo.sink.received
        assert rcpts == ["maya@brightpath.io"]
        channel.shutdown()


def test_sample_threads_file_the_same_in_one_sync_or_two(imap: ImapServer, tmp_path: Path) -> None:
    """One sync keys each message by its thread's root; split over two syncs, from the stored
    cursor, the queue holds the same items with the same messages."""
    from herocli.channels.mail.threading import thread_keys
    from tests.mail_samples import thread_samples

    raws = thread_samples()
    expected = thread_keys([parse_message(r) for r in raws], {})
    imap.append_many("INBOX", raws)
    channel = make_channel(imap, sent_folder="none")
    once = {m.external_id: c.external_id for c in conversations(pages(channel)) for m in c.messages}
    assert once == expected
    one_sync = Store.open(tmp_path / "once.db")
    sync_into(one_sync, channel)
    imap.reset()
    half = len(raws) // 2
    two_syncs = Store.open(tmp_path / "twice.db")
    imap.append_many("INBOX", raws[:half])
    sync_into(two_syncs, channel)
    imap.append_many("INBOX", raws[half:])
    sync_into(two_syncs, channel)
    assert grouping(two_syncs) == grouping(one_sync)
    channel.shutdown()


def test_xoauth2_token_rejected_names_its_variable(imap: ImapServer) -> None:
    channel = EmailChannel(
        settings_for(imap, oauth2_token_env="TEST_HERO_OAUTH_TOKEN"),
        DictSecrets({"TEST_HERO_OAUTH_TOKEN": "expired-token"}),
        FakeClock(),
    )
    with pytest.raises(AuthError) as caught:
        next(channel.fetch({}, SilentProgress()))
    assert "TEST_HERO_OAUTH_TOKEN" in caught.value.message
    assert "expired-token" not in caught.value.message


def test_security_mismatch_is_a_clear_error(imap: ImapServer) -> None:
    from herocli.errors import ChannelError

    for security in ("ssl", "starttls"):
        channel = make_channel(imap, imap_security=security)
        with pytest.raises(ChannelError) as caught:
            next(channel.fetch({}, SilentProgress()))
        assert f"127.0.0.1:{imap.port}" in caught.value.message
        assert caught.value.hint

"""The email channel: an IMAP mailbox in (RFC 4549 resync), threaded SMTP replies out.

A conversation is a mail thread, keyed by its root Message-ID as far as the
sync has seen it; a message is keyed by its own Message-ID. The cursor is the
only state the channel keeps: per folder UIDVALIDITY, UIDNEXT, EXISTS, the last
UID fetched and (with CONDSTORE) HIGHESTMODSEQ, and Gmail's thread ids. Which
earlier item a later message joins is the queue's to answer: each conversation
names every id it has or refers to (``refers_to``), so the cursor carries no
map of every Message-ID.

An unchanged folder costs one SELECT. A UIDVALIDITY change refetches the
folder; the messages come back with the same Message-IDs and thread keys, so
the queue gets no duplicates. Expunged mail stays in the queue (the queue is
the record of what was said); the cursor only takes note of the new counts.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Generator, Iterator
from datetime import datetime

from herocli.channels.base import Capabilities, Channel
from herocli.channels.mail.batches import Batch, read_batches
from herocli.channels.mail.conversations import Threaded, thread_batch
from herocli.channels.mail.cursor import MailCursor
from herocli.channels.mail.fetching import Fetched
from herocli.channels.mail.imap import FolderMissingError, FolderStatus, ImapSession
from herocli.channels.mail.plans import FolderPlan, unchanged
from herocli.channels.mail.worker import Job, Worker
from herocli.config import EmailSettings
from herocli.errors import ChannelError, HeroError, UncertainError
from herocli.exchange import (
    CloseReason,
    FetchPage,
    OutgoingReply,
    Secret,
    SecretSource,
    Sent,
    SyncProgress,
    Thread,
)
from herocli.models import JSON, Clock, Message

#: What the worker is given for a batch: its messages, and the time to date undated ones by.
Work = tuple[list[tuple[str, Fetched]], datetime]

BATCH = 500  # messages per folder per UID FETCH, and so per page handed to the queue
#: New messages from which a sync parses in a worker process (a first sync of a big
#: mailbox); below it, starting the worker would cost more than it saves.
WORKER_FROM = 2_000


class EmailChannel(Channel):
    """An IMAP mailbox and an SMTP server, seen as conversations."""

    name = "email"

    def __init__(
        self,
        settings: EmailSettings,
        secrets: SecretSource,
        clock: Clock,
        team_addresses: frozenset[str] = frozenset(),
        team_domains: tuple[str, ...] = (),
    ) -> None:
        self.settings = settings
        self.secrets = secrets
        self.clock = clock
        self.from_address = settings.from_address.lower()
        self.team_addresses = frozenset(a.lower() for a in team_addresses) | {self.from_address}
        self.team_domains = tuple(d.lower().lstrip("@") for d in team_domains)
        self._session: ImapSession | None = None
        self.batch = BATCH  # messages per folder in one page
        self.worker_from = WORKER_FROM
        self._accepted: dict[str, Sent] = {}
        # Mail has no labels, assignees or @mentions; closing reaches the mailbox only when
        # close_action says how (flag it read, or move it away).
        self.capabilities = Capabilities(remote_close=settings.close_action != "none")

    # --- connection -----------------------------------------------------------------
    def _credential(self) -> tuple[Secret, bool]:
        s = self.settings
        if s.oauth2_token_env:
            return self.secrets.secret((s.oauth2_token_env,), "IMAP OAuth2 access token"), True
        return self.secrets.secret((s.password_env,), "IMAP password"), False

    def _imap(self) -> ImapSession:
        if self._session is None or self._session.client is None:
            credential, oauth2 = self._credential()
            session = ImapSession(self.settings, credential, oauth2=oauth2)
            try:
                self._session = session.connect()
            except HeroError:
                session.logout()  # a refused login leaves no socket open behind it
                raise
        return self._session

    def shutdown(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            session.logout()

    # --- fetch ----------------------------------------------------------------------
    def fetch(self, cursor: JSON, progress: SyncProgress) -> Iterator[FetchPage]:
        """Yield pages of new mail; each page threads every folder's next messages together.

        Reading the Sent folder in the same batch as the inbox means a reply and its parent
        are threaded together whichever folder each lives in. A folder that does not exist
        is reported by name once the others are synced.
        """
        state = MailCursor.load(cursor)
        session = self._imap()  # raises before anything is yielded
        folders = list(dict.fromkeys(self.settings.folders))
        # The Sent folder's name is kept in the cursor so an unchanged mailbox costs no LIST.
        if state.sent is None or state.sent_setting != self.settings.sent_folder:
            state.sent = session.sent_folder() or ""
            state.sent_setting = self.settings.sent_folder
        if state.sent and state.sent not in folders:
            folders.append(state.sent)
        missing: list[str] = []
        try:
            plans = []
            for folder in folders:
                try:
                    plan = self._plan(session, folder, state, progress)
                except FolderMissingError:
                    missing.append(folder)
                    progress.update(f"no folder {folder!r} on the server; the others sync")
                    continue
                if plan is not None:
                    plans.append(plan)
            new = sum(len(plan.new_uids) for plan in plans)
            batches = read_batches(session, plans, self.batch)
            try:
                yield from self._pages(batches, state, progress, forked=new >= self.worker_from)
            finally:
                batches.close()
        except ChannelError:
            self.shutdown()
            raise
        if missing:
            names = ", ".join(repr(f) for f in missing)
            raise ChannelError(
                f"the IMAP server {self.settings.imap_host} has no folder {names}; "
                "the other folders were synced",
                hint="fix [email] folders (or sent_folder) in the config; "
                "`hero config check` shows the names",
            )

    def _plan(
        self, session: ImapSession, folder: str, state: MailCursor, progress: SyncProgress
    ) -> FolderPlan | None:
        """SELECT ``folder`` and list what is new there; None when nothing changed."""
        progress.update(f"checking {folder}")
        status = session.select(folder)
        known = state.folders.get(folder)
        if known is not None and known.get("uidvalidity") != status.uidvalidity:
            progress.update(
                f"{folder} was rebuilt on the server (UIDVALIDITY changed); reading it again"
            )
            known = None
        if known is not None and unchanged(known, status):
            return None
        last_uid = int(known["last_uid"]) if known else 0
        modseq = known.get("highestmodseq") if known else None
        changed: dict[int, tuple[str, ...]] = {}
        if status.highestmodseq is not None and modseq:
            # One CONDSTORE fetch answers both questions: what is new, what changed flags.
            sizes, changed = session.changes_since(int(modseq), last_uid)
        elif status.uidnext > last_uid + 1:
            sizes = session.uids_after(last_uid)
        else:
            sizes = {}
        new_uids = list(sizes)
        if known is not None:
            self._note_changes(folder, known, status, new_uids, changed, progress)
        return FolderPlan(folder, status, new_uids, last_uid, modseq, sizes)

    def _pages(
        self,
        batches: Generator[Batch, None, None],
        state: MailCursor,
        progress: SyncProgress,
        forked: bool,
    ) -> Iterator[FetchPage]:
        """One page per batch, parsed and threaded by a worker process when ``forked``.

        The batch after is fetched and handed over before a page is yielded, so it is
        parsed and threaded while the caller stores this one; a failure to fetch is raised
        once the pages fetched before it are handed over. Progress is told as each
        batch's page is made, after the page before it was stored."""

        def work(job: Work) -> Threaded:
            return thread_batch(job[0], state, self._ours, job[1])

        worker = Worker(work, forked)
        # Batches fetched and handed over before a page is yielded: the next one, and
        # with a worker the one after too, so it never waits for this process to store.
        ahead = 1 if worker.pid is None else 2
        queued: deque[tuple[Batch, Job[Work, Threaded]]] = deque()
        failure: ChannelError | None = None
        ended = False
        try:
            while True:
                while not ended and failure is None and len(queued) <= ahead:
                    try:
                        batch = next(batches, None)
                    except ChannelError as exc:
                        failure = exc
                        break
                    if batch is None:
                        ended = True
                        break
                    queued.append((batch, worker.submit((batch.messages, self.clock.now()))))
                if not queued:
                    break
                batch, job = queued.popleft()
                batch.report(progress)
                threaded = job.result()
                threaded.note(state)
                state.folders.update(batch.states)
                page = FetchPage(conversations=tuple(threaded.conversations), cursor=state.dump())
                del batch, job, threaded  # stored by the caller: not kept while the next comes
                yield page
                del page
        finally:
            worker.close()
        if failure is not None:
            raise failure

    def _note_changes(
        self,
        folder: str,
        known: JSON,
        status: FolderStatus,
        new_uids: list[int],
        changed: dict[int, tuple[str, ...]],
        progress: SyncProgress,
    ) -> None:
        arrived = sum(1 for uid in new_uids if uid < status.uidnext)
        expected = int(known.get("exists", 0)) + arrived
        if int(known.get("exists", -1)) >= 0 and status.exists < expected:
            progress.update(f"{expected - status.exists} message(s) expunged from {folder}")
        if changed:
            progress.update(f"{len(changed)} message(s) changed flags in {folder}")

    def _ours(self, address: str) -> bool:
        if address in self.team_addresses:
            return True
        domain = address.rsplit("@", 1)[-1]
        return "@" in address and domain in self.team_domains

    # --- writing --------------------------------------------------------------------
    def send_reply(self, thread: Thread, reply: OutgoingReply) -> Sent:
        """File the reply in Sent marked as sending, send it by SMTP, then clear the mark.

        See ``outgoing``: after a crash at any point there is either no copy
        (nothing was sent) or a marked one (unknown). A definite refusal removes
        the copy again; a connection lost after the message went over raises
        ``UncertainError`` and leaves the mark.
        """
        from herocli.channels.mail import outgoing, smtp

        now = self.clock.now()
        msg = smtp.build_reply(
            thread, reply.body, reply.key, self.settings, now, self.team_addresses, reply.sender
        )
        message_id = str(msg["Message-ID"])
        # IMAP first: when the mailbox cannot be reached, nothing is sent and the outbox retries.
        session = self._imap()
        folder = session.sent_folder()
        copies = (
            outgoing.file_first(session, folder, message_id, smtp.flatten(msg)) if folder else []
        )
        try:
            refused = smtp.send(self.settings, self._smtp_credential(), msg)
        except UncertainError as exc:
            exc.sent_id, exc.sent_at = message_id, now
            raise
        except HeroError:
            if folder is not None:
                self._quietly(lambda: outgoing.withdraw(session, folder, copies))
            raise
        meta = outgoing.sent_meta(msg, self.from_address)
        if refused:
            meta["refused"] = refused
        sent = Sent(external_id=message_id, sent_at=now, meta=meta)
        self._accepted[reply.key] = sent
        # The mail is out: a failure from here on must not make the outbox send it again.
        error = None
        if folder is not None:
            meta["filed_in"] = folder
            error = self._quietly(lambda: outgoing.confirm(session, folder, copies))
        if error is None:
            error = self._quietly(lambda: self._mark_answered(session, thread))
        if error is not None:
            meta["imap_error"] = error
        return sent

    def _mark_answered(self, session: ImapSession, thread: Thread) -> None:
        from herocli.channels.mail import smtp

        parent = smtp.parent_message(thread)
        for folder in self._folders_of(parent):
            uids = self._uids_of(session, folder, parent)
            if uids:
                session.add_flags(folder, uids, ["\\Answered"])
                return

    def _quietly(self, step: Callable[[], None]) -> str | None:
        """Run an IMAP step after the mail went out; its failure is noted, not raised."""
        try:
            step()
        except HeroError as exc:
            self.shutdown()
            return exc.message
        return None

    def find_sent(self, thread: Thread, reply: OutgoingReply) -> Sent | None:
        """The reply ``reply.key`` produced earlier, by its Message-ID in Sent.

        Raises ``UncertainError`` when the copy is still marked as sending (the
        earlier attempt stopped between filing it and the server's answer), or
        when there is no Sent folder to look in.
        """
        from herocli.channels.mail import outgoing, smtp

        if reply.key in self._accepted:
            return self._accepted[reply.key]
        message_id = smtp.reply_message_id(reply.key, self.settings.from_address)
        session = self._imap()
        folder = session.sent_folder()
        for look_in in [folder] if folder else list(self.settings.folders):
            found = outgoing.state(session, look_in, message_id)
            if found is outgoing.CopyState.SENDING:
                raise UncertainError(
                    "an earlier attempt stopped after filing the copy in "
                    f"{look_in} and before the SMTP server answered; it may have been sent",
                    sent_id=message_id,
                )
            if found is outgoing.CopyState.SENT:
                return Sent(
                    external_id=message_id,
                    sent_at=self.clock.now(),
                    meta={"message_id": message_id},
                )
        if folder is None:
            raise UncertainError(
                'an earlier attempt may have been sent, and with sent_folder = "none" '
                "there is no copy to check",
                sent_id=message_id,
            )
        return None

    def _smtp_credential(self) -> Secret | None:
        s = self.settings
        if s.smtp_password_env:
            return self.secrets.secret((s.smtp_password_env,), "SMTP password")
        if s.smtp_security == "none" and not s.smtp_username:
            return None  # a local relay that takes mail without AUTH
        return self.secrets.secret((s.password_env,), "SMTP password")

    def _folders_of(self, message: Message) -> list[str]:
        folder = message.meta.get("folder")
        folders = list(self.settings.folders)
        if isinstance(folder, str) and folder not in folders:
            folders.insert(0, folder)
        elif isinstance(folder, str):
            folders.remove(folder)
            folders.insert(0, folder)
        return folders

    def _uids_of(self, session: ImapSession, folder: str, message: Message) -> list[int]:
        """UIDs of ``message`` in ``folder``: by Message-ID, or by UID when its id is made up."""
        from herocli.channels.mail.headers import is_synthetic_id

        mid = str(message.meta.get("message_id") or message.external_id)
        if not is_synthetic_id(mid):
            return session.find_by_message_id(folder, mid)
        uid = message.meta.get("uid")
        if message.meta.get("folder") != folder or not isinstance(uid, int):
            return []
        return session.uids_present(folder, [uid])

    def _thread_uids(
        self, session: ImapSession, thread: Thread, folders: list[str]
    ) -> dict[str, list[int]]:
        found: dict[str, list[int]] = {}
        for folder in folders:
            for message in thread.messages:
                mid = message.meta.get("message_id")
                if not mid:
                    continue
                uids = session.find_by_message_id(folder, str(mid))
                if uids:
                    found.setdefault(folder, []).extend(uids)
        return found

    def close(self, thread: Thread, reason: CloseReason) -> None:
        """Local unless configured: ``flag`` marks the thread read, ``move`` files it away."""
        del reason
        action = self.settings.close_action
        if action == "none":
            return
        session = self._imap()
        found = self._thread_uids(session, thread, list(self.settings.folders))
        for folder, uids in found.items():
            if action == "flag":
                session.add_flags(folder, uids, ["\\Seen"])
            elif action == "move" and self.settings.close_folder:
                session.move(folder, uids, self.settings.close_folder)

    def reopen(self, thread: Thread) -> None:
        """Undo ``close``: unmark, or move the thread back to the first watched folder."""
        action = self.settings.close_action
        if action == "none":
            return
        session = self._imap()
        if action == "flag":
            for folder, uids in self._thread_uids(
                session, thread, list(self.settings.folders)
            ).items():
                session.remove_flags(folder, uids, ["\\Seen"])
        elif action == "move" and self.settings.close_folder:
            found = self._thread_uids(session, thread, [self.settings.close_folder])
            for folder, uids in found.items():
                session.move(folder, uids, self.settings.folders[0])

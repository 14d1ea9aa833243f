"""Real mail servers for the tests: Dovecot or pymap for IMAP, aiosmtpd for SMTP.

Dovecot runs from a config written into a temp dir (see the recipe in
shared/recipes/dovecot.md); pymap runs as a subprocess with its in-memory
backend. Both listen on 127.0.0.1 on a free port. Helpers here talk to the
servers directly (imapclient), never through the channel under test.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from pathlib import Path
from typing import Any

from imapclient import IMAPClient

from herocli.simulators.mail import pymap_command, wait_for_port
from herocli.simulators.server import free_port

USER = "hero"
PASSWORD = "s3cret-pass"


def dovecot_available() -> bool:
    return shutil.which("dovecot") is not None and os.geteuid() == 0


def pymap_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("pymap") is not None


def imap_kinds() -> list[str]:
    kinds = []
    if dovecot_available():
        kinds.append("dovecot")
    if pymap_available():
        kinds.append("pymap")
    return kinds


# LAYOUT=index names each mailbox's directory by its GUID, not its name. With the
# default layout, a folder deleted and made again (a "rebuild", as the email model
# does during a sync) reuses the old directory; a session that still had the old
# folder selected then writes its stale view into the new folder's index on its next
# command ("indexid changed", "u.1 already exists, rebuilding index"), and the next
# APPEND from anyone fails with NO [SERVERBUG]. That is Dovecot 2.3's bug, not the
# world the test plays: with GUID directories the stale session is told "Mailbox was
# deleted under us" and the new folder stays sound (tests/test_dovecot_setup.py).
DOVECOT_CONF = """\
protocols = imap
listen = 127.0.0.1
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
passdb {{
  driver = passwd-file
  args = {d}/users
}}
userdb {{
  driver = passwd-file
  args = {d}/users
}}
mail_location = sdbox:{d}/mail/%u:LAYOUT=index
mail_uid = nobody
mail_gid = nogroup
mail_fsync = never
auth_failure_delay = 0
namespace inbox {{
  inbox = yes
  separator = /
  mailbox Sent {{
    special_use = \\Sent
    auto = subscribe
  }}
}}
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service imap-login {{
  inet_listener imap {{
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""


@dataclass
class ImapServer:
    """A running IMAP server with one user, ``hero``."""

    kind: str
    port: int
    proc: subprocess.Popen[bytes]
    directory: Path
    username: str = USER
    password: str = PASSWORD
    sent_folder: str = "Sent"
    condstore: bool = False

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.kind == "dovecot":
            shutil.rmtree(self.directory, ignore_errors=True)

    def errors(self) -> list[str]:
        """Dovecot's logged errors so far (what a ``NO [SERVERBUG]`` refers to); [] for pymap."""
        log = self.directory / "dovecot.log"
        if self.kind != "dovecot" or not log.exists():
            return []
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
        return [
            line for line in lines if any(f": {w}: " in line for w in ("Error", "Panic", "Fatal"))
        ]

    def client(self) -> IMAPClient:
        c = IMAPClient("127.0.0.1", self.port, ssl=False, timeout=30)
        c.login(self.username, self.password)
        return c

    def reset(self) -> None:
        """Empty the mailbox: delete every folder but INBOX and Sent, clear those two."""
        with self.client() as c:
            names = [name for _flags, _sep, name in c.list_folders()]
            for name in names:
                if name in ("INBOX", self.sent_folder):
                    continue
                c.delete_folder(name)
            if self.sent_folder not in names:
                c.create_folder(self.sent_folder)
            for name in ("INBOX", self.sent_folder):
                c.select_folder(name)
                uids = c.search("ALL")
                if uids:
                    c.delete_messages(uids)
                    c.expunge()
                c.close_folder()

    def append(self, folder: str, raw: bytes, flags: tuple[bytes, ...] = ()) -> None:
        with self.client() as c:
            if not c.folder_exists(folder):
                c.create_folder(folder)
            c.append(folder, raw, flags=flags)

    def append_many(self, folder: str, messages: list[bytes]) -> None:
        with self.client() as c:
            if not c.folder_exists(folder):
                c.create_folder(folder)
            for raw in messages:
                c.append(folder, raw)

    def uids(self, folder: str) -> list[int]:
        """The UIDs in ``folder``, in order."""
        with self.client() as c:
            c.select_folder(folder, readonly=True)
            return sorted(c.search("ALL"))

    def expunge(self, folder: str, uids: list[int]) -> None:
        """Delete and expunge ``uids`` from ``folder``, as another client would."""
        with self.client() as c:
            c.select_folder(folder)
            c.delete_messages(uids)
            c.expunge()

    def messages(self, folder: str) -> list[tuple[int, tuple[bytes, ...], bytes]]:
        """(uid, flags, raw) of every message in ``folder``, by UID."""
        with self.client() as c:
            c.select_folder(folder, readonly=True)
            uids = c.search("ALL")
            data = c.fetch(uids, ["FLAGS", "BODY.PEEK[]"]) if uids else {}
        return [
            (uid, tuple(data[uid][b"FLAGS"]), bytes(data[uid][b"BODY[]"])) for uid in sorted(data)
        ]

    def flags_by_message_id(self, folder: str) -> dict[str, tuple[bytes, ...]]:
        out = {}
        for _uid, flags, raw in self.messages(folder):
            out[str(message_from_bytes(raw).get("Message-ID", "")).strip()] = flags
        return out


def start_dovecot(root: str | None = None) -> ImapServer:
    """Dovecot on a free port, its mail under ``root`` (a tmpfs such as /dev/shm for speed)."""
    # Dovecot's auth process runs as the dovecot user: the directory must be reachable by it,
    # which pytest's 0700 tmp dirs are not.
    directory = Path(tempfile.mkdtemp(prefix="hero-dovecot-", dir=root))
    directory.chmod(0o755)
    port = free_port()
    for sub in ("run", "state", "mail"):
        (directory / sub).mkdir(exist_ok=True)
    shutil.chown(directory / "mail", "nobody", "nogroup")
    (directory / "users").write_text(f"{USER}:{{PLAIN}}{PASSWORD}:::::\n")
    conf = directory / "dovecot.conf"
    conf.write_text(DOVECOT_CONF.format(d=directory, port=port))
    proc = subprocess.Popen(
        ["dovecot", "-F", "-c", str(conf)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for_port(port, proc, "dovecot", timeout=15.0)
    return ImapServer("dovecot", port, proc, directory, condstore=True)


def start_pymap(directory: Path) -> ImapServer:
    directory.mkdir(parents=True, exist_ok=True)
    port = free_port()
    with (directory / "pymap.log").open("wb") as log:  # the child keeps its own copy
        proc = subprocess.Popen(
            pymap_command(port, USER, PASSWORD), stdout=log, stderr=subprocess.STDOUT
        )
    wait_for_port(port, proc, "pymap", timeout=15.0)
    server = ImapServer("pymap", port, proc, directory)
    server.reset()
    return server


@contextmanager
def imap_server(kind: str, directory: Path) -> Iterator[ImapServer]:
    server = start_dovecot() if kind == "dovecot" else start_pymap(directory)
    try:
        yield server
    finally:
        server.stop()


@dataclass
class SmtpSink:
    """An aiosmtpd server that keeps what it receives."""

    port: int
    controller: Any
    received: list[tuple[str, list[str], bytes]] = field(default_factory=list)
    username: str = "hero-smtp"
    password: str = "smtp-pass"
    auth: bool = False
    refuse_next: int = 0
    refusal: str = "451 4.3.0 try again later"  # what a refused DATA answers
    on_receive: Callable[[], None] | None = None  # runs in the server thread after a DATA
    delay: float = 0.0  # seconds to wait, after keeping a message, before answering 250
    hang_up_next: int = 0  # keep the next messages, then drop the connection unanswered
    refuse_recipients: set[str] = field(default_factory=set)  # RCPT TO answered 550
    # Asked, in a worker thread, before a DATA is kept (False) and after (True); it may
    # block (the server stalls there); returning False drops the connection at that point,
    # and before keeping, the message is never kept.
    hold: Callable[[bool], bool] | None = None

    def stop(self) -> None:
        self.controller.stop()


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address in self.sink.refuse_recipients:
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def _hold(self, kept: bool) -> bool:
        hold = self.sink.hold
        if hold is None:
            return True
        return await asyncio.get_running_loop().run_in_executor(None, hold, kept)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.sink.refuse_next > 0:
            self.sink.refuse_next -= 1
            return self.sink.refusal
        if not await self._hold(False):
            server.transport.close()  # the message never arrives
            return "421 4.3.0 closing"
        content = envelope.original_content or envelope.content
        self.sink.received.append((envelope.mail_from, list(envelope.rcpt_tos), bytes(content)))
        if self.sink.on_receive is not None:
            self.sink.on_receive()
        if not await self._hold(True):
            server.transport.close()
            return "250 OK"
        if self.sink.delay:
            await asyncio.sleep(self.sink.delay)
        if self.sink.hang_up_next > 0:
            self.sink.hang_up_next -= 1
            server.transport.close()  # kept, and the 250 never reaches the client
        return "250 OK"


@contextmanager
def smtp_sink(auth: bool = False) -> Iterator[SmtpSink]:
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    sink = SmtpSink(port=free_port(), controller=None, auth=auth)

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        ok = (
            isinstance(data, LoginPassword)
            and data.login.decode() == sink.username
            and data.password.decode() == sink.password
        )
        return AuthResult(success=ok, handled=False)

    kwargs: dict[str, Any] = {}
    if auth:
        kwargs = {"authenticator": authenticator, "auth_require_tls": False, "auth_required": True}
    controller = Controller(_Handler(sink), hostname="127.0.0.1", port=sink.port, **kwargs)
    controller.start()
    sink.controller = controller
    try:
        yield sink
    finally:
        controller.stop()

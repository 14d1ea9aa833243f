"""A support mailbox for ``hero demo``: a real IMAP server (pymap) and an SMTP sink (aiosmtpd).

pymap runs with its in-memory backend in a child process on a free port of
127.0.0.1; the SMTP sink runs in a thread and keeps what it receives. The
mailbox is seeded with a few support threads, some already answered from the
Sent folder, dated just before ``now``.
"""

from __future__ import annotations

import secrets
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

import aiosmtpd  # noqa: F401  (the `demo` extra: fail at import when it is missing)
import pymap  # noqa: F401

from herocli.simulators.server import free_port

SUPPORT = "hey@acme.dev"
SUPPORT_NAME = "Acme Support"


def pymap_command(port: int, user: str, password: str) -> list[str]:
    """The command line of a pymap server with its in-memory backend and one user."""
    return [
        sys.executable,
        "-c",
        "from pymap.main import main; main()",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-tls",
        "dict",
        # "--opt=value": a generated password may start with "-", which argparse
        # would otherwise read as an option and exit with a usage error.
        f"--demo-user={user}",
        f"--demo-password={password}",
    ]


def wait_for_port(
    port: int, proc: subprocess.Popen[bytes], what: str, timeout: float = 20.0
) -> None:
    """Return once ``proc`` accepts connections on ``port``; raise if it exits or never does."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode} before listening on {port}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"{what} did not listen on {port} within {timeout:.0f} s")


class _Sink:
    def __init__(self) -> None:
        self.received: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content = envelope.original_content or envelope.content
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), bytes(content)))
        return "250 OK"


class MailDemo:
    """The demo mailbox; ``start()`` it, read ``imap_port``/``smtp_port``, ``stop()`` it."""

    def __init__(self, now: datetime | None = None) -> None:
        self.now = now or datetime.now(UTC)
        self.address = SUPPORT
        self.username = SUPPORT
        self.password = secrets.token_urlsafe(12)
        self.imap_port = 0
        self.smtp_port = 0
        self.sink = _Sink()
        self._proc: subprocess.Popen[bytes] | None = None
        self._smtp: Any = None

    def start(self) -> MailDemo:
        from aiosmtpd.controller import Controller

        self.imap_port = free_port()
        self._proc = subprocess.Popen(  # noqa: S603 - our own interpreter, fixed arguments
            pymap_command(self.imap_port, self.username, self.password),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_for_port(self.imap_port, self._proc, "the demo IMAP server (pymap)")
            self.smtp_port = free_port()
            self._smtp = Controller(self.sink, hostname="127.0.0.1", port=self.smtp_port)
            self._smtp.start()
            self._seed()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop both servers; safe to call twice."""
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            smtp.stop()
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def __enter__(self) -> MailDemo:
        return self.start() if self._proc is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- seeding --------------------------------------------------------------------
    def _seed(self) -> None:
        from imapclient import IMAPClient

        with IMAPClient("127.0.0.1", self.imap_port, ssl=False, timeout=30) as client:
            client.login(self.username, self.password)
            if not client.folder_exists("Sent"):
                client.create_folder("Sent")
            for folder, raw, flags in seed_messages(self.now):
                client.append(folder, raw, flags=flags)


def _mail(
    when: datetime,
    sender: str,
    to: str,
    subject: str,
    body: str,
    *,
    parent: EmailMessage | None = None,
    html: bool = False,
    domain: str = "customer.example",
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = make_msgid(domain=domain)
    if parent is not None:
        msg["In-Reply-To"] = parent["Message-ID"]
        refs = str(parent.get("References", "")).split()
        msg["References"] = " ".join([*refs, str(parent["Message-ID"])])
    if html:
        msg.set_content(body, subtype="html")
    else:
        msg.set_content(body)
    return msg


def seed_messages(now: datetime) -> list[tuple[str, bytes, tuple[bytes, ...]]]:
    """(folder, raw message, flags) of the demo mailbox, oldest first."""
    ours = f"Hana (Acme Support) <{SUPPORT}>"
    ravi = f"Ravi (Acme Support) <{SUPPORT}>"
    support = f"{SUPPORT_NAME} <{SUPPORT}>"
    out: list[tuple[str, bytes, tuple[bytes, ...]]] = []

    def add(folder: str, msg: EmailMessage, flags: tuple[bytes, ...] = ()) -> EmailMessage:
        out.append((folder, msg.as_bytes(), flags))
        return msg

    t = now - timedelta(hours=26)
    maya = "Maya Chen <maya@brightpath.io>"
    m1 = add(
        "INBOX",
        _mail(
            t,
            maya,
            support,
            "Webhook deliveries to Slack stopped",
            "Hi team,\n\nsince yesterday around 14:00 UTC our webhook deliveries to Slack fail "
            "with HTTP 410. Nothing changed on our side. Could you have a look?\n\n"
            "Thanks,\nMaya\n--\nMaya Chen, Platform Lead at Brightpath",
            domain="brightpath.io",
        ),
        (b"\\Seen", b"\\Answered"),
    )
    m2 = add(
        "Sent",
        _mail(
            t + timedelta(hours=1),
            ours,
            maya,
            "Re: Webhook deliveries to Slack stopped",
            "Hi Maya,\n\na 410 means Slack retired the webhook URL. Could you regenerate it "
            "in Slack and paste the new one under Settings > Integrations?\n\nHana\n\n"
            "> since yesterday around 14:00 UTC our webhook deliveries to Slack fail",
            parent=m1,
            domain="acme.dev",
        ),
        (b"\\Seen",),
    )
    add(
        "INBOX",
        _mail(
            now - timedelta(hours=2),
            maya,
            support,
            "Re: Webhook deliveries to Slack stopped",
            "Regenerated it, same error. The new URL works with curl though.\n\n"
            "On Tue, Hana wrote:\n> a 410 means Slack retired the webhook URL.",
            parent=m2,
            domain="brightpath.io",
        ),
    )

    add(
        "INBOX",
        _mail(
            now - timedelta(hours=5),
            "Lukas Weber <lukas.weber@nordhaus.de>",
            support,
            "Rechnung: falsche USt-IdNr. / invoice shows the wrong VAT number",
            "Hallo,\n\nauf der Rechnung INV-2291 steht noch unsere alte USt-IdNr. "
            "(DE 811 907 980). Könnten Sie die Rechnung bitte neu ausstellen?\n\n"
            "Viele Grüße\nLukas Weber",
            domain="nordhaus.de",
        ),
    )

    priya = "Priya Raman <priya@quantaloop.com>"
    p1 = add(
        "INBOX",
        _mail(
            now - timedelta(hours=9),
            priya,
            support,
            "CSV export times out for large projects",
            "Exporting our 'Q3 roadmap' project (about 40k rows) to CSV runs for a minute "
            "and then shows 'Gateway timeout'. Smaller projects are fine.",
            domain="quantaloop.com",
        ),
        (b"\\Seen", b"\\Answered"),
    )
    add(
        "Sent",
        _mail(
            now - timedelta(hours=8),
            ravi,
            priya,
            "Re: CSV export times out for large projects",
            "Hi Priya,\n\nlarge exports now run in the background: use Export > 'Email me the "
            "file' and you will get a link within a few minutes. We are also raising the "
            "timeout in next week's release.\n\nRavi",
            parent=p1,
            domain="acme.dev",
        ),
        (b"\\Seen",),
    )

    add(
        "INBOX",
        _mail(
            now - timedelta(minutes=40),
            "Jordan Ellis <jordan@fieldwork.co>",
            support,
            "SSO with Okta?",
            "<html><body><p>Hello Acme,</p><p>we are evaluating the <b>Business plan</b>. "
            "Do you support <a href='https://www.okta.com/'>Okta</a> SAML SSO, and is SCIM "
            "provisioning included?</p><p>Best,<br>Jordan</p></body></html>",
            html=True,
            domain="fieldwork.co",
        ),
    )
    return out

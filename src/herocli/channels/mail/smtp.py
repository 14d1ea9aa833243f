"""Build a threaded reply and hand it to an SMTP server (smtplib).

The reply's Message-ID is derived from the outbox key, so a retried send can
look for the very message an earlier attempt produced.
"""

from __future__ import annotations

import hashlib
import re
import smtplib
import socket
import ssl
from collections.abc import Iterable, Mapping
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses
from typing import Any

from herocli.config import EmailSettings
from herocli.errors import AuthError, ChannelError, UnreachableError
from herocli.models import Message, Secret, Thread

TIMEOUT = 60.0


def reply_message_id(key: str, from_address: str) -> str:
    """The Message-ID a reply with outbox ``key`` gets: stable across retries."""
    domain = from_address.rsplit("@", 1)[-1].strip().lower() or "localhost"
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
    return f"<hero.{digest}@{domain}>"


REPLY_PREFIX = re.compile(
    r"^\s*(?:(?:re|aw|sv|antw|vs|ref)(?:\s*\[\d+\]|\s*\(\d+\))?\s*[:\uff1a]\s*)+",
    re.IGNORECASE,
)


def reply_subject(subject: str) -> str:
    """Exactly one "Re: " in front of the thread's subject, whatever prefixes it carried."""
    text = " ".join(subject.split())
    return "Re: " + REPLY_PREFIX.sub("", text)


def _meta_list(meta: Mapping[str, Any], key: str) -> list[str]:
    value = meta.get(key) or ()
    if isinstance(value, str):
        return [value] if value else []
    return [str(v) for v in value if v]


def _addresses(values: Iterable[str]) -> list[str]:
    return [addr for _name, addr in getaddresses(list(values)) if addr]


def parent_message(thread: Thread) -> Message:
    """The message a reply answers: the newest one that carries a Message-ID."""
    for message in reversed(thread.messages):
        if message.meta.get("message_id") and not message.deleted:
            return message
    if not thread.messages:
        raise ChannelError(f"item {thread.item_id} holds no message to reply to")
    return thread.messages[-1]


def recipients(parent: Message, ours: frozenset[str]) -> tuple[list[str], list[str]]:
    """(to, cc) for a reply to ``parent``; our own addresses never receive a copy."""
    meta = parent.meta
    sender = str(meta.get("from") or parent.author_id).lower()
    if sender in ours:
        # Answering our own message (a follow-up): write to whom it went.
        to = _addresses(_meta_list(meta, "to"))
        cc = _addresses(_meta_list(meta, "cc"))
    else:
        to = _addresses(_meta_list(meta, "reply_to")) or [sender]
        cc = _addresses(_meta_list(meta, "to") + _meta_list(meta, "cc"))
    seen: set[str] = set()
    out_to: list[str] = []
    out_cc: list[str] = []
    for target, source in ((out_to, to), (out_cc, cc)):
        for addr in source:
            key = addr.lower()
            if key in ours or key in seen:
                continue
            seen.add(key)
            target.append(addr)
    return out_to, out_cc


def _quoted(parent: Message) -> str:
    when = parent.sent_at.strftime("%a, %d %b %Y at %H:%M UTC")
    who = parent.author_name or parent.author_id
    lines = parent.body.rstrip("\n").splitlines() or [""]
    quoted = "\n".join(("> " + line) if line else ">" for line in lines)
    return f"On {when}, {who} wrote:\n{quoted}\n"


def build_reply(
    thread: Thread,
    body: str,
    key: str,
    settings: EmailSettings,
    now: datetime,
    ours: frozenset[str],
    from_name: str | None = None,
) -> EmailMessage:
    """The reply as an ``EmailMessage`` ready for SMTP and for the Sent folder."""
    parent = parent_message(thread)
    meta = parent.meta
    parent_id = str(meta.get("message_id") or parent.external_id)
    references = [r for r in _meta_list(meta, "references") if r != parent_id]
    to, cc = recipients(parent, ours)
    if not to:
        raise ChannelError(
            f"item {thread.item_id}: the message to answer names no recipient outside the team",
        )
    msg = EmailMessage()
    local, _, domain = settings.from_address.partition("@")
    msg["From"] = Address(display_name=from_name or "", username=local, domain=domain)
    msg["To"] = ", ".join(to)
    if cc:
        msg["Cc"] = ", ".join(cc)
    msg["Subject"] = reply_subject(str(meta.get("subject") or thread.title))
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = reply_message_id(key, settings.from_address)
    msg["In-Reply-To"] = parent_id
    msg["References"] = " ".join([*references, parent_id])
    text = body.rstrip("\n") + "\n"
    if settings.quote_original and parent.body.strip():
        text += "\n" + _quoted(parent)
    msg.set_content(text, charset="utf-8")
    return msg


def send(settings: EmailSettings, credential: Secret | None, msg: EmailMessage) -> None:
    """Hand ``msg`` to the SMTP server; raise a ``herocli.errors`` type when it is not accepted."""
    host, port = settings.smtp_host, settings.smtp_port
    where = f"{host}:{port}"
    try:
        if settings.smtp_security == "ssl":
            server: smtplib.SMTP = smtplib.SMTP_SSL(
                host, port, timeout=TIMEOUT, context=ssl.create_default_context()
            )
        else:
            server = smtplib.SMTP(host, port, timeout=TIMEOUT)
    except (TimeoutError, ConnectionError, socket.gaierror, OSError) as exc:
        raise UnreachableError(
            f"cannot reach the SMTP server {where}: {exc}",
            hint="check [email] smtp_host, smtp_port and smtp_security; the reply stays in the outbox",
        ) from None
    try:
        server.ehlo()
        if settings.smtp_security == "starttls":
            server.starttls(context=ssl.create_default_context())
            server.ehlo()
        # A relay that offers no AUTH (a local MTA) takes mail without a login.
        if credential is not None and server.has_extn("auth"):
            user = settings.smtp_username or settings.username
            try:
                server.login(user, credential.value)
            except smtplib.SMTPAuthenticationError:
                raise AuthError(
                    f"the SMTP server {where} rejected the login of {user!r} "
                    f"with the password in {credential.source}",
                    hint=f"put a valid password (or app password) in {credential.source}",
                ) from None
        refused = server.send_message(msg, from_addr=settings.from_address)
        if refused:
            raise ChannelError(
                f"the SMTP server {where} refused {', '.join(sorted(refused))}",
            )
    except smtplib.SMTPRecipientsRefused as exc:
        raise ChannelError(
            f"the SMTP server {where} refused every recipient: {', '.join(sorted(exc.recipients))}",
        ) from None
    except smtplib.SMTPResponseException as exc:
        text = (
            exc.smtp_error.decode("utf-8", "replace")
            if isinstance(exc.smtp_error, bytes)
            else exc.smtp_error
        )
        raise ChannelError(
            f"the SMTP server {where} did not accept the reply: {exc.smtp_code} {text}",
            hint="the reply stays in the outbox; it is retried on the next send",
        ) from None
    except (smtplib.SMTPException, OSError) as exc:
        raise UnreachableError(
            f"lost the SMTP server {where} while sending: {exc}",
            hint="the reply stays in the outbox; it is retried on the next send",
        ) from None
    finally:
        try:
            server.quit()
        except (smtplib.SMTPException, OSError):
            server.close()


def flatten(msg: EmailMessage) -> bytes:
    from email.policy import SMTP

    return msg.as_bytes(policy=SMTP)

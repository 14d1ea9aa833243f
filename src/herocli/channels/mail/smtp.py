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
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, getaddresses
from typing import Any

from herocli.channels.mail.headers import is_synthetic_id
from herocli.config import EmailSettings
from herocli.errors import AuthError, ChannelError, UncertainError, UnreachableError
from herocli.exchange import Secret, Thread
from herocli.models import Message

#: Headers set raw (``set_raw``) are written as given: a msg-id is never encoded or refolded.
POLICY = SMTP_POLICY.clone(refold_source="none")
_FOLD_AT = 78


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


def thread_references(meta: Mapping[str, Any], parent_id: str) -> list[str]:
    """References for a reply (RFC 5322 §3.6.4): the parent's References, or else its
    In-Reply-To when that names one id, then the parent's own id; made-up ids never."""
    chain = _meta_list(meta, "references")
    if not chain:
        irt = _meta_list(meta, "in_reply_to")
        chain = irt if len(irt) == 1 else []
    out: list[str] = []
    for mid in [*chain, parent_id]:
        if mid and mid not in out and not is_synthetic_id(mid):
            out.append(mid)
    return out


def _msgid_lines(ids: list[str], name: str) -> str:
    """Ids folded between ids, never inside one: a long id stays whole on its own line.

    RFC 5322 allows lines up to 998 characters; the 78 it recommends is only a preference.
    """
    lines: list[str] = []
    current = ""
    width = len(name) + 2
    for mid in ids:
        if current and width + len(current) + 1 + len(mid) > _FOLD_AT:
            lines.append(current)
            current, width = mid, 1
        else:
            current = f"{current} {mid}" if current else mid
    lines.append(current)
    return "\r\n ".join(lines)


def set_msgid_header(msg: EmailMessage, name: str, ids: list[str]) -> None:
    """Write ``ids`` into header ``name`` as bare msg-ids (no encoded words)."""
    del msg[name]
    if ids:
        msg.set_raw(name, _msgid_lines(ids, name))


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
    to, cc = recipients(parent, ours)
    if not to:
        raise ChannelError(
            f"item {thread.item_id}: the message to answer names no recipient outside the team",
        )
    msg = EmailMessage(policy=POLICY)
    local, _, domain = settings.from_address.partition("@")
    msg["From"] = Address(display_name=from_name or "", username=local, domain=domain)
    msg["To"] = ", ".join(to)
    if cc:
        msg["Cc"] = ", ".join(cc)
    msg["Subject"] = reply_subject(str(meta.get("subject") or thread.title))
    msg["Date"] = format_datetime(now)
    set_msgid_header(msg, "Message-ID", [reply_message_id(key, settings.from_address)])
    # A parent without a Message-ID has a made-up one: pointing at it would thread nowhere.
    if not is_synthetic_id(parent_id):
        set_msgid_header(msg, "In-Reply-To", [parent_id])
    set_msgid_header(msg, "References", thread_references(meta, parent_id))
    text = body.rstrip("\n") + "\n"
    if settings.quote_original and parent.body.strip():
        text += "\n" + _quoted(parent)
    msg.set_content(text, charset="utf-8")
    return msg


class _Tracked(smtplib.SMTP):
    """Notes when the message itself starts going over: a connection lost from
    then on may come after the server took it, so the send is uncertain."""

    handed_over = False

    def data(self, msg: Any) -> tuple[int, bytes]:
        self.handed_over = True
        return super().data(msg)


class _TrackedSSL(_Tracked, smtplib.SMTP_SSL):
    pass


def send(settings: EmailSettings, credential: Secret | None, msg: EmailMessage) -> list[str]:
    """Hand ``msg`` to the SMTP server; raise a ``herocli.errors`` type when it is not accepted.

    Returns the recipients the server refused while it took the message for the
    others: the reply went out, so it must not be sent again, and who missed it is
    said instead.

    ``UncertainError`` when the connection was lost or timed out after the
    message went over: the server may have accepted it, and SMTP cannot be asked.
    """
    host, port = settings.smtp_host, settings.smtp_port
    where = f"{host}:{port}"
    try:
        if settings.smtp_security == "ssl":
            server: _Tracked = _TrackedSSL(
                host, port, timeout=settings.read_timeout, context=ssl.create_default_context()
            )
        else:
            server = _Tracked(host, port, timeout=settings.read_timeout)
    except (TimeoutError, ConnectionError, socket.gaierror, OSError) as exc:
        raise UnreachableError(
            f"cannot reach the SMTP server {where}: {exc}",
            hint="check [email] smtp_host, smtp_port and smtp_security; the reply stays in the outbox",
        ) from None
    try:
        server.ehlo()
        if settings.smtp_security == "starttls":
            if not server.has_extn("starttls"):
                raise ChannelError(
                    f"the SMTP server {where} does not offer STARTTLS, so the reply was not sent",
                    hint='set [email] smtp_security = "ssl" (usually port 465), or "none" for a '
                    "local relay; a retry alone will not help",
                )
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
        return sorted(refused)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _text in exc.recipients.values()]
        raise ChannelError(
            f"the SMTP server {where} refused every recipient: {', '.join(sorted(exc.recipients))}",
            hint=_retry_hint(min(codes) if codes else 500),
        ) from None
    except smtplib.SMTPResponseException as exc:
        text = (
            exc.smtp_error.decode("utf-8", "replace")
            if isinstance(exc.smtp_error, bytes)
            else exc.smtp_error
        )
        raise _refusal(where, exc.smtp_code, text) from None
    except (smtplib.SMTPException, OSError) as exc:
        if server.handed_over:
            raise UncertainError(
                f"lost the SMTP server {where} after handing it the reply ({exc}): "
                "it may have been sent",
            ) from None
        raise UnreachableError(
            f"lost the SMTP server {where} while sending: {str(exc).rstrip('.')}",
            hint="the reply stays in the outbox; it is retried on the next send",
        ) from None
    finally:
        try:
            server.quit()
        except (smtplib.SMTPException, OSError):
            server.close()


def _retry_hint(code: int) -> str:
    if 400 <= code < 500:
        return "a temporary refusal (4xx): the reply stays in the outbox; `hero outbox retry` tries again"
    return (
        "a permanent refusal (5xx): sending it again fails the same way; fix what the server "
        "names (recipient, size, sender), then `hero outbox retry`"
    )


def _refusal(where: str, code: int, text: str) -> ChannelError:
    """The server said no: say what it said, and whether a retry can help."""
    text = " ".join(text.split()).rstrip(".")
    kind = "temporarily refused" if 400 <= code < 500 else "refused"
    return ChannelError(
        f"the SMTP server {where} {kind} the reply: {code} {text}", hint=_retry_hint(code)
    )


def flatten(msg: EmailMessage) -> bytes:
    """The message as bytes for IMAP APPEND, with CRLF and msg-id headers as written."""
    return msg.as_bytes(policy=POLICY)

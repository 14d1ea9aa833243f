"""Parse raw RFC 5322 mail into the fields the email channel needs, whatever the bytes are.

``parse_message`` never raises: malformed structure, unknown or wrong charsets, 8-bit
headers and truncated messages are read as far as they go and each problem is noted
in ``ParsedMail.defects``. Header decoding lives in ``headers`` (charsets in ``charsets``),
the body and attachment list in ``mime``, subject comparison in ``subjects``.
"""

from __future__ import annotations

import email
import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from email.message import Message as EmailMessage
from email.parser import BytesParser
from email.policy import compat32

from herocli.channels.mail.headblock import Split, split_fields, split_message
from herocli.channels.mail.headers import (
    SYNTHETIC_DOMAIN,
    RawHeaders,
    addresses,
    decode_header_value,
    fold_ws,
    message_ids,
    parse_date,
)
from herocli.channels.mail.mime import (
    BodyWalker,
    note_defects,
    plain_body_text,
    plain_charset_params,
    simple_text,
)
from herocli.channels.mail.quotes import trim_quoted
from herocli.channels.mail.subjects import is_reply_subject, normalise_subject
from herocli.models import Attachment

__all__ = [
    "ParsedMail",
    "decode_header_value",
    "is_reply_subject",
    "normalise_subject",
    "parse_message",
]

_SYNTHETIC_PREFIX_BYTES = 65536


@dataclass(frozen=True)
class ParsedMail:
    """One message as the email channel sees it; all text is decoded and untrusted."""

    message_id: str
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    subject: str
    from_name: str
    from_addr: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    reply_to: tuple[str, ...]
    date: datetime | None
    text: str
    display_text: str
    attachments: tuple[Attachment, ...]
    defects: tuple[str, ...]
    #: True when the Message-ID header was missing or unusable and ``message_id`` is synthetic.
    synthetic_id: bool = False


_BOUNDARY_LINE_RE = re.compile(r"^--([^\s\-][^\s]{0,69}?|[^\s]{1,70}?)[ \t\r]*$", re.MULTILINE)


def _repair_boundary(raw: bytes, msg: EmailMessage) -> EmailMessage | None:
    """Re-parse a multipart whose boundary parameter is missing, guessing it from the body."""
    payload = msg.get_payload()
    if not isinstance(payload, str):
        return None
    match = _BOUNDARY_LINE_RE.search(payload)
    if not match:
        return None
    boundary = match.group(1)
    if boundary.endswith("--"):
        boundary = boundary[:-2]
    text = raw.decode("ascii", errors="surrogateescape")
    split = re.search(r"\r?\n\r?\n", text)
    if not split:
        return None
    head, body = text[: split.start()], text[split.start() :]
    head = re.sub(
        r"(?ims)^content-type:.*?(?=^\S|\Z)",
        lambda m: f'Content-Type: {msg.get_content_type()}; boundary="{boundary}"\n',
        head + "\n",
        count=1,
    ).rstrip("\n")
    repaired = email.message_from_string(head + body, policy=compat32)
    return repaired if repaired.is_multipart() else None


def _raw_body(raw: bytes) -> str:
    """Everything after the header block, as text."""
    ends = [(at, len(blank)) for blank in (b"\r\n\r\n", b"\n\n") if (at := raw.find(blank)) >= 0]
    if not ends:
        return ""
    at, size = min(ends)
    return raw[at + size :].decode("utf-8", errors="replace").strip("\r\n")


def _synthetic_id(raw: bytes) -> str:
    # Line endings differ between a file on disk and the same message on an IMAP server.
    prefix = raw[:_SYNTHETIC_PREFIX_BYTES].replace(b"\r\n", b"\n")
    digest = hashlib.sha256(prefix).hexdigest()
    return f"<{digest}@{SYNTHETIC_DOMAIN}>"


def parse_message(raw: bytes) -> ParsedMail:
    """Parse one raw message. Never raises: whatever cannot be read is noted in ``defects``."""
    try:
        return _parse(raw)
    except Exception as exc:  # any bytes must give a ParsedMail
        text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else str(raw)
        return ParsedMail(
            message_id=_synthetic_id(raw if isinstance(raw, bytes) else text.encode()),
            in_reply_to=(),
            references=(),
            subject="",
            from_name="",
            from_addr="",
            to=(),
            cc=(),
            reply_to=(),
            date=None,
            text=text,
            display_text=text.strip(),
            attachments=(),
            defects=(f"could not be parsed ({type(exc).__name__}); kept as raw text",),
            synthetic_id=True,
        )


def _message(raw: bytes, split: Split | None, defects: list[str]) -> EmailMessage:
    """The parsed tree of ``raw``: headers only for a single part, whole for a multipart."""
    msg = split_message(raw) if split is not None else None
    if msg is None:
        # Most mail is one text part: its headers are all the parser needs to read (the
        # body is the payload as it stands), which halves the cost of a first sync.
        msg = BytesParser(policy=compat32).parsebytes(raw, headersonly=True)
    maintype = msg.get_content_maintype()
    if maintype in ("multipart", "message"):
        msg = email.message_from_bytes(raw, policy=compat32)
        maintype = msg.get_content_maintype()
    if maintype == "multipart" and not msg.is_multipart():
        repaired = _repair_boundary(raw, msg)
        if repaired is not None:
            defects.append("multipart declared without a boundary; boundary guessed from the body")
            msg = repaired
        else:
            note_defects(msg, defects)
    plain_charset_params(msg)
    return msg


def _parse(raw: bytes, *, shortcut: bool = True) -> ParsedMail:
    """``shortcut``: read one plain text part straight from the split header block, with
    no message tree (what the walker would do to it); the tests compare both ways."""
    defects: list[str] = []
    split = split_fields(raw)
    simple, charset = simple_text(split.by_name) if split is not None else (False, None)
    msg: EmailMessage | None = None
    if split is not None and simple and shortcut:
        body = split.body
        headers = RawHeaders.of(split.by_name)
    else:
        msg = _message(raw, split, defects)
        headers = RawHeaders(msg.raw_items())
    ids = message_ids(headers.first("message-id"))
    synthetic = not ids
    if synthetic:
        message_id = _synthetic_id(raw)
        defects.append("no Message-ID; a stable one was derived from the content")
    else:
        message_id = ids[0]
    references = tuple(
        m for m in message_ids(" ".join(headers.all("references"))) if m != message_id
    )
    in_reply_to = tuple(m for m in message_ids(headers.first("in-reply-to")) if m != message_id)

    subject = fold_ws(decode_header_value(headers.first("subject"), defects))
    senders = addresses(headers.all("from"), defects)
    if not senders:
        senders = addresses(headers.all("sender"), defects)
    from_name, from_addr = senders[0] if senders else ("", "")
    if not senders:
        raw_from = headers.first("from")
        if raw_from:
            from_name = fold_ws(decode_header_value(raw_from, defects))
            defects.append("unparseable From header")
    to = tuple(a for _, a in addresses(headers.all("to"), defects))
    cc = tuple(a for _, a in addresses(headers.all("cc"), defects))
    reply_to = tuple(a for _, a in addresses(headers.all("reply-to"), defects))
    date = parse_date(headers.first("date"), defects)

    walker = BodyWalker(defects)
    if msg is None:
        text = plain_body_text(body, charset, defects).strip("\n")
    else:
        try:
            text = walker.text_of(msg).strip("\n")
        except Exception as exc:  # the headers were read: keep them, show the body as it is
            defects.append(f"body could not be parsed ({type(exc).__name__}); kept as raw text")
            text = _raw_body(raw)
    display = trim_quoted(text)
    return ParsedMail(
        message_id=message_id,
        in_reply_to=in_reply_to,
        references=references,
        subject=subject,
        from_name=from_name,
        from_addr=from_addr,
        to=to,
        cc=cc,
        reply_to=reply_to,
        date=date,
        text=text,
        display_text=display,
        attachments=tuple(walker.attachments),
        defects=tuple(dict.fromkeys(defects)),
        synthetic_id=synthetic,
    )

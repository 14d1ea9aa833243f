"""Walk a parsed MIME tree: the readable text of the message and its list of attachments.

Attachments are listed by name, size and type only; their content is never decoded beyond
what counting their size needs.
"""

from __future__ import annotations

import email.utils
import re
from collections.abc import Mapping
from email.message import Message as EmailMessage
from email.policy import compat32

from herocli.channels.mail.charsets import decode_bytes
from herocli.channels.mail.headers import decode_header_value, fold_ws
from herocli.channels.mail.html_text import html_to_text
from herocli.models import Attachment

__all__ = [
    "BodyWalker",
    "listed_filename",
    "note_defects",
    "plain_body_text",
    "plain_charset_params",
    "simple_text",
]

_MAX_DEPTH = 40

_DEFECT_TEXT = {
    "NoBoundaryInMultipartDefect": "multipart declared without a boundary",
    "StartBoundaryNotFoundDefect": "multipart boundary never found (truncated or wrong boundary)",
    "CloseBoundaryNotFoundDefect": "multipart never closed (truncated?)",
    "FirstHeaderLineIsContinuationDefect": "first header line is a continuation",
    "MisplacedEnvelopeHeaderDefect": "envelope 'From ' line among the headers",
    "MissingHeaderBodySeparatorDefect": "no blank line between headers and body",
    "MultipartInvariantViolationDefect": "multipart with a single non-multipart body",
    "InvalidMultipartContentTransferEncodingDefect": "multipart with an invalid transfer encoding",
    "UndecodableBytesDefect": "undecodable bytes",
    "InvalidBase64PaddingDefect": "base64 with bad padding (truncated?)",
    "InvalidBase64CharactersDefect": "base64 with invalid characters",
    "InvalidBase64LengthDefect": "base64 of impossible length (truncated?)",
    "MultipartConversionError": "broken multipart",
}


def note_defects(part: EmailMessage, defects: list[str]) -> None:
    """Add the parser's structural defects on ``part``, in words, to ``defects`` (once each)."""
    for defect in getattr(part, "defects", ()):
        name = type(defect).__name__
        note = _DEFECT_TEXT.get(name, name)
        if note not in defects:
            defects.append(note)


def _payload_bytes(part: EmailMessage) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:  # uuencode and friends raise on garbage
        data = None
    if isinstance(data, bytes):
        return data
    raw = part.get_payload()
    if isinstance(raw, str):
        return raw.encode("utf-8", errors="surrogateescape")
    return b""


def _payload_size(part: EmailMessage) -> int:
    """Decoded size of a leaf part, counted without building the decoded bytes for base64."""
    raw = part.get_payload()
    if not isinstance(raw, str):
        if isinstance(raw, list):
            return sum(_payload_size(p) for p in raw if isinstance(p, EmailMessage))
        return 0
    cte = str(part.get("content-transfer-encoding", "")).strip().lower()
    if cte == "base64":
        chars = len(raw) - sum(raw.count(c) for c in " \t\r\n")
        padding = raw.rstrip().count("=", max(0, len(raw.rstrip()) - 2))
        return max(0, chars * 3 // 4 - padding)
    if cte == "quoted-printable":
        return len(_payload_bytes(part))
    return len(raw.encode("utf-8", errors="surrogateescape"))


def _param(part: EmailMessage, header: str, name: str, defects: list[str]) -> object:
    """A header parameter, with raw 8-bit bytes in the header decoded like body text first.

    (The parser itself turns such bytes into U+FFFD before a parameter can be read.)
    """
    raw = next((str(v) for k, v in part.raw_items() if k.lower() == header), None)
    if raw is None:
        return None
    try:
        raw.encode("utf-8")
    except UnicodeEncodeError:
        data = raw.encode("utf-8", errors="surrogateescape")
        holder = EmailMessage()
        holder[header] = decode_bytes(data, None, defects, "attachment name")
        return holder.get_param(name, header=header)
    return part.get_param(name, header=header)


def _filename(part: EmailMessage, defects: list[str]) -> str | None:
    """The attachment's name, decoded like body text: RFC 2231, RFC 2047 and raw 8-bit alike."""
    value: object = None
    try:
        value = _param(part, "content-disposition", "filename", defects) or _param(
            part, "content-type", "name", defects
        )
    except Exception:  # hostile parameters
        defects.append("attachment name could not be decoded")
    if not value:
        return None
    if isinstance(value, tuple):  # RFC 2231: (charset, language, %-decoded bytes as latin-1)
        charset, _language, text = value
        data = str(text).encode("latin-1", errors="surrogateescape")
        name = decode_bytes(data, str(charset) if charset else None, defects, "attachment name")
    else:
        name = decode_header_value(email.utils.unquote(str(value)), defects)
    name = fold_ws(name)
    return name.replace("/", "_").replace("\\", "_") or None


def listed_filename(
    disposition: Mapping[str, str] | str, content_type: Mapping[str, str]
) -> str | None:
    """An attachment's name from its parameters as BODYSTRUCTURE lists them (raw 8-bit
    bytes kept as surrogates), decoded as a parsed part's is: RFC 2231, RFC 2047, 8-bit.

    ``disposition`` may be the header's text instead, as some servers (pymap) give it.
    """
    holder = EmailMessage(policy=compat32)
    for header, params in (("Content-Disposition", disposition), ("Content-Type", content_type)):
        if isinstance(params, str):
            holder[header] = params
            continue
        # An extended (RFC 2231) value is a token of its own; any other goes in quotes.
        fields = [
            f"{name}={value}" if name.endswith("*") else f'{name}="{email.utils.quote(value)}"'
            for name, value in params.items()
        ]
        holder[header] = "; ".join(["x", *fields])
    return _filename(holder, [])


# "type/subtype; charset=token" and nothing else, the token plain or in quotes: the common
# Content-Type, whose charset get_param gives as the token (at some cost per message).
_PLAIN_CHARSET_RE = re.compile(
    r'[^\s;"]+\s*;\s*charset\s*=\s*(?:"([A-Za-z0-9._:+-]+)"|([A-Za-z0-9._:+-]+))\s*',
    re.IGNORECASE | re.ASCII,
)


_TOKEN = r"[A-Za-z0-9._:+-]+"
# "text/plain" alone or with a charset parameter and nothing else (as _PLAIN_CHARSET_RE).
_SIMPLE_TYPE_RE = re.compile(
    rf'text/plain\s*(?:;\s*charset\s*=\s*(?:"({_TOKEN})"|({_TOKEN}))\s*)?',
    re.IGNORECASE | re.ASCII,
)


def simple_text(by_name: Mapping[str, list[str]]) -> tuple[bool, str | None]:
    """Whether a message with these fields (values by lower-cased name) is one text/plain
    part that the walker reads as its bytes stand (no transfer encoding to undo, no
    disposition), and its charset."""
    if "content-disposition" in by_name:
        return False, None
    encodings = by_name.get("content-transfer-encoding")
    if encodings and encodings[0].lower() not in ("7bit", "8bit", "binary"):
        return False, None
    types = by_name.get("content-type")
    if not types:
        return True, None
    ctype = types[0]
    found = _SIMPLE_TYPE_RE.fullmatch(ctype)
    if found is None:
        return False, None
    return True, found.group(1) or found.group(2)


def plain_body_text(data: bytes, charset: str | None, defects: list[str]) -> str:
    """The text of a text/plain body, as ``BodyWalker`` reads a leaf."""
    text = decode_bytes(data, charset, defects, "body")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def plain_charset_params(msg: EmailMessage) -> None:
    """Rewrite RFC 2231 charset parameters (``charset*=utf-8''utf-8``) as plain ones.

    The email package reads such a parameter as a (charset, language, value) triple,
    and its ``get_payload()`` then fails on any part with 8-bit bytes in it.
    """
    for part in msg.walk():
        if "charset*" in str(part.get("content-type", "")).lower():
            part.set_param("charset", _charset(part) or "us-ascii")


def _charset(part: EmailMessage) -> str | None:
    header = part.get("content-type")
    plain = _PLAIN_CHARSET_RE.fullmatch(header) if isinstance(header, str) else None
    if plain is not None:
        return plain.group(1) or plain.group(2)
    try:
        value = part.get_param("charset")
    except Exception:
        return None
    if isinstance(value, tuple):  # RFC 2231 encoded parameter
        value = value[2]
    return str(value) if value else None


def _disposition(part: EmailMessage) -> str:
    value = part.get("content-disposition")
    if not value:
        return ""
    return str(value).split(";", 1)[0].strip().lower()


_BODY_TYPES = frozenset(
    {"text/plain", "text/html", "text/enriched", "text/markdown", "text/x-markdown"}
)
_FORWARD_TYPES = frozenset({"message/rfc822", "message/global"})


class BodyWalker:
    """Collects the readable text and the attachment list of one message tree."""

    def __init__(self, defects: list[str]) -> None:
        self.defects = defects
        self.attachments: list[Attachment] = []
        self.counter = 0

    def text_of(self, part: EmailMessage, depth: int = 0) -> str:
        """Readable text of ``part``; attachments met on the way are recorded."""
        note_defects(part, self.defects)
        if depth > _MAX_DEPTH:
            self.defects.append("MIME nesting too deep, rest ignored")
            return ""
        ctype = part.get_content_type()
        maintype = ctype.split("/", 1)[0]
        disposition = _disposition(part)
        payload = part.get_payload()

        if maintype == "message":
            inner = payload[0] if isinstance(payload, list) and payload else None
            if ctype not in _FORWARD_TYPES:
                # Delivery reports, partial messages, headers-only parts: listed, not read.
                self._attach(part)
                return ""
            if disposition == "attachment" or not isinstance(inner, EmailMessage):
                self._attach(part, default="message.eml")
                return ""
            return self._forwarded(inner, depth)

        if isinstance(payload, list):
            parts = [p for p in payload if isinstance(p, EmailMessage)]
            if ctype == "multipart/alternative":
                return self._alternative(parts, depth)
            if ctype == "multipart/related" and parts:
                start = self._related_start(part, parts)
                text = self.text_of(start, depth + 1)
                for other in parts:
                    if other is not start:
                        self.text_of(other, depth + 1)
                return text
            texts = [self.text_of(p, depth + 1) for p in parts]
            return "\n\n".join(t for t in texts if t.strip())

        # A multipart whose structure could not be read is shown as the text it is.
        is_body = ctype in _BODY_TYPES or (maintype == "multipart" and isinstance(payload, str))
        if disposition == "attachment" or not is_body:
            self._attach(part)
            return ""
        if ctype != "text/plain" and _filename(part, []) is not None:
            self._attach(part)  # a named HTML file is a document, not the message
            return ""
        return self._leaf_text(part, ctype)

    def _leaf_text(self, part: EmailMessage, ctype: str) -> str:
        data = _payload_bytes(part)
        if ctype == "text/html":
            return html_to_text(decode_bytes(data, _charset(part), self.defects, "body"))
        return plain_body_text(data, _charset(part), self.defects)

    def _alternative(self, parts: list[EmailMessage], depth: int) -> str:
        def kind(p: EmailMessage) -> str:
            return p.get_content_type()

        plain = [p for p in parts if kind(p) == "text/plain" and _disposition(p) != "attachment"]
        chosen: EmailMessage | None = None
        for candidate in plain:
            if _payload_bytes(candidate).strip():
                chosen = candidate
                break
        if chosen is None:
            # Prefer the richest readable version after plain text: the last that yields text.
            for candidate in reversed(parts):
                if kind(candidate).startswith(("text/html", "multipart/")):
                    chosen = candidate
                    break
        if chosen is None and parts:
            chosen = parts[0]
        text = self.text_of(chosen, depth + 1) if chosen is not None else ""
        for other in parts:
            if other is not chosen and other.get_content_maintype() not in ("text", "multipart"):
                self.text_of(other, depth + 1)  # rare, but attachments inside alternatives exist
        return text

    def _related_start(self, part: EmailMessage, parts: list[EmailMessage]) -> EmailMessage:
        start = part.get_param("start")
        if isinstance(start, str):
            wanted = start.strip().strip("<>")
            for p in parts:
                if str(p.get("content-id", "")).strip().strip("<>") == wanted:
                    return p
        return parts[0]

    def _forwarded(self, inner: EmailMessage, depth: int) -> str:
        head = ["---------- Forwarded message ----------"]
        for label, header in (
            ("From", "from"),
            ("Date", "date"),
            ("Subject", "subject"),
            ("To", "to"),
        ):
            value = inner.get(header)
            if value:
                head.append(f"{label}: {fold_ws(decode_header_value(str(value), self.defects))}")
        body = self.text_of(inner, depth + 1)
        return "\n".join(head) + "\n\n" + body

    def _attach(self, part: EmailMessage, default: str | None = None) -> None:
        self.counter += 1
        name = _filename(part, self.defects)
        ctype = part.get_content_type()
        if not name and ctype == "message/rfc822":
            payload = part.get_payload()
            inner = payload[0] if isinstance(payload, list) and payload else None
            subject = (
                fold_ws(decode_header_value(str(inner.get("subject", "")), self.defects))
                if isinstance(inner, EmailMessage)
                else ""
            )
            name = f"{subject[:80] or 'message'}.eml"
        if not name:
            name = default or f"part-{self.counter}{_extension(ctype)}"
        size = _message_size(part) if ctype == "message/rfc822" else _payload_size(part)
        self.attachments.append(Attachment(name=name, size=size, content_type=ctype))


def _extension(ctype: str) -> str:
    known = {
        "image/png": ".png",
        "image/jpeg": ".jpg",
        "image/gif": ".gif",
        "application/pdf": ".pdf",
        "text/calendar": ".ics",
        "text/plain": ".txt",
        "text/html": ".html",
        "message/rfc822": ".eml",
        "message/delivery-status": ".txt",
        "text/rfc822-headers": ".txt",
        "message/rfc822-headers": ".txt",
    }
    return known.get(ctype, ".bin")


def _message_size(part: EmailMessage) -> int:
    payload = part.get_payload()
    if isinstance(payload, list) and payload and isinstance(payload[0], EmailMessage):
        try:
            return len(payload[0].as_bytes(policy=compat32))
        except Exception:
            return 0
    return _payload_size(part)

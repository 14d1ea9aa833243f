"""Parse raw RFC 5322 mail into the fields the email channel needs, whatever the bytes are.

``parse_message`` never raises: malformed structure, unknown or wrong charsets, 8-bit
headers and truncated messages are read as far as they go and each problem is noted
in ``ParsedMail.defects``. Attachments are listed by name, size and type only; their
content is never decoded beyond what counting their size needs.
"""

from __future__ import annotations

import binascii
import codecs
import contextlib
import email
import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import Message as EmailMessage
from email.policy import compat32
from email.utils import getaddresses, parsedate_to_datetime

from herocli.channels.mail.html_text import html_to_text
from herocli.channels.mail.quotes import trim_quoted
from herocli.models import Attachment

__all__ = [
    "ParsedMail",
    "decode_header_value",
    "is_reply_subject",
    "normalise_subject",
    "parse_message",
]

SYNTHETIC_DOMAIN = "herocli.invalid"
_SYNTHETIC_PREFIX_BYTES = 65536
_MAX_DEPTH = 40


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


# --------------------------------------------------------------------------- headers

_ENCODED_WORD_RE = re.compile(r"=\?([^?\s]+)\?([QqBb])\?([^?\s]*)\?=")
_EW_GAP_RE = re.compile(r"(\?=)[ \t\r\n]+(?==\?[^?\s]+\?[QqBb]\?)")
_FOLD_RE = re.compile(r"\r?\n(?=[ \t])")
_WS_RE = re.compile(r"\s+")

# Labels mail clients use that Python does not know, or where the superset decodes more.
_CHARSET_ALIASES = {
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "iso8859-1": "cp1252",
    "us-ascii": "utf-8",  # mislabelled 8-bit text is far more often UTF-8 than anything else
    "ascii": "utf-8",
    "ansi_x3.4-1968": "utf-8",
    "iso-8859-8-i": "iso-8859-8",
    "iso-8859-6-i": "iso-8859-6",
    "iso-8859-8-e": "iso-8859-8",
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "euc-kr": "cp949",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "x-mac-roman": "mac_roman",
    "macintosh": "mac_roman",
    "windows-874": "cp874",
    "x-sjis": "cp932",
    "shift_jis": "cp932",
    "x-euc-jp": "euc_jp",
    "unicode-1-1-utf-7": "utf-7",
    "x-unknown": "utf-8",
    "unknown-8bit": "utf-8",
    "x-user-defined": "cp1252",
    "default": "utf-8",
    "utf8mb4": "utf-8",
}


def _codec(label: str | None) -> str | None:
    """Return a Python text codec name for a MIME charset label, or None if unknown."""
    if not label:
        return None
    name = label.strip().strip("\"'").lower()
    name = _CHARSET_ALIASES.get(name, name)
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):
        return None
    if not getattr(info, "_is_text_encoding", True):
        return None
    return info.name


def _stray_bytes_as_cp1252(exc: UnicodeError) -> tuple[str, int]:
    """Codec error handler: read bytes that are not UTF-8 as Windows-1252 and carry on."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    bad = exc.object[exc.start : exc.end]
    return bad.decode("cp1252", errors="replace"), exc.end


codecs.register_error("herocli-cp1252", _stray_bytes_as_cp1252)


def _decode_bytes(data: bytes, label: str | None, defects: list[str], what: str) -> str:
    """Decode ``data`` declared as ``label``; fall back sensibly and note what was wrong.

    Mail that is not what its label says is common: UTF-8 labelled Latin-1, Windows-1252
    labelled UTF-8, 8-bit text labelled US-ASCII, made-up labels. Text that is valid UTF-8
    is read as UTF-8; stray bytes that are not are read as Windows-1252, byte by byte, so
    one bad byte never garbles the rest.
    """
    codec = _codec(label)
    shown = (label or "").strip()[:40]
    if label and codec is None:
        defects.append(f"{what}: unknown charset {shown!r}, read as UTF-8")
    if codec is None or codec == "utf-8":
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            pass
        if label and codec is not None:
            defects.append(f"{what}: not valid {shown}, stray bytes read as Windows-1252")
        return data.decode("utf-8", errors="herocli-cp1252")
    try:
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        pass
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        defects.append(f"{what}: not valid {shown}, undecodable bytes replaced")
        try:
            return data.decode(codec, errors="replace")
        except Exception:  # some codecs fail even with errors="replace"
            return data.decode("utf-8", errors="herocli-cp1252")
    defects.append(f"{what}: labelled {shown} but is UTF-8")
    return text


def _raw_to_str(value: str, defects: list[str] | None = None) -> str:
    """Undo the surrogate escapes the parser leaves for raw 8-bit header bytes."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raw = value.encode("utf-8", errors="surrogateescape")
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            if defects is not None:
                defects.append(
                    "header with raw 8-bit bytes that are not UTF-8, read as Windows-1252"
                )
            return raw.decode("cp1252", errors="replace")
    return value


def _decode_word(match: re.Match[str], defects: list[str] | None) -> str:
    charset, encoding, text = match.group(1), match.group(2).upper(), match.group(3)
    charset = charset.split("*", 1)[0]  # RFC 2231 language suffix: =?utf-8*en?Q?...?=
    try:
        if encoding == "B":
            data = binascii.a2b_base64(text + "=" * (-len(text) % 4))
        else:
            data = binascii.a2b_qp(text.replace("_", " "), header=False)
    except (binascii.Error, ValueError):
        if defects is not None:
            defects.append("header with a broken encoded word, kept as is")
        return match.group(0)
    return _decode_bytes(data, charset, defects if defects is not None else [], "header")


def decode_header_value(value: str | None, defects: list[str] | None = None) -> str:
    """Decode an unfolded header value: raw 8-bit bytes and RFC 2047 encoded words."""
    if not value:
        return ""
    text = _raw_to_str(str(value), defects)
    text = _FOLD_RE.sub("", text)
    if "=?" not in text:
        return text
    text = _EW_GAP_RE.sub(r"\1", text)  # whitespace between adjacent encoded words is not text
    return _ENCODED_WORD_RE.sub(lambda m: _decode_word(m, defects), text)


def _fold_ws(text: str) -> str:
    return _WS_RE.sub(" ", text).strip()


_MSGID_RE = re.compile(r"<\s*([^<>\s]+?)\s*>")


def _message_ids(value: str | None) -> list[str]:
    """Return normalised ``<id>`` values from a Message-ID / References / In-Reply-To value."""
    if not value:
        return []
    text = _raw_to_str(value)
    found = [f"<{m}>" for m in _MSGID_RE.findall(text)]
    if not found:
        # Some software leaves the angle brackets off; keep bare tokens that look like ids.
        found = [
            f"<{tok.strip('<>,;')}>"
            for tok in re.split(r"[\s,]+", text)
            if "@" in tok.strip("<>,;")
        ]
    seen: set[str] = set()
    out: list[str] = []
    for mid in found:
        if mid not in seen and len(mid) > 2:
            seen.add(mid)
            out.append(mid)
    return out


_NAME_ADDR_RE = re.compile(
    r'^\s*(?:"([^"\\]*)"\s*|([^"<>,;:()\\@]*))<\s*([^<>\s@",;:()\\]+@[^<>\s",;:()\\]+)\s*>\s*$'
)
_BARE_ADDR_RE = re.compile(r"^\s*([^<>\s@\",;:()\\]+@[^<>\s\",;:()\\]+)\s*$")


def _simple_addresses(value: str) -> list[tuple[str, str]] | None:
    """Fast path for the common shapes (``a@b``, ``Name <a@b>``, ``"Last, First" <a@b>``).

    Returns None when the value needs the full RFC 5322 parser (comments, groups, escapes).
    """
    if "(" in value or ";" in value or "\\" in value:
        return None
    if '"' in value:
        if value.count('"') != 2:
            return None
        items = [value]
    else:
        items = value.split(",")
    out: list[tuple[str, str]] = []
    for item in items:
        if not item.strip():
            continue
        match = _NAME_ADDR_RE.match(item)
        if match:
            out.append(((match.group(1) or match.group(2) or "").strip(), match.group(3)))
            continue
        match = _BARE_ADDR_RE.match(item)
        if not match:
            return None
        out.append(("", match.group(1)))
    return out


def _addresses(values: list[str], defects: list[str] | None = None) -> list[tuple[str, str]]:
    """Return (display name, lower-cased address) pairs; names decoded, garbage dropped."""
    if not values:
        return []
    raw = [_FOLD_RE.sub("", _raw_to_str(v, defects)) for v in values]
    pairs: list[tuple[str, str]] = []
    for value in raw:
        simple = _simple_addresses(value)
        if simple is not None:
            pairs.extend(simple)
            continue
        # The address parser has raised on hostile input before; such a value has no address.
        with contextlib.suppress(Exception):
            pairs.extend(getaddresses([value]))
    out: list[tuple[str, str]] = []
    for raw_name, raw_addr in pairs:
        name, addr = raw_name, raw_addr.strip().strip("<>").lower()
        if not addr or any(c.isspace() for c in addr) or "@" not in addr:
            if name and "@" in name and " " not in name.strip():
                addr, name = name.strip().strip("<>").lower(), ""
            else:
                continue
        out.append((_fold_ws(decode_header_value(name, defects)), addr))
    return out


def _parse_date(value: str | None, defects: list[str]) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(_fold_ws(_raw_to_str(value)))
    except (TypeError, ValueError, IndexError, OverflowError):
        defects.append("unparseable Date header")
        return None
    if parsed is None:  # pragma: no cover - older Pythons returned None
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except (OverflowError, ValueError):
        defects.append("Date header out of range")
        return None


# --------------------------------------------------------------------------- subjects

_PREFIX_RE = re.compile(
    r"""^\s*(?:
        (?:re|fw|fwd|aw|sv|vs|wg|antw|antwort|ref|tr|rif|r|i|odp|pd|res|enc|rv|vb|ynt|atb|
           yan[\u0131i]t|ilt|fs|trs|vl|doorst|回复|回覆|答复|转发|轉寄|返信|転送|회신|전달)
        \s*(?:\[\d+\]|\(\d+\))?\s*[:\uff1a]
      | \[[^\[\]]{0,80}\]
      | \((?:fwd|fw)\)
    )\s*""",
    re.IGNORECASE | re.VERBOSE,
)
_REPLY_PREFIX_RE = re.compile(
    r"""^\s*(?:\[[^\[\]]{0,80}\]\s*)*
        (?:re|fw|fwd|aw|sv|vs|wg|antw|antwort|ref|tr|rif|r|i|odp|pd|res|enc|rv|vb|ynt|atb|
           yan[\u0131i]t|ilt|fs|trs|vl|doorst|回复|回覆|答复|转发|轉寄|返信|転送|회신|전달)
        \s*(?:\[\d+\]|\(\d+\))?\s*[:\uff1a]""",
    re.IGNORECASE | re.VERBOSE,
)
_TRAILER_RE = re.compile(r"\s*\((?:fwd|fw)\)\s*$", re.IGNORECASE)


def normalise_subject(subject: str) -> str:
    """Strip reply/forward prefixes (Re:, AW:, SV:, Fwd:, ...) and [list] tags; casefold."""
    text = _fold_ws(subject)
    while True:
        stripped = _PREFIX_RE.sub("", text, count=1)
        if stripped == text:
            break
        text = stripped
    text = _TRAILER_RE.sub("", text)
    return _fold_ws(text).casefold()


def is_reply_subject(subject: str) -> bool:
    """True when the subject starts (after any [list] tags) with a reply or forward prefix."""
    return bool(_REPLY_PREFIX_RE.match(subject))


# --------------------------------------------------------------------------- bodies

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


def _note_defects(part: EmailMessage, defects: list[str]) -> None:
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


def _filename(part: EmailMessage, defects: list[str]) -> str | None:
    try:
        name = part.get_filename()
    except Exception:  # RFC 2231 parameters with bad charsets raise
        name = None
        defects.append("attachment name could not be decoded")
    if not name:
        return None
    return _fold_ws(decode_header_value(name, defects)).replace("/", "_").replace("\\", "_")


def _charset(part: EmailMessage) -> str | None:
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


class _Walker:
    """Collects the readable text and the attachment list of one message tree."""

    def __init__(self, defects: list[str]) -> None:
        self.defects = defects
        self.attachments: list[Attachment] = []
        self.counter = 0

    def text_of(self, part: EmailMessage, depth: int = 0) -> str:
        """Readable text of ``part``; attachments met on the way are recorded."""
        _note_defects(part, self.defects)
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
        text = _decode_bytes(data, _charset(part), self.defects, "body")
        if ctype == "text/html":
            return html_to_text(text)
        return text.replace("\r\n", "\n").replace("\r", "\n")

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
                head.append(f"{label}: {_fold_ws(decode_header_value(str(value), self.defects))}")
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
                _fold_ws(decode_header_value(str(inner.get("subject", "")), self.defects))
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


# --------------------------------------------------------------------------- entry point

_BOUNDARY_LINE_RE = re.compile(r"^--([^\s\-][^\s]{0,69}?|[^\s]{1,70}?)[ \t\r]*$", re.MULTILINE)


class _Headers:
    """Raw header values by lower-cased name, read without the parser's own decoding."""

    def __init__(self, msg: EmailMessage) -> None:
        self.values: dict[str, list[str]] = {}
        for key, value in msg.raw_items():
            self.values.setdefault(key.lower(), []).append(str(value))

    def all(self, name: str) -> list[str]:
        return self.values.get(name, [])

    def first(self, name: str) -> str | None:
        found = self.values.get(name)
        return found[0] if found else None


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


def _parse(raw: bytes) -> ParsedMail:
    defects: list[str] = []
    msg = email.message_from_bytes(raw, policy=compat32)
    if msg.get_content_maintype() == "multipart" and not msg.is_multipart():
        repaired = _repair_boundary(raw, msg)
        if repaired is not None:
            defects.append("multipart declared without a boundary; boundary guessed from the body")
            msg = repaired
        else:
            _note_defects(msg, defects)

    headers = _Headers(msg)
    ids = _message_ids(headers.first("message-id"))
    synthetic = not ids
    if synthetic:
        message_id = _synthetic_id(raw)
        defects.append("no Message-ID; a stable one was derived from the content")
    else:
        message_id = ids[0]
    references = tuple(
        m for m in _message_ids(" ".join(headers.all("references"))) if m != message_id
    )
    in_reply_to = tuple(m for m in _message_ids(headers.first("in-reply-to")) if m != message_id)

    subject = _fold_ws(decode_header_value(headers.first("subject"), defects))
    senders = _addresses(headers.all("from"), defects)
    if not senders:
        senders = _addresses(headers.all("sender"), defects)
    from_name, from_addr = senders[0] if senders else ("", "")
    if not senders:
        raw_from = headers.first("from")
        if raw_from:
            from_name = _fold_ws(decode_header_value(raw_from, defects))
            defects.append("unparseable From header")
    to = tuple(a for _, a in _addresses(headers.all("to"), defects))
    cc = tuple(a for _, a in _addresses(headers.all("cc"), defects))
    reply_to = tuple(a for _, a in _addresses(headers.all("reply-to"), defects))
    date = _parse_date(headers.first("date"), defects)

    walker = _Walker(defects)
    text = walker.text_of(msg).strip("\n")
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

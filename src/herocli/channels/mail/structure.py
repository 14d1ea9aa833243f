"""Read a large message by its BODYSTRUCTURE: fetch its text parts, list its attachments.

``text_sections`` picks the parts a reader sees (text/plain and text/html that are not
attachments) and lists the rest by name, type and size; ``assemble`` rebuilds a message
of the headers and those parts alone, which the parser then reads like any other.
"""

from __future__ import annotations

import re
from typing import Any

from herocli.channels.mail.mime import listed_filename
from herocli.models import Attachment

__all__ = ["assemble", "text_sections"]

_BOUNDARY = b"hero-text-parts-5c1f"
_MAX_TEXT = 1 << 20  # a text part larger than this is listed, not read
_CONTENT_RE = re.compile(
    rb"^content-(?:type|transfer-encoding):.*(?:\r?\n[ \t].*)*\r?\n", re.I | re.M
)


def _text(value: Any, errors: str = "replace") -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors)
    return "" if value is None else str(value)


def _params(value: Any) -> dict[str, str]:
    """A part's parameters; raw 8-bit bytes stay (as surrogates) for the name's decoding."""
    if not isinstance(value, (list, tuple)):
        return {}
    items = list(value)
    return {
        _text(k).lower(): _text(v, "surrogateescape")
        for k, v in zip(items[::2], items[1::2], strict=False)
    }


def _disposition(part: Any, index: int) -> tuple[str, dict[str, str] | str]:
    """The part's disposition and its parameters, or the header's text where the server
    writes that instead of the list RFC 3501 asks for (pymap)."""
    value = part[index] if len(part) > index else None
    if isinstance(value, (list, tuple)) and value:
        return _text(value[0]).lower(), _params(value[1] if len(value) > 1 else None)
    if isinstance(value, (bytes, str)):
        text = _text(value, "surrogateescape")
        return text.split(";", 1)[0].strip().lower(), text
    return "", {}


def text_sections(structure: Any) -> tuple[list[str] | None, tuple[Attachment, ...]]:
    """(sections to fetch, attachments), or (None, ()) when the message is one part."""
    if structure is None or not getattr(structure, "is_multipart", False):
        return None, ()
    sections: list[str] = []
    listed: list[Attachment] = []
    _walk(structure, "", sections, listed)
    return sections, tuple(listed)


def _kind(part: Any) -> str:
    if getattr(part, "is_multipart", False):
        return "multipart/" + _text(part[1]).lower()
    return f"{_text(part[0]).lower()}/{_text(part[1]).lower()}"


def _walk(part: Any, prefix: str, sections: list[str], listed: list[Attachment]) -> None:
    if getattr(part, "is_multipart", False):
        children = list(enumerate(part[0], start=1))
        if _text(part[1]).lower() == "alternative":
            # One version is read, as the parser would: plain text first, else HTML.
            kinds = [_kind(child) for _n, child in children]
            for wanted in ("text/plain", "text/html"):
                if wanted in kinds:
                    keep = kinds.index(wanted)
                    children = [
                        c
                        for i, c in enumerate(children)
                        if i == keep or not kinds[i].startswith("text/")
                    ]
                    break
        for n, child in children:
            _walk(child, f"{prefix}{n}.", sections, listed)
        return
    section = prefix.rstrip(".") or "1"
    ctype = f"{_text(part[0]).lower()}/{_text(part[1]).lower()}"
    params = _params(part[2])
    size = int(part[6]) if len(part) > 6 and isinstance(part[6], int) else 0
    # Extension data follows the basic fields: text parts carry a line count first.
    disposition, dparams = _disposition(part, 9 if ctype.startswith("text/") else 8)
    if ctype in ("text/plain", "text/html") and disposition != "attachment" and size <= _MAX_TEXT:
        sections.append(section)
        return
    name = listed_filename(dparams, params) or f"part-{section}"
    if _text(part[5]).lower() == "base64":
        size = size * 57 // 78  # 3 bytes per 4 characters, lines of 76 and CRLF: about
    listed.append(Attachment(name=name, size=size, content_type=ctype))


def assemble(header: bytes, parts: list[tuple[bytes, bytes]]) -> bytes:
    """The message's headers over a multipart of ``parts`` ((MIME headers, body) each)."""
    head = _CONTENT_RE.sub(b"", header.rstrip(b"\r\n") + b"\r\n")
    out = [head, b'Content-Type: multipart/mixed; boundary="' + _BOUNDARY + b'"\r\n\r\n']
    for mime, body in parts:
        out += [b"--" + _BOUNDARY + b"\r\n", mime.rstrip(b"\r\n") + b"\r\n\r\n", body, b"\r\n"]
    out.append(b"--" + _BOUNDARY + b"--\r\n")
    return b"".join(out)

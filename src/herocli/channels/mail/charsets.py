"""Decode bytes that claim a MIME charset, whatever they really are.

Mail is often not what its label says; ``decode_bytes`` never raises and notes each
mismatch in the caller's defect list.
"""

from __future__ import annotations

import codecs
from functools import lru_cache

__all__ = ["decode_bytes", "detect"]

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
    # Every message names its charset: the few labels mail uses are looked up once.
    return _known_codec(label) if len(label) <= 64 else _lookup(label)


def _lookup(label: str) -> str | None:
    name = label.strip().strip("\"'").lower()
    name = _CHARSET_ALIASES.get(name, name)
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):
        return None
    if not getattr(info, "_is_text_encoding", True):
        return None
    return info.name


_known_codec = lru_cache(maxsize=256)(_lookup)


def _stray_bytes_as_cp1252(exc: UnicodeError) -> tuple[str, int]:
    """Codec error handler: read bytes that are not UTF-8 as Windows-1252 and carry on."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    bad = exc.object[exc.start : exc.end]
    return bad.decode("cp1252", errors="replace"), exc.end


codecs.register_error("herocli-cp1252", _stray_bytes_as_cp1252)


#: Encodings detection may choose, most common in mail first: when several read the bytes
#: equally cleanly (short text often does), the earlier one wins.
_DETECT_ORDER = (
    "cp1252",
    "cp1251",
    "koi8_r",
    "cp1250",
    "gb18030",
    "big5",
    "cp932",
    "euc_jp",
    "cp949",
    "iso8859_2",
    "cp1253",
    "cp1254",
    "cp1255",
    "cp1256",
    "cp1257",
    "cp874",
)


def detect(data: bytes) -> tuple[str, str] | None:
    """(text, codec) for bytes of unknown charset, or None when nothing reads them cleanly."""
    from charset_normalizer import from_bytes

    matches = list(from_bytes(data, cp_isolation=list(_DETECT_ORDER)))
    if not matches:
        return None
    least = min(m.chaos for m in matches)
    clean = {m.encoding: m for m in matches if m.chaos <= least + 0.1}
    for codec in _DETECT_ORDER:
        if codec in clean:
            return str(clean[codec]), codec
    return None


_LATIN = frozenset({"cp1252", "cp1250", "iso8859_2", "cp1254", "cp1257"})


def _has_utf8(data: bytes) -> bool:
    """True when some of the bytes are valid UTF-8 beyond ASCII."""
    text = data.decode("utf-8", errors="replace")
    return any(ord(c) > 127 and c != "\ufffd" for c in text)


def decode_bytes(data: bytes, label: str | None, defects: list[str], what: str) -> str:
    """Decode ``data`` declared as ``label``; fall back sensibly and note what was wrong.

    A declared charset that decodes the bytes is trusted. Bytes that it does not decode,
    or that come with no label or a made-up one, are read as UTF-8 when they are; UTF-8
    with a few stray bytes keeps its UTF-8 and reads the strays as Windows-1252, byte by
    byte; anything else is detected (charset-normalizer), Windows-1252 as the last resort.
    """
    codec = _codec(label)
    shown = (label or "").strip()[:40]
    if label and codec is None:
        defects.append(f"{what}: unknown charset {shown!r}, read as UTF-8")
    if codec is not None and codec != "utf-8":
        try:
            return data.decode(codec)
        except (UnicodeDecodeError, LookupError):
            pass
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        if codec is not None and codec != "utf-8":
            defects.append(f"{what}: labelled {shown} but is UTF-8")
        return text
    wrong = f"not valid {shown}" if label and codec is not None else "8-bit text with no charset"
    # A byte or three beyond ASCII is too little to detect from: Windows-1252 reads most.
    found = detect(data) if sum(b > 127 for b in data) > 3 else None
    # A Western reading of text that is partly valid UTF-8 is UTF-8 with stray bytes.
    if found is not None and not (found[1] in _LATIN and _has_utf8(data)):
        defects.append(f"{what}: {wrong}, read as {found[1]} (detected)")
        return found[0]
    defects.append(f"{what}: {wrong}, stray bytes read as Windows-1252")
    return data.decode("utf-8", errors="herocli-cp1252")

"""Decode bytes that claim a MIME charset, whatever they really are.

Mail is often not what its label says; ``decode_bytes`` never raises and notes each
mismatch in the caller's defect list.
"""

from __future__ import annotations

import codecs

__all__ = ["decode_bytes"]

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


def decode_bytes(data: bytes, label: str | None, defects: list[str], what: str) -> str:
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

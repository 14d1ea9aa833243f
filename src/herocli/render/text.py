"""The one sanitiser for text from outside, whatever the output.

Titles, bodies, labels and names come from strangers. Rich would read ``[bold]``
as markup, a terminal would obey ``\\x1b[2J`` or an OSC 52 clipboard write, a
right-to-left override would make ``invoice\\u202etxt.exe`` read as
``invoiceexe.txt``, and a newline or tab in a label would split a piped row.
Every output path goes through here: ``safe`` for Rich, ``clean`` for plain
text, ``field`` for a tab-separated field, ``json_text`` for ``--json``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.text import Text

# What never reaches an output as itself: C0 controls except tab and newline, DEL,
# C1 controls (ESC's 8-bit twin CSI 0x9b, NEL 0x85, ...), the bidi controls
# (ALM, LRM, RLM, the embeddings and overrides, the isolates) and the line and
# paragraph separators, which split lines in editors, terminals and str.splitlines.
_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_SEPARATORS = "\u2028\u2029"
# Patterns for re's functions, which compile each on first use: compiling these classes
# costs more than a listing's whole use of them, and all-printable text needs neither.
UNSAFE = f"[\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f{_BIDI}{_SEPARATORS}]"
# The same, tab and newline included: what a single line or a field may not hold.
UNSAFE_IN_LINE = f"[\\x00-\\x1f\\x7f-\\x9f{_BIDI}{_SEPARATORS}]"


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def clean(text: str, *, single_line: bool = False) -> str:
    """``text`` with every unsafe character shown as ``\\xNN`` or ``\\uNNNN``.

    Tab and newline are kept, unless ``single_line``: then every run of
    whitespace (line separators included) becomes one space.
    """
    if single_line:
        text = " ".join(text.split())
    # Every unsafe character is a control, format or separator character, which
    # str.isprintable refuses: printable text (most titles and names) is safe as it is.
    if text.isprintable():
        return text
    return re.sub(UNSAFE, _visible, text)


def field(text: str | None) -> str:
    """One field of a tab-separated row: a single line with no tab in it."""
    return clean(text or "", single_line=True)


def safe(text: str | None, style: str = "", *, single_line: bool = False) -> Text:
    """A Rich ``Text`` that shows ``text`` literally: no markup, no escape sequences."""
    from rich.text import Text  # here, so plain and JSON output never load Rich

    return Text(clean(text or "", single_line=single_line), style=style)


def _json_escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def json_text(data: Any, *, indent: int | None = 2) -> str:
    """``data`` as JSON that reads back as the same strings, with nothing unsafe left raw.

    ``json`` escapes C0 controls itself; DEL, C1, bidi controls and the separators
    can only occur inside string literals of its output, where ``\\uNNNN`` stands
    for the same character, so escaping them keeps the value and the syntax.
    ``indent=None`` gives compact JSON, with no space after ``,`` or ``:``.
    """
    if indent is None:
        text = _compact_json(data)
    else:
        import json  # here: piped rows never load it

        text = json.dumps(data, indent=indent, ensure_ascii=False)
    if text.isascii():  # json escaped every C0 control: DEL is the one left to escape
        # Asked first: ``in`` looks for one character with memchr, replace counts slowly.
        return text.replace("\x7f", "\\u007f") if "\x7f" in text else text
    return re.sub(UNSAFE, _json_escape, text)


def _compact_json(data: Any) -> str:
    """``json.dumps(data, ensure_ascii=False, separators=(",", ":"))``, by the C encoder
    that call hands compact JSON to, without importing ``json``.

    Importing ``json`` loads four modules and compiles the regular expressions of its
    decoder and its pure-Python encoder, none of which writing compact JSON uses: it
    cost piped ``hero inbox --json`` more than encoding its hundred items. The encoder
    is made as ``json.JSONEncoder.iterencode`` makes it; an interpreter without
    CPython's ``_json``, or whose encoder takes other arguments, gets ``json.dumps``.
    """
    try:
        from _json import encode_basestring, make_encoder

        # markers (check_circular), default, the str encoder (ensure_ascii=False), indent,
        # the key and item separators, sort_keys, skipkeys, allow_nan: what JSONEncoder
        # passes.
        encode = make_encoder(
            {}, _unserialisable, encode_basestring, None, ":", ",", False, False, True
        )
    except (ImportError, TypeError):  # pragma: no cover - another Python, or another _json
        import json

        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return "".join(encode(data, 0))


def _unserialisable(value: object) -> Any:
    # json.JSONEncoder.default's error, word for word.
    raise TypeError(f"Object of type {value.__class__.__name__} is not JSON serializable")

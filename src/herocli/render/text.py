"""Making untrusted text safe for a terminal.

Titles, bodies and names come from strangers. Rich would read ``[bold]`` as
markup and a terminal would obey ``\\x1b[2J``; both must print literally.
"""

from __future__ import annotations

import re

from rich.text import Text

# C0 controls except tab and newline, DEL, and C1 controls (ESC, CSI 0x9b, ...).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _visible(match: re.Match[str]) -> str:
    return f"\\x{ord(match.group()):02x}"


def clean(text: str, *, single_line: bool = False) -> str:
    """Replace control characters with a visible ``\\xNN``; optionally fold newlines."""
    if single_line:
        text = " ".join(text.split())
    return _CONTROL.sub(_visible, text)


def safe(text: str | None, style: str = "", *, single_line: bool = False) -> Text:
    """A Rich ``Text`` that shows ``text`` literally: no markup, no escape sequences."""
    return Text(clean(text or "", single_line=single_line), style=style)

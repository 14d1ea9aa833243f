"""Subjects as threading compares them: reply and forward prefixes and list tags stripped."""

from __future__ import annotations

import re
from functools import lru_cache

from herocli.channels.mail.headers import fold_ws

__all__ = ["is_reply_subject", "normalise_subject"]

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
    # A thread's messages share their subject, give or take a "Re:": remember the usual ones.
    return _normalise_short(subject) if len(subject) <= 300 else _normalise(subject)


def _normalise(subject: str) -> str:
    text = fold_ws(subject)
    while True:
        stripped = _PREFIX_RE.sub("", text, count=1)
        if stripped == text:
            break
        text = stripped
    text = _TRAILER_RE.sub("", text)
    return fold_ws(text).casefold()


_normalise_short = lru_cache(maxsize=4096)(_normalise)


def is_reply_subject(subject: str) -> bool:
    """True when the subject starts (after any [list] tags) with a reply or forward prefix."""
    return bool(_REPLY_PREFIX_RE.match(subject))

"""Trim quoted history and signatures from a mail's text, for display only.

Recognises the shapes real clients write: "On … wrote:" attributions (Gmail, Apple Mail,
Thunderbird; also German, French, Spanish, Dutch and other common forms), "> " quoted blocks,
Outlook's "From: … Sent: … To: … Subject:" header blocks (with or without the underscore rule),
"-----Original Message-----" separators, and "-- " signatures. Inline answers between quoted
blocks are kept. The full text is always stored elsewhere; this only shortens what is shown.
"""

from __future__ import annotations

import re

_ATTRIBUTION_RE = re.compile(
    r"""^\s*(?:
        on\s.{4,300}?\swrote\s*:
      | on\s.{4,300}?\swrites\s*:
      | .{1,200}\swrote\s*:
      | am\s.{4,300}?\sschrieb\s.{0,200}:
      | .{1,200}\sschrieb\s*:
      | le\s.{4,300}?\sa\s[ée]crit\s*:
      | el\s.{4,300}?\sescribi[óo]\s*:
      | op\s.{4,300}?\sschreef\s.{0,200}:
      | il\s.{4,300}?\sha\sscritto\s*:
      | em\s.{4,300}?\sescreveu\s*:
      | den\s.{4,300}?\sskrev\s.{0,200}:
      | .{1,200}\skirjoitti\s*:
      | .{1,200}\snapisał\(a\)\s*:
      | .{1,200}\s написал\(\u0430\)\s*:
      | 在\s?.{4,200}写道\s*[:\uff1a]
    )\s*$""",
    re.IGNORECASE | re.VERBOSE,
)
_ORIGINAL_RE = re.compile(
    r"^\s*-{2,}\s*(?:original message|urspr[üu]ngliche nachricht|message d'origine|"
    r"mensaje original|oorspronkelijk bericht|messaggio originale|mensagem original|"
    r"opprinnelig melding|ursprungligt meddelande|alkuperäinen viesti)\s*-{2,}\s*$",
    re.IGNORECASE,
)
_RULE_RE = re.compile(r"^\s*_{10,}\s*$")
_FROM_RE = re.compile(
    r"^\s*\*?(?:from|von|de|van|da|från|fra|od|från|lähettäjä)\s*\*?\s*:\s*\S", re.I
)
_SENT_RE = re.compile(
    r"^\s*\*?(?:sent|date|gesendet|datum|envoy[ée]|enviado|fecha|verzonden|inviato|"
    r"data|skickat|sendt|wysłano|lähetetty)\s*\*?\s*:",
    re.I,
)
_TO_SUBJECT_RE = re.compile(
    r"^\s*\*?(?:to|an|à|a|para|aan|till|til|do|subject|betreff|objet|asunto|onderwerp|oggetto|"
    r"assunto|ämne|emne|temat|aihe|cc)\s*\*?\s*:",
    re.I,
)
_SIGNATURE_RE = re.compile(r"^-- ?$")
_SEPARATOR_RE = re.compile(r"^\s*[-_=*~]*\s*$")
_FORWARD_RE = re.compile(
    r"^\s*(?:-{2,}\s*(?:forwarded message|weitergeleitete nachricht|message transf[ée]r[ée]|"
    r"mensaje reenviado|doorgestuurd bericht)\s*-{2,}|begin forwarded message:|"
    r"anfang der weitergeleiteten nachricht:|d[ée]but du message r[ée]exp[ée]di[ée]\s?:)\s*$",
    re.IGNORECASE,
)
_QUOTE_RE = re.compile(r"^\s*>")


def _outlook_header_at(lines: list[str], i: int) -> bool:
    """True when an Outlook-style "From: / Sent: / To: / Subject:" block starts at line ``i``."""
    if not _FROM_RE.match(lines[i]):
        return False
    window = lines[i + 1 : i + 6]
    return any(_SENT_RE.match(line) for line in window) and any(
        _TO_SUBJECT_RE.match(line) for line in window
    )


def _attribution_at(lines: list[str], i: int) -> int:
    """Number of lines (1-3) of an "On … wrote:" attribution starting at ``i``; 0 if none.

    Clients wrap long attributions, so up to three lines are joined before matching; an
    attribution must be followed (after blank lines) by a quoted line or the end of text,
    so that a sentence ending in "wrote:" in the reply itself is kept.
    """
    for span in (1, 2, 3):
        if i + span > len(lines):
            break
        chunk = lines[i : i + span]
        if any(not line.strip() or _QUOTE_RE.match(line) for line in chunk[1:]):
            break
        if not chunk[-1].rstrip().endswith((":", "\uff1a")):
            continue
        joined = " ".join(line.strip() for line in chunk)
        if len(joined) > 400:
            break
        if _ATTRIBUTION_RE.match(joined):
            j = i + span
            while j < len(lines) and not lines[j].strip():
                j += 1
            if j == len(lines) or _QUOTE_RE.match(lines[j]):
                return span
            return 0
    return 0


def trim_quoted(text: str) -> str:
    """Return ``text`` without quoted history and signature; the whole text if nothing is left."""
    # split("\n"), not splitlines(): form feeds and other separators are text here.
    lines = text.split("\n")
    kept: list[str] = []
    forwarded: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if _FORWARD_RE.match(line):
            # A forward is what the sender wants read: keep it whole.
            forwarded = lines[i:]
            break
        if _ORIGINAL_RE.match(line) or _outlook_header_at(lines, i):
            while kept and _SEPARATOR_RE.match(kept[-1]):
                kept.pop()
            break
        if _RULE_RE.match(line) and i + 1 < len(lines):
            nxt = i + 1
            while nxt < len(lines) and not lines[nxt].strip():
                nxt += 1
            if nxt < len(lines) and _outlook_header_at(lines, nxt):
                break
        if _QUOTE_RE.match(line):
            i += 1
            continue
        span = _attribution_at(lines, i) if line.strip() else 0
        if span:
            i += span
            continue
        kept.append(line)
        i += 1
    for n, line in enumerate(kept):
        if n and _SIGNATURE_RE.match(line) and (line == "-- " or len(kept) - n <= 12):
            kept = kept[:n]
            break
    kept.extend(forwarded)
    result = "\n".join(line.rstrip() for line in kept)
    result = re.sub(r"\n{3,}", "\n\n", result).strip()
    return result or text.strip()

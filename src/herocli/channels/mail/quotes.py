"""Trim quoted history and signatures from a mail's text, for display only.

Recognises the shapes real clients write: "On … wrote:" attributions (Gmail, Apple Mail,
Thunderbird; also German, French, Spanish, Portuguese, Russian, Dutch and other common
forms, wrapped or not, with or without a blank line before), "> " quoted blocks,
Outlook's "From: … Sent: … To: … Subject:" header blocks (with or without the underscore rule),
"-----Original Message-----" separators, "-- " signatures and the line a phone adds
("Sent from my iPhone", "Von meinem iPhone gesendet", ...). Inline answers between quoted
blocks are kept. The full text is always stored elsewhere; this only shortens what is shown.
"""

from __future__ import annotations

import re

# Attributions that start like one: "On …", "Am …", "Le …", a date. Only these may be
# wrapped over several lines (a reply's own sentence never starts a wrapped attribution).
_ANCHORED_RE = re.compile(
    r"""^\s*(?:
        on\s.{4,300}?\s(?:wrote|writes)\s*:
      | am\s.{4,300}?\sschrieb\s.{0,200}:
      | le\s.{4,300}?\sa\s[ée]crit\s*:
      | el\s.{4,300}?\sescribi[óo]\s*:
      | op\s.{4,300}?\sschreef\s.{0,200}:
      | il\s.{4,300}?\sha\sscritto\s*:
      | em\s.{4,300}?\sescreveu\s*:
      | den\s.{4,300}?\sskrev\s.{0,200}:
      | 在\s?.{4,200}写道\s*[:\uff1a]
    )\s*$""",
    re.IGNORECASE | re.VERBOSE,
)
# Gmail in Russian and others: a date, a name and <address>, then the colon alone (one line).
_DATED_RE = re.compile(r"^\s*[^<>]{0,60}\d[^<>]{2,120}<[^<>\s@]+@[^<>\s]+>\s*[:\uff1a]\s*$")
# "Name wrote:" and its translations: one line only.
_GENERIC_RE = re.compile(
    r"""^\s*.{1,200}\s(?:
        wrote | writes | schrieb | a\s[ée]crit | escribi[óo] | escreveu | ha\sscritto
      | schreef | skrev | kirjoitti | napisał(?:\(a\)|a)? | написал(?:\(\u0430\)|\u0430)? | пишет
    )\s*:\s*$""",
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
    r"^\s*\*?(?:from|von|de|van|da|från|fra|od|lähettäjä|от)\s*\*?\s*:\s*\S", re.I
)
_SENT_RE = re.compile(
    r"^\s*\*?(?:sent|date|gesendet|datum|envoy[ée]|enviado(?:\sel)?|fecha|verzonden|inviato|"
    r"data|skickat|sendt|wysłano|lähetetty|отправлено|дата)\s*\*?\s*:",
    re.I,
)
_TO_SUBJECT_RE = re.compile(
    r"^\s*\*?(?:to|an|à|a|para|aan|till|til|do|subject|betreff|objet|asunto|onderwerp|oggetto|"
    r"assunto|ämne|emne|temat|aihe|cc|кому|тема|копия)\s*\*?\s*:",
    re.I,
)
_SIGNATURE_LINES = ("--", "-- ")  # a whole line; the text is split at every "\n"
# What phones and mail apps add below a reply, in the languages of the fixtures.
_MOBILE_RE = re.compile(
    r"""^\s*(?:
        sent\s(?:from|with|via)\s(?:my\s)?\S.{0,60}
      | get\s(?:outlook|the\s\S+\sapp)\s(?:for|on)\s\S.{0,40}
      | von\smeinem\s\S.{0,50}\sgesendet
      | gesendet\svon\s(?:meinem\s)?\S.{0,50}
      | envoy[ée]\sde(?:puis)?\s(?:mon\s)?\S.{0,50}
      | enviado\s(?:desde|de|do|da)\s(?:mi|meu|minha|o|a)?\s?\S.{0,50}
      | отправлено\s(?:\u0441|из)\s\S.{0,50}
      | inviato\sda\s\S.{0,50}
    )\s*$""",
    re.IGNORECASE | re.VERBOSE,
)
_SEPARATOR_RE = re.compile(r"^\s*[-_=*~]*\s*$")
_FORWARD_RE = re.compile(
    r"^\s*(?:-{2,}\s*(?:forwarded message|weitergeleitete nachricht|message transf[ée]r[ée]|"
    r"mensaje reenviado|doorgestuurd bericht)\s*-{2,}|begin forwarded message:|"
    r"anfang der weitergeleiteten nachricht:|d[ée]but du message r[ée]exp[ée]di[ée]\s?:)\s*$",
    re.IGNORECASE,
)
_QUOTE_RE = re.compile(r"^\s*>")
_BLANK_RUN_RE = re.compile(r"\n{3,}")
# Any of the line shapes above that end or skip the reply's text. Most lines match none, and one
# match call tells so (the union is built from the patterns, none of which has a cased letter
# outside the ones that already ignore case).
_SPECIAL_RE = re.compile(
    "|".join(
        f"(?:{p.pattern})" for p in (_FORWARD_RE, _ORIGINAL_RE, _FROM_RE, _RULE_RE, _QUOTE_RE)
    ),
    re.IGNORECASE,
)


def _outlook_header_at(lines: list[str], i: int) -> bool:
    """True when an Outlook-style "From: / Sent: / To: / Subject:" block starts at line ``i``."""
    if not _FROM_RE.match(lines[i]):
        return False
    window = lines[i + 1 : i + 6]
    return any(_SENT_RE.match(line) for line in window) and any(
        _TO_SUBJECT_RE.match(line) for line in window
    )


def _attribution_at(lines: list[str], i: int, colon_at_end: list[bool]) -> int:
    """Number of lines (1-3) of an "On … wrote:" attribution starting at ``i``; 0 if none.

    Clients wrap long attributions, so up to three lines are joined before matching (only
    for attributions that start like one); an attribution must be followed (after blank
    lines) by a quoted line or the end of text, so that a sentence ending in "wrote:" in
    the reply itself is kept. It may follow the reply's text without a blank line.
    ``colon_at_end`` says which lines end with a colon.
    """
    for span in (1, 2, 3):
        if i + span > len(lines):
            break
        if not colon_at_end[i + span - 1]:
            # (A blank or quoted line in this span is in the longer ones too: it is seen there.)
            continue
        chunk = lines[i : i + span]
        if any(not line.strip() or _QUOTE_RE.match(line) for line in chunk[1:]):
            break
        joined = " ".join(line.strip() for line in chunk)
        if len(joined) > 400:
            break
        if span == 1:
            found = bool(
                _ANCHORED_RE.match(joined) or _GENERIC_RE.match(joined) or _DATED_RE.match(joined)
            )
        else:
            # A wrapped attribution starts like one, and its first line ends no sentence.
            found = bool(_ANCHORED_RE.match(joined)) and not chunk[0].rstrip().endswith(
                (".", "?", "!", ";", ":")
            )
        if found:
            j = i + span
            while j < len(lines) and not lines[j].strip():
                j += 1
            if j == len(lines) or _QUOTE_RE.match(lines[j]):
                return span
            return 0
    return 0


def _drop_signature(kept: list[str]) -> list[str]:
    """``kept`` without a "-- " block or a phone's "Sent from my …" line near its end."""
    if "-- " in kept or "--" in kept:  # most mail has none: one scan of the list says so
        for n, line in enumerate(kept):
            if n and line in _SIGNATURE_LINES and (line == "-- " or len(kept) - n <= 12):
                kept = kept[:n]
                break
    tail: list[int] = []  # the last three lines that are not blank, in order
    for n in range(len(kept) - 1, -1, -1):
        if len(tail) == 3:
            break
        if kept[n].strip():
            tail.insert(0, n)
    for n in tail:
        if n and _MOBILE_RE.match(kept[n]):
            return kept[:n]
    return kept


def trim_quoted(text: str) -> str:
    """Return ``text`` without quoted history and signature; the whole text if nothing is left."""
    # split("\n"), not splitlines(): form feeds and other separators are text here.
    lines = text.split("\n")
    kept: list[str] = []
    forwarded: list[str] = []
    # An attribution ends with a colon within three lines: it may start on a line that ends
    # with one or on either of the two lines above.
    colon_at_end = [line.rstrip().endswith((":", "\uff1a")) for line in lines]
    colon_near = [False] * len(lines)
    for i, ends in enumerate(colon_at_end):
        if ends:
            first = max(0, i - 2)
            colon_near[first : i + 1] = [True] * (i + 1 - first)
    after = 0  # the line after an attribution just skipped
    for i, line in enumerate(lines):
        if i < after:
            continue
        if _SPECIAL_RE.match(line):
            if _QUOTE_RE.match(line):  # a quoted line is none of the other shapes
                continue
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
        if colon_near[i] and line.strip():
            span = _attribution_at(lines, i, colon_at_end)
            if span:
                after = i + span
                continue
        kept.append(line)
    kept = _drop_signature(kept)
    kept.extend(forwarded)
    result = "\n".join([line.rstrip() for line in kept])
    if "\n\n\n" in result:  # a scan for the run costs more than the test that there is none
        result = _BLANK_RUN_RE.sub("\n\n", result)
    result = result.strip()
    return result or text.strip()

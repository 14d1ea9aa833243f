"""HTML mail bodies turned into readable plain text with the standard library's parser.

Paragraphs and block elements become blank-line separated blocks, ``<br>`` a line break,
list items "- " (or "1. ") lines, links "text (url)", ``<blockquote>`` a "> " quoted block
(so quoted history can be trimmed like in plain-text mail), tables one row per line.
Script, style and head content never reaches the text.
"""

from __future__ import annotations

import contextlib
import re
from html.parser import HTMLParser

# Elements whose content is never readable text.
_SKIP = frozenset(
    {"script", "style", "head", "title", "template", "noscript", "xml", "svg", "object"}
)
_VOID = frozenset(
    {"br", "img", "hr", "meta", "link", "input", "area", "base", "col", "embed", "source", "wbr"}
)
# Block elements separated by a blank line from their neighbours.
_PARAGRAPH = frozenset(
    {"p", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "table", "ul", "ol", "dl", "address"}
)
# Block elements that start on a new line but add no blank line.
_LINE = frozenset(
    {
        "div",
        "tr",
        "li",
        "dt",
        "dd",
        "section",
        "article",
        "header",
        "footer",
        "center",
        "form",
        "fieldset",
        "caption",
        "figure",
        "figcaption",
        "main",
        "nav",
        "aside",
    }
)
_MAX_QUOTE_PREFIX = 20  # deeper quoting is shown at this depth; hostile nesting stays cheap
_SPACE_RE = re.compile(r"[ \t\r\n\f\v\u00a0\u200b]+")
_BLANKS_RE = re.compile(r"\n{3,}")


class _TextBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []  # finished lines, without quote prefix applied yet
        self.current: list[str] = []  # words/fragments of the line being built
        self.pending_break = 0  # 0 none, 1 newline, 2 blank line
        self.skip_depth = 0
        self.pre_depth = 0
        self.quote_depth = 0
        self.line_quote = 0  # quote depth the current line was started at
        self.last_depth = 0  # quote depth of the last finished line
        self.lists: list[list[int]] = []  # per open list: [is_ordered, counter]
        self.links: list[tuple[str, int]] = []  # href, length of text when the link opened
        self.link_text: list[str] = []
        self.cell_open = False

    # --- output helpers -------------------------------------------------------------
    def _append(self, text: str, depth: int) -> None:
        """Add a finished line, quoted ``depth`` levels deep."""
        prefix = "> " * min(depth, _MAX_QUOTE_PREFIX)
        self.lines.append((prefix + text).rstrip())
        self.last_depth = depth

    def _flush_line(self) -> None:
        text = "".join(self.current)
        if not self.pre_depth:
            text = text.rstrip()
            if not text.strip():
                text = ""
        self._append(text, self.line_quote)
        self.current = []
        self.line_quote = self.quote_depth

    def _break(self, kind: int) -> None:
        if self.current and "".join(self.current).strip():
            self._flush_line()
        self.current = []
        self.line_quote = self.quote_depth
        self.pending_break = max(self.pending_break, kind)

    def _emit(self, text: str) -> None:
        if not text:
            return
        if self.pending_break:
            if self.lines and self.pending_break == 2 and self.lines[-1].strip("> ") != "":
                self._append("", min(self.quote_depth, self.last_depth))
            self.pending_break = 0
            self.line_quote = self.quote_depth
        if not self.current:
            self.line_quote = self.quote_depth
        self.current.append(text)
        if self.links:
            self.link_text.append(text)

    # --- parser callbacks -----------------------------------------------------------
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            if tag not in _VOID:
                self.skip_depth += 1
            return
        if self.skip_depth:
            return
        if tag == "br":
            if self.current:
                self._flush_line()
            elif self.pending_break:
                self.pending_break = max(self.pending_break, 1)
                if not self.lines or self.lines[-1] != "":
                    self._append("", 0)
                    self.pending_break = 0
            else:
                self._append("", self.quote_depth)
            return
        if tag == "blockquote":
            self._break(2)
            self.quote_depth += 1
            self.line_quote = self.quote_depth
            return
        if tag == "pre":
            self._break(2)
            self.pre_depth += 1
            return
        if tag in ("ul", "ol"):
            self._break(2 if not self.lists else 1)
            self.lists.append([1 if tag == "ol" else 0, 0])
            return
        if tag == "li":
            self._break(1)
            if self.lists:
                self.lists[-1][1] += 1
                ordered, count = self.lists[-1]
                indent = "  " * min(len(self.lists) - 1, _MAX_QUOTE_PREFIX)
                self._emit(f"{indent}{count}. " if ordered else f"{indent}- ")
            else:
                self._emit("- ")
            return
        if tag in ("td", "th"):
            if self.cell_open and self.current:
                self._emit("  ")
            self.cell_open = True
            return
        if tag == "hr":
            self._break(2)
            self._emit("---")
            self._break(2)
            return
        if tag == "img":
            alt = dict(attrs).get("alt")
            if alt and alt.strip():
                self._emit(f"[{_SPACE_RE.sub(' ', alt.strip())}]")
            return
        if tag == "a":
            href = (dict(attrs).get("href") or "").strip()
            self.links.append((href, len(self.link_text)))
            return
        if tag in _PARAGRAPH:
            self._break(2)
        elif tag in _LINE:
            self._break(1)
            if tag == "tr":
                self.cell_open = False

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID and tag not in _SKIP:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            if self.skip_depth:
                self.skip_depth -= 1
            return
        if self.skip_depth:
            return
        if tag == "blockquote":
            self._break(2)
            self.quote_depth = max(0, self.quote_depth - 1)
            self.line_quote = self.quote_depth
            return
        if tag == "pre":
            self._break(2)
            self.pre_depth = max(0, self.pre_depth - 1)
            return
        if tag in ("ul", "ol"):
            if self.lists:
                self.lists.pop()
            self._break(2 if not self.lists else 1)
            return
        if tag == "a":
            if not self.links:
                return
            href, start = self.links.pop()
            text = "".join(self.link_text[start:]).strip()
            if not self.links:
                self.link_text = []
            shown = href[7:] if href.lower().startswith("mailto:") else href
            if (
                shown
                and not href.startswith("#")
                and not href.lower().startswith(("javascript:", "cid:"))
                and shown.rstrip("/") != text.rstrip("/")
            ):
                self._emit(f" ({shown})" if text else shown)
            return
        if tag in _PARAGRAPH:
            self._break(2)
        elif tag in _LINE:
            self._break(1)

    def handle_data(self, data: str) -> None:
        if self.skip_depth:
            return
        if self.pre_depth:
            lines = data.replace("\r\n", "\n").split("\n")
            for i, line in enumerate(lines):
                if i:
                    self._flush_line()
                self._emit(line)
            return
        text = _SPACE_RE.sub(" ", data)
        if text == " " and not self.current:
            return
        if not self.current:
            text = text.lstrip()
        self._emit(text)

    def result(self) -> str:
        if self.current:
            self._flush_line()
        text = "\n".join(line.rstrip() for line in self.lines)
        text = _BLANKS_RE.sub("\n\n", text)
        return text.strip("\n")


def html_to_text(html: str) -> str:
    """Return readable plain text for an HTML body; never raises on malformed markup."""
    builder = _TextBuilder()
    # Malformed markup must still give what was read so far.
    with contextlib.suppress(Exception):
        builder.feed(html)
        builder.close()
    try:
        return builder.result()
    except Exception:
        return _SPACE_RE.sub(" ", re.sub(r"<[^>]*>", " ", html)).strip()

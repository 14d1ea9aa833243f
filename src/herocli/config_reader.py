"""Typed reading of a parsed TOML document that collects every problem at once.

``tomllib`` gives values but no positions, so ``KeyLines`` scans the text for
where each dotted key is written; problems then name file, key and line.
"""

from __future__ import annotations

import contextlib
import math
import re
from collections.abc import Iterable
from datetime import date, datetime
from functools import cached_property
from typing import Any, TypeVar

from herocli.errors import ConfigProblem

T = TypeVar("T")
_MISSING: Any = object()

# Patterns, compiled on first use: only a file with a problem is scanned for lines.
_ARRAY_TABLE = r"^\s*\[\[\s*([^\]]+?)\s*\]\]"
_TABLE = r"^\s*\[\s*([^\]]+?)\s*\]"
_KEY = r"^\s*([A-Za-z0-9_\-\"'.]+?)\s*="
# Upper bounds: past these a value is a typo, and would overflow date arithmetic later.
MINUTES_A_YEAR = 366 * 24 * 60
HOURS_A_YEAR = 366 * 24
SECONDS_A_DAY = 24 * 3600
# A silent server fails a sync within about this long (connect, then each read).
CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 30.0
MAX_TIMEOUT = 600.0
# Dates outside these are typos; far ones overflow the rota's arithmetic.
_FIRST_DAY = date(1970, 1, 1)
_LAST_DAY = date(2999, 12, 31)


def has_control(text: str) -> bool:
    """Whether ``text`` holds a C0 or C1 control character or DEL.

    No config value needs one; one (a NUL in a path, an escape in a name) would
    only fail later, far from the file, or reach a terminal. str.isprintable
    refuses every control, so printable text (nearly all) needs no closer look.
    """
    return not text.isprintable() and any(c <= "\x1f" or "\x7f" <= c <= "\x9f" for c in text)


def is_env_name(text: str) -> bool:
    """Whether ``text`` can name an environment variable: ``[A-Za-z_][A-Za-z0-9_]*``,
    which is what an ASCII identifier is."""
    return text.isascii() and text.isidentifier()


def _clean(dotted: str) -> str:
    return ".".join(part.strip().strip("\"'") for part in dotted.split("."))


class KeyLines:
    """Maps dotted keys (``team.members[1].name``) to the line they are written on."""

    def __init__(self, text: str) -> None:
        self.text = text

    @cached_property
    def lines(self) -> dict[str, int]:
        """Each key's line, read from the text when a problem first asks for one."""
        lines: dict[str, int] = {}
        counts: dict[str, int] = {}
        prefix = ""
        for number, line in enumerate(self.text.splitlines(), start=1):
            if m := re.match(_ARRAY_TABLE, line):
                name = _clean(m.group(1))
                index = counts.get(name, 0)
                counts[name] = index + 1
                prefix = f"{name}[{index}]"
                lines.setdefault(prefix, number)
                lines.setdefault(name, number)
            elif m := re.match(_TABLE, line):
                prefix = _clean(m.group(1))
                lines.setdefault(prefix, number)
            elif m := re.match(_KEY, line):
                key = _clean(m.group(1))
                lines.setdefault(f"{prefix}.{key}" if prefix else key, number)
        return lines

    def find(self, key: str) -> int | None:
        """Line of ``key``, or of the nearest enclosing table that is written down."""
        while key:
            if key in self.lines:
                return self.lines[key]
            cut = max(key.rfind("."), key.rfind("["))
            key = key[:cut] if cut > 0 else ""
        return None


class Problems:
    """The problems found so far in one file."""

    def __init__(self, file: str, key_lines: KeyLines) -> None:
        self.file = file
        self.key_lines = key_lines
        self.items: list[ConfigProblem] = []

    def add(self, key: str, message: str) -> None:
        # The first problem of a key says what to fix; a second (a bad list, then
        # "list at least one") only repeats it.
        if any(p.key == key for p in self.items):
            return
        self.items.append(ConfigProblem(self.file, key, message, self.key_lines.find(key)))


class Section:
    """One TOML table; each getter records a problem and returns the default on bad input."""

    def __init__(self, data: dict[str, Any], path: str, problems: Problems) -> None:
        self.data = data
        self.path = path
        self.problems = problems
        self._read: set[str] = set()

    def key(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def problem(self, name: str, message: str) -> None:
        self.problems.add(self.key(name), message)

    def has(self, name: str) -> bool:
        return name in self.data

    def _get(self, name: str, kind: type | tuple[type, ...], what: str, default: Any) -> Any:
        self._read.add(name)
        if name not in self.data:
            if default is _MISSING:
                self.problem(name, "is required")
                return None
            return default
        value = self.data[name]
        if isinstance(value, bool) and kind is not bool:
            self.problem(name, f"must be {what}, not a boolean")
            return None if default is _MISSING else default
        if not isinstance(value, kind):
            self.problem(name, f"must be {what}, got {_describe(value)}")
            return None if default is _MISSING else default
        return value

    def string(self, name: str, default: Any = _MISSING) -> Any:
        value = self._get(name, str, "a string", default)
        if isinstance(value, str) and default is _MISSING and not value.strip():
            self.problem(name, "must not be empty")
        if isinstance(value, str) and has_control(value):
            self.problem(name, "must not hold control characters (tabs, newlines, escapes)")
            return None if default is _MISSING else default
        return value

    def boolean(self, name: str, default: bool) -> bool:
        return bool(self._get(name, bool, "true or false", default))

    def integer(self, name: str, default: int, minimum: int, maximum: int) -> int:
        value = self._get(name, int, "a whole number", default)
        return int(self._in_range(name, value, default, minimum, maximum))

    def number(self, name: str, default: float, minimum: float, maximum: float) -> float:
        value = self._get(name, (int, float), "a number", default)
        if not math.isfinite(value):
            self.problem(name, f"must be a finite number, not {value}")
            return default
        return float(self._in_range(name, value, default, minimum, maximum))

    def _in_range(self, name: str, value: T, default: T, minimum: Any, maximum: Any) -> T:
        if not minimum <= value <= maximum:
            self.problem(name, f"must be between {minimum} and {maximum}, not {value}")
            return default
        return value

    def env_name(self, name: str, default: Any) -> Any:
        """The name of an environment variable (``GH_TOKEN``), not a value."""
        value = self.string(name, default)
        if isinstance(value, str) and not is_env_name(value):
            self.problem(
                name, f"{value[:40]!r} is not an environment variable name (like GH_TOKEN)"
            )
            return default
        return value

    def env_names(self, name: str, default: tuple[str, ...]) -> tuple[str, ...]:
        """One variable name or a non-empty list of them, tried in order."""
        if isinstance(self.data.get(name), str):
            return (self.env_name(name, default[0]),)
        values = self.strings(name, default)
        if not values:
            self.problem(name, "list at least one environment variable name")
            return default
        bad = [v for v in values if not is_env_name(v)]
        if bad:
            self.problem(name, f"{bad[0][:40]!r} is not an environment variable name")
            return default
        return values

    def url(self, name: str, default: str) -> str:
        """An http(s) URL with a host (and a valid port, if any); without a trailing slash."""
        from urllib.parse import urlsplit

        value = str(self.string(name, default)).rstrip("/")
        try:
            parts = urlsplit(value)
            ok = parts.scheme in ("http", "https") and bool(parts.hostname)
            parts.port  # noqa: B018 - raises ValueError on a bad port
        except ValueError:
            ok = False
        if not ok or any(c.isspace() for c in value):
            self.problem(name, f"{value[:60]!r} is not an http(s) URL")
            return default
        return value

    def choice(self, name: str, choices: Iterable[str], default: str) -> str:
        options = list(choices)
        value = self._get(name, str, "a string", default)
        if value not in options:
            self.problem(name, f"must be one of {', '.join(options)}; got {value!r}")
            return default
        return str(value)

    def strings(self, name: str, default: tuple[str, ...] = ()) -> tuple[str, ...]:
        value = self._get(name, list, "a list of strings", list(default))
        if not all(isinstance(v, str) for v in value):
            self.problem(name, "must be a list of strings")
            return default
        if any(not v.strip() or has_control(v) for v in value):
            self.problem(name, "must not hold empty strings or control characters")
            return default
        return tuple(value)

    def day(self, name: str) -> date | None:
        self._read.add(name)
        if name not in self.data:
            return None
        value = self.data[name]
        day: date | None = None
        if isinstance(value, datetime):
            day = value.date()
        elif isinstance(value, date):
            day = value
        elif isinstance(value, str):
            with contextlib.suppress(ValueError):
                day = date.fromisoformat(value)
        if day is None:
            self.problem(name, f"must be a date like 2026-01-05, got {_describe(value)}")
        elif not _FIRST_DAY <= day <= _LAST_DAY:
            self.problem(name, f"must be between {_FIRST_DAY} and {_LAST_DAY}, not {day}")
            return None
        return day

    def section(self, name: str) -> Section:
        value = self._get(name, dict, "a table", {})
        return Section(value if isinstance(value, dict) else {}, self.key(name), self.problems)

    def sections(self, name: str) -> list[Section]:
        value = self._get(name, list, "an array of tables ([[...]])", [])
        out = []
        for index, entry in enumerate(value):
            key = f"{self.key(name)}[{index}]"
            if not isinstance(entry, dict):
                self.problems.add(key, "must be a table")
                continue
            out.append(Section(entry, key, self.problems))
        return out

    def check_unknown(self) -> None:
        """Report keys nobody read: almost always a typo."""
        for name in self.data:
            if name not in self._read:
                hint = _closest(name, self._read)
                suffix = f" (did you mean {hint!r}?)" if hint else ""
                self.problem(name, f"unknown key{suffix}")


def _describe(value: Any) -> str:
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    return f"{type(value).__name__} {value!r}"


def _closest(name: str, known: Iterable[str]) -> str | None:
    import difflib

    matches = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return matches[0] if matches else None


def read_timeouts(s: Section) -> dict[str, float]:
    """A channel section's seconds to wait for a connection, and for each answer, before it fails."""
    return {
        "connect_timeout": s.number("connect_timeout", CONNECT_TIMEOUT, 0.1, MAX_TIMEOUT),
        "read_timeout": s.number("read_timeout", READ_TIMEOUT, 0.1, MAX_TIMEOUT),
    }

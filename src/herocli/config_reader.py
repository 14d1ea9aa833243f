"""Typed reading of a parsed TOML document that collects every problem at once.

``tomllib`` gives values but no positions, so ``KeyLines`` scans the text for
where each dotted key is written; problems then name file, key and line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any, TypeVar

from herocli.errors import ConfigProblem

T = TypeVar("T")
_MISSING: Any = object()

_ARRAY_TABLE = re.compile(r"^\s*\[\[\s*([^\]]+?)\s*\]\]")
_TABLE = re.compile(r"^\s*\[\s*([^\]]+?)\s*\]")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-\"'.]+?)\s*=")


def _clean(dotted: str) -> str:
    return ".".join(part.strip().strip("\"'") for part in dotted.split("."))


class KeyLines:
    """Maps dotted keys (``team.members[1].name``) to the line they are written on."""

    def __init__(self, text: str) -> None:
        self.lines: dict[str, int] = {}
        counts: dict[str, int] = {}
        prefix = ""
        for number, line in enumerate(text.splitlines(), start=1):
            if m := _ARRAY_TABLE.match(line):
                name = _clean(m.group(1))
                index = counts.get(name, 0)
                counts[name] = index + 1
                prefix = f"{name}[{index}]"
                self.lines.setdefault(prefix, number)
                self.lines.setdefault(name, number)
            elif m := _TABLE.match(line):
                prefix = _clean(m.group(1))
                self.lines.setdefault(prefix, number)
            elif m := _KEY.match(line):
                key = _clean(m.group(1))
                self.lines.setdefault(f"{prefix}.{key}" if prefix else key, number)

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
        return value

    def boolean(self, name: str, default: bool) -> bool:
        return bool(self._get(name, bool, "true or false", default))

    def integer(self, name: str, default: int, minimum: int | None = None) -> int:
        value = self._get(name, int, "a whole number", default)
        if minimum is not None and value < minimum:
            self.problem(name, f"must be at least {minimum}")
            return default
        return int(value)

    def number(self, name: str, default: float, minimum: float | None = None) -> float:
        value = self._get(name, (int, float), "a number", default)
        if minimum is not None and value < minimum:
            self.problem(name, f"must be at least {minimum}")
            return default
        return float(value)

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
        return tuple(value)

    def day(self, name: str) -> date | None:
        self._read.add(name)
        if name not in self.data:
            return None
        value = self.data[name]
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        self.problem(name, f"must be a date like 2026-01-05, got {_describe(value)}")
        return None

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

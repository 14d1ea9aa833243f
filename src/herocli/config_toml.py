"""The config file's text read as TOML, each new text parsed once, not on every run.

Importing ``tomllib`` costs a `hero` command more than the rest of reading its
config together (it compiles its regular expressions, and imports ``string``,
which compiles another): about 2 ms of a 50 ms listing, paid by every command.
So the data of the last text parsed is kept, beside that text itself, in the
user's cache directory (``$XDG_CACHE_HOME/hero``, else ``~/.cache/hero``). A run
whose config reads the same, character for character, takes the data from there;
any other (no cache yet, another text, another Python, a damaged or unreadable
cache) parses the text with ``tomllib`` and keeps the result for the next run.
The cache is JSON, read with json's own checks; TOML's dates and times are kept
as tagged ISO text and read back as the same values. Nothing in the config file
is secret (it names the variables that hold secrets), and the copy is written
for its owner alone.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
from datetime import date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from herocli.errors import ConfigError, ConfigProblem

if TYPE_CHECKING:
    from tomllib import TOMLDecodeError

# Bumped when the cache's shape changes; with the Python version, what makes a kept copy usable.
_FORMAT = 1
# The key of a table in the cache that stands for a TOML date or time (datetime before date:
# a datetime is a date too). A config whose own tables use this key is never kept.
_TAG = "$toml-type"
_TIMES: dict[str, type[datetime] | type[date] | type[time]] = {
    "datetime": datetime,
    "date": date,
    "time": time,
}


def toml_data(text: str, file: str, cache: Path | None = None) -> dict[str, Any]:
    """``text`` read as TOML (from ``cache`` when it holds this text's data).

    A syntax error is a ``ConfigError`` naming ``file`` and the line.
    """
    if cache is not None:
        kept = _read(cache, text)
        if kept is not None:
            return kept
    import tomllib  # here: a run whose config is unchanged never imports it

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            [ConfigProblem(file, "", toml_error_words(exc), _toml_error_line(exc, text))]
        ) from None
    if cache is not None:
        _write(cache, text, data)
    return data


def _key() -> list[Any]:
    return [_FORMAT, sys.version]


def _as_json(value: object) -> dict[str, str]:
    for name, kind in _TIMES.items():
        if isinstance(value, kind):
            return {_TAG: name, "iso": value.isoformat()}
    raise TypeError(f"{type(value).__name__} is not a TOML value")


def _from_json(table: dict[str, Any]) -> Any:
    name = table.get(_TAG)
    return table if name is None else _TIMES[name].fromisoformat(table["iso"])


def _uses_tag(value: object) -> bool:
    if isinstance(value, dict):
        return _TAG in value or any(_uses_tag(v) for v in value.values())
    return isinstance(value, list) and any(_uses_tag(v) for v in value)


def _read(cache: Path, text: str) -> dict[str, Any] | None:
    try:
        kept = json.loads(cache.read_text(encoding="utf-8"), object_hook=_from_json)
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError):
        return None
    if not isinstance(kept, dict) or kept.get("key") != _key() or kept.get("text") != text:
        return None
    data = kept.get("data")
    return data if isinstance(data, dict) else None


def _write(cache: Path, text: str, data: dict[str, Any]) -> None:
    """Keep ``data`` for ``text``; a cache that cannot be written is only a slower next run."""
    if _uses_tag(data):
        return
    try:
        encoded = json.dumps(
            {"key": _key(), "text": text, "data": data}, default=_as_json, ensure_ascii=False
        )
    except ValueError:  # an integer too long for int() to read back
        return
    # Written whole under another name, then renamed: a reader sees the old copy or the new.
    partial = cache.with_name(f".{cache.name}.{os.getpid()}")
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with open(fd, "w", encoding="utf-8") as out:
            out.write(encoded)
        os.replace(partial, cache)
    except OSError:
        with contextlib.suppress(OSError):  # never made, or its directory is not one
            partial.unlink()


# tomllib's messages, in words a person editing the file knows what to do with.
_TOML_WORDS = (
    ("Invalid statement", "this line is neither `key = value` nor a [table] header"),
    ("Expected '=' after a key", "a key needs ` = value` after it"),
    ("Invalid value", 'the value cannot be read (text needs quotes: name = "Hana")'),
    ("Cannot overwrite a value", "this key is set twice"),
    ("Cannot declare", "this table is declared twice"),
    ("Unterminated string", "a string is not closed (a missing quote)"),
    ("Unclosed array", "a list is not closed (a missing ])"),
    ("Unclosed inline table", "an inline table is not closed (a missing })"),
    ("Illegal character", "a character that TOML does not allow here"),
    ("Invalid initial character for a key part", "a key cannot start with this character"),
)


def toml_error_words(exc: TOMLDecodeError) -> str:
    """A TOML syntax error in our words, as "not valid TOML: <what is wrong>"."""
    message = str(exc)
    for start, words in _TOML_WORDS:
        if message.startswith(start):
            return f"not valid TOML: {words}"
    where = re.compile(r" \(at (line \d+, column \d+|end of document)\)$")
    return f"not valid TOML: {where.sub('', message)}"


def _toml_error_line(exc: TOMLDecodeError, text: str) -> int | None:
    """The line a TOML error is on (Python < 3.14 has it only in the message)."""
    line = getattr(exc, "lineno", None)
    if isinstance(line, int):
        return line
    if match := re.search(r"at line (\d+)", str(exc)):
        return int(match.group(1))
    if "end of document" in str(exc):
        return max(len(text.splitlines()), 1)
    return None

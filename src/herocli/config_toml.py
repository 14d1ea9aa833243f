"""The config file's text read as TOML, each new text parsed once, not on every run.

Importing ``tomllib`` costs a `hero` command more than the rest of reading its
config together (it compiles its regular expressions, and imports ``string``,
which compiles another): about 2 ms of a 50 ms listing, paid by every command.
So the data of the last text parsed is kept, beside that text itself, in the
user's cache directory (``$XDG_CACHE_HOME/hero``, else ``~/.cache/hero``). A run
whose config reads the same, character for character, takes the data from there;
any other (no cache yet, another text, another Python, a damaged or unreadable
cache) parses the text with ``tomllib`` and keeps the result for the next run.

The cache is written with ``marshal``, which is built into the interpreter: a
JSON cache made every command import ``json``, whose decoder compiles regular
expressions at import, for a few hundred bytes. marshal's format is the
interpreter's own, so the key holds the Python version; it trusts what it reads
as Python trusts its own ``__pycache__``, and the file is written for its owner
alone. TOML's dates and times are kept as ``(kind, ISO text)`` tuples (TOML
itself has no tuples) and read back as the same values. Nothing in the config
file is secret (it names the variables that hold secrets).
"""

from __future__ import annotations

import contextlib
import marshal
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
_FORMAT = 2
# The kinds of TOML date and time, by the name a kept one is tagged with (datetime before
# date: a datetime is a date too).
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


def _key() -> tuple[Any, ...]:
    return (_FORMAT, sys.version)


def _kept(value: Any) -> Any:
    """``value`` as marshal can hold it: each date or time as a ``(kind, ISO text)`` tuple."""
    if isinstance(value, dict):
        return {key: _kept(v) for key, v in value.items()}
    if isinstance(value, list):
        return [_kept(v) for v in value]
    for name, kind in _TIMES.items():
        if isinstance(value, kind):
            return (name, value.isoformat())
    return value


def _restored(value: Any) -> Any:
    """What ``_kept`` made ``value`` from (a ``ValueError`` or ``KeyError`` if it made no such)."""
    if isinstance(value, dict):
        return {key: _restored(v) for key, v in value.items()}
    if isinstance(value, list):
        return [_restored(v) for v in value]
    if isinstance(value, tuple):
        name, text = value
        return _TIMES[name].fromisoformat(text)
    return value


def _read(cache: Path, text: str) -> dict[str, Any] | None:
    try:
        # Our own file, written for its owner alone: trusted as Python trusts __pycache__.
        kept = marshal.loads(cache.read_bytes())  # noqa: S302
        if not (isinstance(kept, tuple) and len(kept) == 4):
            return None
        key, kept_text, data, has_times = kept
        if key != _key() or kept_text != text or not isinstance(data, dict):
            return None
        # Most configs hold no date: their data is read back as it was kept.
        restored = _restored(data) if has_times else data
    except (OSError, EOFError, ValueError, KeyError, TypeError):
        return None
    return restored if isinstance(restored, dict) else None


def _write(cache: Path, text: str, data: dict[str, Any]) -> None:
    """Keep ``data`` for ``text``; a cache that cannot be written is only a slower next run."""
    kept = _kept(data)
    # A date or time became a tuple, and a tuple equals no TOML value.
    encoded = marshal.dumps((_key(), text, kept, kept != data))
    # Written whole under another name, then renamed: a reader sees the old copy or the new.
    partial = cache.with_name(f".{cache.name}.{os.getpid()}")
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with open(fd, "wb") as out:
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

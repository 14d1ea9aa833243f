"""The charset of a plain Content-Type is read without get_param, and reads the same."""

from __future__ import annotations

from email.message import Message
from email.policy import compat32

from hypothesis import example, given, settings
from hypothesis import strategies as st

from herocli.channels.mail.mime import _PLAIN_CHARSET_RE, _charset

_PIECES = st.sampled_from(
    ["text/plain", "TEXT/Html", ";", " ", "\t", "\r\n ", "charset", "CharSet", "name", "=",
     '"', "'", "utf-8", "UTF-8", "iso-8859-1", "*", "*0", "<", ">", "\\", "format=flowed",
     "ü", "a;b", "us-ascii"]
)  # fmt: skip


def _part(value: str) -> Message:
    part = Message(policy=compat32)
    part.set_raw("Content-Type", value)
    return part


def _by_get_param(value: str) -> str | None:
    try:
        found = _part(value).get_param("charset")
    except Exception:
        return None
    if isinstance(found, tuple):
        found = found[2]
    return str(found) if found else None


@settings(max_examples=500)
@given(st.lists(_PIECES, min_size=1, max_size=9).map("".join), st.booleans())
@example("text/plain; charset=utf-8", False)
@example('text/plain; charset="UTF-8"', False)
@example('text/plain; charset="UTF-8', False)
@example("text/plain; charset=utf-8; format=flowed", False)
@example("text/plain; charset*=utf-8''x", False)
def test_the_charset_is_what_get_param_gives(value: str, prefixed: bool) -> None:
    if prefixed:
        value = "text/plain; charset=" + value
    assert _charset(_part(value)) == _by_get_param(value)


def test_the_common_forms_take_the_short_way() -> None:
    for value in ("text/plain; charset=utf-8", 'text/html; charset="ISO-8859-1"'):
        assert _PLAIN_CHARSET_RE.fullmatch(value), value
        assert _charset(_part(value)) == _by_get_param(value)

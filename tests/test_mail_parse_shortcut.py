"""One plain text part is read straight from its split header block, and reads exactly as
the general way (a message tree walked part by part) reads it."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from herocli.channels.mail.headblock import split_fields
from herocli.channels.mail.mime import simple_text
from herocli.channels.mail.parse import _parse, parse_message
from tests.mail_samples import DATA, crlf

_TYPES = st.sampled_from(
    [None, "text/plain", "TEXT/PLAIN", "text/plain; charset=utf-8", 'text/plain; charset="UTF-8"',
     "text/plain; charset=iso-8859-1", "text/plain; charset=big5", "text/plain; charset=x-unknown",
     "text/plain; charset=utf-8; format=flowed", "text/plain ; charset = us-ascii",
     'text/plain; charset="utf-8', "text/html; charset=utf-8", "text/plain; charset*=utf-8''x",
     "multipart/mixed; boundary=b", "message/rfc822", "application/pdf", "text", "caf\udcc3"]
)  # fmt: skip
_ENCODINGS = st.sampled_from(
    [None, "7bit", "8BIT", "binary", "quoted-printable", "base64", "base64 ", "x-uuencode"]
)
_DISPOSITIONS = st.sampled_from([None, "inline", "attachment; filename=a.txt"])
_BODIES = st.lists(
    st.sampled_from(
        [b"Hello", b" ", b"\r\n", b"\n", b"\r", b"caf\xc3\xa9", b"caf\xe9", b"\xa7A\xa6n",
         b"=C3=A9", b"=\r\n", b"aGVsbG8=", b"> quoted", b"On Mon, Ann wrote:", b"-- ",
         b"Sent from my iPhone", b"\x00", b"\x1b$B", b"\xff\xfe"]
    ),
    max_size=12,
).map(b"".join)  # fmt: skip


@st.composite
def _messages(draw: st.DrawFn) -> bytes:
    eol = draw(st.sampled_from([b"\r\n", b"\n"]))
    head = [b"From: Ann <ann@customer.example>", b"To: hey@acme.dev", b"Subject: Help"]
    if draw(st.booleans()):
        head.append(b"Message-ID: <m1@customer.example>")
    if draw(st.booleans()):
        head.append(b"Date: Mon, 02 Nov 2026 08:00:00 +0000")
    for name, strategy in (
        (b"Content-Type", _TYPES),
        (b"Content-Transfer-Encoding", _ENCODINGS),
        (b"Content-Disposition", _DISPOSITIONS),
    ):
        value = draw(strategy)
        if value is not None:
            head.append(name + b": " + value.encode("utf-8", "surrogateescape"))
    head = draw(st.permutations(head))
    return eol.join(head) + eol + eol + draw(_BODIES)


@settings(max_examples=400)
@given(_messages())
@example(b"Subject: x\r\nContent-Type: text/plain; charset=utf-8\r\n\r\ncaf\xc3\xa9\r\n")
@example(b"Subject: x\r\n\r\n\xa7A\xa6n")
def test_the_shortcut_reads_as_the_general_way(raw: bytes) -> None:
    assert _read(raw, shortcut=True) == _read(raw, shortcut=False)


def _read(raw: bytes, *, shortcut: bool) -> object:
    """What ``_parse`` gives, or the type of what it raises (parse_message then keeps the
    raw text: both ways must agree on that too)."""
    try:
        return _parse(raw, shortcut=shortcut)
    except Exception as exc:
        return type(exc)


def test_plain_mail_takes_the_shortcut_and_samples_read_the_same() -> None:
    plain = b"From: a@b.example\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHi\r\n"
    split = split_fields(plain)
    assert split is not None
    assert simple_text(split.by_name) == (True, "utf-8")
    assert parse_message(plain).text == "Hi"
    taken = 0
    for path in sorted(DATA.glob("*.eml")):
        for raw in (path.read_bytes(), crlf(path.read_bytes())):
            split = split_fields(raw)
            taken += bool(split is not None and simple_text(split.by_name)[0])
            assert _read(raw, shortcut=True) == _read(raw, shortcut=False), path.name
    assert taken > 0

"""The one-pass header split gives what the email package's feed parser gives, or declines."""

from __future__ import annotations

from email.message import Message
from email.parser import BytesParser
from email.policy import compat32

from hypothesis import example, given, settings
from hypothesis import strategies as st

from herocli.channels.mail.headblock import split_message
from tests.mail_samples import DATA, crlf


def _feed(raw: bytes) -> Message:
    return BytesParser(policy=compat32).parsebytes(raw, headersonly=True)


def _same(fast: Message, slow: Message) -> None:
    assert list(fast.raw_items()) == list(slow.raw_items())
    assert fast.get_payload() == slow.get_payload()
    assert fast.defects == slow.defects == []
    assert fast.get_unixfrom() == slow.get_unixfrom()
    assert fast.get_default_type() == slow.get_default_type()
    assert fast.is_multipart() == slow.is_multipart()


# Pieces a header block is made of, the awkward ones included: folds, blanks, colons in odd
# places, a bare CR or LF, 8-bit bytes, an envelope line, a name with a space, form feeds.
_PIECES = st.sampled_from(
    [
        b"Subject: hi",
        b"Subject:",
        b"Subject:   ",
        b"From: A <a@example.com>",
        b"From a@example.com Mon Jan  1 00:00:00 2026",
        b"To: b@example.com,\r\n c@example.com",
        b" continued",
        b"\tcontinued",
        b" ",
        b"X-Odd name: v",
        b":no name",
        b"X-Colon: a: b: c",
        b"X-8bit: caf\xc3\xa9 \xff",
        b"X-FF: a\x0cb\x0bc",
        b"Content-Type: text/plain; charset=utf-8",
        b"Content-Type: multipart/mixed; boundary=x",
        b"no colon at all",
        b"X-Bare-CR: a\rb",
        b"X-Bare-LF: a\nb",
    ]
)


@st.composite
def _messages(draw: st.DrawFn) -> bytes:
    eol = draw(st.sampled_from([b"\r\n", b"\n"]))
    lines = draw(st.lists(_PIECES, max_size=8))
    head = eol.join(line.replace(b"\r\n", eol) for line in lines)
    separator = draw(st.sampled_from([eol + eol, eol, b"", b"\r\n\r\n", b"\n\n"]))
    body = draw(st.sampled_from([b"", b"text", b"a\r\nb\r\n", b"a\nb\rc\x0cd\xff", b"\r\n\r\n"]))
    return head + separator + body


@settings(max_examples=400)
@given(_messages())
@example(b"Subject: x\r\n\r\nbody")
@example(b"Subject: x\r\n folded\r\n\r\nbody\r\n")
@example(b"\r\n\r\nbody")
@example(b" Subject: x\r\n\r\nbody")
def test_split_matches_the_feed_parser_whenever_it_answers(raw: bytes) -> None:
    fast = split_message(raw)
    if fast is not None:
        _same(fast, _feed(raw))


def test_clean_mail_takes_the_one_pass_split() -> None:
    """The samples (every common client's shape) that have a clean header block are split
    in one pass, and each gives exactly the feed parser's result."""
    files = sorted(DATA.glob("*.eml"))
    taken = 0
    for raw in [crlf(f.read_bytes()) for f in files] + [f.read_bytes() for f in files]:
        fast = split_message(raw)
        if fast is not None:
            taken += 1
            _same(fast, _feed(raw))
    assert taken >= len(files)  # most of them, in both line endings
    clean = b"From: a@example.com\r\nSubject: s\r\n  folded\r\nDate: x\r\n\r\nbody\r\n"
    fast = split_message(clean)
    assert fast is not None
    assert list(fast.raw_items()) == [
        ("From", "a@example.com"),
        ("Subject", "s\r\n  folded"),
        ("Date", "x"),
    ]
    _same(fast, _feed(clean))


def test_split_declines_what_the_feed_parser_treats_specially() -> None:
    for raw in (
        b"From someone Mon Jan  1 00:00:00 2026\r\nSubject: x\r\n\r\nbody",  # envelope line
        b" Subject: x\r\n\r\nbody",  # a continuation first
        b"Subject: x\r\nnot a header\r\n\r\nbody",  # the body starts early
        b"Subject: x\nTo: y\r\n\r\nbody",  # mixed line endings
        b"Subject: x",  # no body separator
    ):
        assert split_message(raw) is None, raw

# ruff: noqa: RUF001  (mail in several scripts: full-width commas and Cyrillic are the point)
"""Parsing real-shaped and malformed mail: headers, bodies, charsets, attachments, quote trimming."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from herocli.channels.mail.headers import message_ids, parse_date
from herocli.channels.mail.html_text import html_to_text
from herocli.channels.mail.parse import (
    ParsedMail,
    decode_header_value,
    is_reply_subject,
    normalise_subject,
    parse_message,
)
from herocli.channels.mail.quotes import trim_quoted
from herocli.models import Attachment
from tests.mail_samples import (
    CYCLE_FILES,
    MALFORMED_FILES,
    OTHER_FILES,
    THREAD_FILES,
    all_samples,
    crlf,
    malformed_messages,
    read,
    thread_samples,
)


def parse(name: str) -> ParsedMail:
    return parse_message(read(name))


def html_only(name: str) -> bytes:
    """The sample's HTML alternative re-sent as an HTML-only message (same headers)."""
    import email
    from email.policy import compat32

    msg = email.message_from_bytes(read(name), policy=compat32)
    html = next(p for p in msg.walk() if p.get_content_type() == "text/html")
    body = html.get_payload(decode=True)
    assert isinstance(body, bytes)
    head = b"".join(
        f"{k}: {v}\n".encode() for k, v in msg.items() if k.lower() not in ("content-type",)
    )
    return head + b"Content-Type: text/html; charset=utf-8\n\n" + body


# --------------------------------------------------------------------------- client shapes


def test_gmail_original() -> None:
    mail = parse("thread-01-gmail-original.eml")
    assert mail.message_id == "<CAJx7Q2u9fWq+Kp3rT0bN1yJc8A@mail.gmail.com>"
    assert mail.in_reply_to == ()
    assert mail.references == ()
    assert mail.subject == "Export fails with 500"
    assert (mail.from_name, mail.from_addr) == ("Alice Martin", "alice.martin@customer.example")
    assert mail.to == ("hey@herocli.test",)
    assert mail.date == datetime(2024, 1, 2, 9, 14, 2, tzinfo=UTC)
    assert "1. Open Reports" in mail.text  # the text/plain alternative is the one read
    assert "Alice Martin — Customer Example GmbH" in mail.text  # full text keeps the signature
    assert mail.display_text.endswith("Thanks,\nAlice")
    assert mail.defects == ()
    assert not mail.synthetic_id


def test_outlook_reply() -> None:
    mail = parse("thread-03-outlook-reply.eml")
    # Message-ID folded onto its own line, as Exchange writes it.
    assert mail.message_id == (
        "<AM6PR04MB54328E2F1C5C2B0F3A9D1E2BA36A2@AM6PR04MB5432.eurprd04.prod.outlook.com>"
    )
    assert mail.in_reply_to == ("<170419336000.4242.7391@herocli.test>",)
    assert mail.references == (
        "<CAJx7Q2u9fWq+Kp3rT0bN1yJc8A@mail.gmail.com>",
        "<170419336000.4242.7391@herocli.test>",
    )
    assert mail.subject == "RE: Export fails with 500"
    assert (mail.from_name, mail.from_addr) == ("Weber, Bob", "bob.weber@customer.example")
    assert mail.cc == ("alice.martin@customer.example",)
    assert "Sent: Tuesday, January 2, 2024 12:02 PM" in mail.text
    assert mail.display_text == (
        "Hi Sam,\n\nI am a colleague of Alice. We use Edge, the report has about 120,000 rows."
        "\n\nBest regards\nBob"
    )


def test_outlook_html_reply_trims_header_block_and_rule() -> None:
    mail = parse_message(html_only("thread-03-outlook-reply.eml"))
    assert "From: Herocli Support <hey@herocli.test>" in mail.text
    assert "<style" not in mail.text
    assert "margin-top" not in mail.text
    assert mail.display_text.endswith("Best regards\nBob")
    assert "Herocli Support" not in mail.display_text


def test_apple_mail_reply() -> None:
    mail = parse("thread-04-apple-reply.eml")
    assert mail.message_id == "<9B2F6A1C-7D3E-4F5A-8B9C-0D1E2F3A4B5C@customer.example>"
    assert len(mail.references) == 3
    assert mail.cc == ("bob.weber@customer.example",)
    assert mail.date == datetime(2024, 1, 2, 13, 5, 33, tzinfo=UTC)
    assert "> On 2 Jan 2024, at 13:30, Weber, Bob" in mail.text
    assert mail.display_text == (
        "Small addition: with 50 rows it works, so it seems to be the size.\n\nGrüße,\nAlice"
    )
    html = parse_message(html_only("thread-04-apple-reply.eml"))
    assert html.display_text == mail.display_text


def test_gmail_reply_with_wrapped_attribution_and_no_references() -> None:
    mail = parse("thread-05-gmail-no-references.eml")
    assert mail.references == ()
    assert mail.in_reply_to == ("<9B2F6A1C-7D3E-4F5A-8B9C-0D1E2F3A4B5C@customer.example>",)
    expected = "Any news on this? Our month-end closing depends on the export."
    assert mail.display_text == expected
    html = parse_message(html_only("thread-05-gmail-no-references.eml"))
    assert "wrote:" in html.text
    assert "> Small addition" in html.text
    assert html.display_text == expected


def test_hero_reply_and_signature_from_html() -> None:
    mail = parse("thread-02-hero-reply.eml")
    assert mail.display_text.endswith("the report have?\n\nSam")
    html = parse_message(html_only("thread-01-gmail-original.eml"))
    assert "+49 30 1234567" in html.text
    assert html.display_text.endswith("Thanks,\nAlice")


def test_crlf_and_lf_parse_alike() -> None:
    for name in (*THREAD_FILES, *OTHER_FILES, *MALFORMED_FILES):
        lf, wire = parse_message(read(name)), parse_message(read(name, wire=True))
        assert lf.text == wire.text, name
        assert lf.display_text == wire.display_text, name
        assert lf.message_id == wire.message_id
        assert lf.references == wire.references
        assert lf.attachments == wire.attachments, name


# --------------------------------------------------------------------------- MIME structure


def test_attachments_nested_message_and_rfc2231_names() -> None:
    mail = parse("attachments.eml")
    assert mail.attachments == (
        Attachment("logo.png", 100, "image/png"),
        Attachment("Rechnung für Ärger.pdf", 2000, "application/pdf"),
        Attachment("notizen-äöü.txt", 5, "text/plain"),
        Attachment("original.eml", mail.attachments[3].size, "message/rfc822"),
    )
    assert mail.attachments[3].size > 50
    # The inline forwarded message is readable text; the attached one is only listed.
    assert "Export job failed at 23:00 with HTTP 500." in mail.text
    assert "Subject: Export alarm" in mail.text
    assert "forwarded as an attachment" not in mail.text
    assert "hello" not in mail.text  # a text/plain attachment is not body text
    assert mail.display_text.endswith("Export job failed at 23:00 with HTTP 500.")


def test_html_only_mail_becomes_readable_text() -> None:
    mail = parse("html-only.eml")
    assert mail.subject == "Your invoice is ready \u2013 January"
    assert mail.text == (
        "Invoice & receipt\n\n"
        "Hello Sam,\nyour invoice for January is ready.\n\n"
        "- Plan: Team\n- Seats: 5\n\n"
        "1. Download it\n2. Pay it\n\n"
        "See your invoice (https://vendor.example/invoices/42) or write to "
        "billing@vendor.example.\n\n"
        "Item  Price\nTeam plan  €50\n\n"
        "Café \u2013 naïve"
    )
    assert "track" not in mail.text
    assert "font-family" not in mail.text


def test_missing_boundary_is_guessed() -> None:
    mail = parse("missing-boundary.eml")
    assert mail.text == "The screenshot is attached."
    assert [(a.name, a.content_type) for a in mail.attachments] == [("error.png", "image/png")]
    assert mail.attachments[0].size == 8 + 1024
    assert any("boundary" in d for d in mail.defects)


def test_truncated_message_keeps_what_arrived() -> None:
    mail = parse("truncated.eml")
    assert mail.message_id == "<truncated-1@customer.example>"
    assert mail.text == "Here are the server logs from last night."
    assert [a.name for a in mail.attachments] == ["server.log.gz"]
    assert 0 < mail.attachments[0].size < 3000
    assert any("truncated" in d for d in mail.defects)


def test_multipart_related_without_start_and_alternative_without_plain() -> None:
    raw = b"""From: a@b.example
Message-ID: <rel@b.example>
Content-Type: multipart/related; boundary=R

--R
Content-Type: multipart/alternative; boundary=A

--A
Content-Type: text/plain; charset=utf-8

--A
Content-Type: text/html; charset=utf-8

<p>Only <i>HTML</i> has words</p><img src="cid:x" alt="chart">
--A--
--R
Content-Type: image/gif
Content-ID: <x>
Content-Transfer-Encoding: base64

R0lGODlhAQABAAAAACw=
--R--
"""
    mail = parse_message(raw)
    assert mail.text == "Only HTML has words\n\n[chart]"
    assert mail.attachments == (Attachment("part-1.gif", 14, "image/gif"),)


def test_deeply_nested_multipart_stops_without_crashing() -> None:
    depth = 200
    head = b"From: a@b.example\nMessage-ID: <deep@b.example>\n"
    body = b""
    for n in range(depth):
        body += f"Content-Type: multipart/mixed; boundary=b{n}\n\n--b{n}\n".encode()
    body += b"Content-Type: text/plain\n\ndeep text\n"
    mail = parse_message(head + body)
    assert mail.message_id == "<deep@b.example>"
    assert isinstance(mail.text, str)


# --------------------------------------------------------------------------- charsets


def test_unknown_charset_reads_utf8_and_stray_bytes() -> None:
    mail = parse("bad-charset.eml")
    assert mail.text == "The charset label is made up. Bytes: été, ÿþ, and UTF-8 café."
    assert mail.subject == "Qaplaé and not base64!"
    assert any("x-klingon" in d for d in mail.defects)


def test_wrong_charset_label() -> None:
    mail = parse("wrong-charset.eml")
    assert mail.from_name == "François"
    assert mail.text == "Bonjour, le résumé est illisible à cause du jeu de caractères."
    assert any("not valid utf-8" in d for d in mail.defects)


def test_raw_8bit_headers() -> None:
    mail = parse("8bit-headers.eml")
    assert mail.subject == "Grüße aus Köln — Rechnung fehlt"  # raw UTF-8
    assert mail.from_name == "Jürgen Müller"  # raw Latin-1
    assert mail.from_addr == "juergen@customer.example"


@pytest.mark.parametrize(
    ("label", "text"),
    [
        ("iso-8859-1", "Ça coûte 5 € — “quoted”"),  # Windows-1252 bytes labelled Latin-1
        ("windows-1252", "Smart “quotes” and 5 €"),
        ("koi8-r", "Привет, мир"),
        ("iso-2022-jp", "こんにちは"),
        ("gb2312", "你好\uff0c世界"),
        ("ks_c_5601-1987", "안녕하세요"),
        ("shift_jis", "ありがとう"),
        ("iso-8859-8-i", "שלום"),
        ("utf-8", "naïve café ✓"),
        ("UTF8", "naïve"),
        ('"utf-8"', "quoted label"),
    ],
)
def test_body_charsets(label: str, text: str) -> None:
    codec = {"iso-8859-1": "cp1252", "ks_c_5601-1987": "cp949", "iso-8859-8-i": "iso-8859-8"}
    payload = text.encode(codec.get(label, label.strip('"').lower()))
    raw = (
        f"From: a@b.example\nMessage-ID: <c@b.example>\n"
        f"Content-Type: text/plain; charset={label}\nContent-Transfer-Encoding: 8bit\n\n"
    ).encode() + payload
    mail = parse_message(raw)
    assert mail.text == text
    assert mail.defects == ()


def test_charset_that_is_not_a_text_codec() -> None:
    raw = b"Message-ID: <x@y>\nContent-Type: text/plain; charset=base64\n\naGVsbG8=\n"
    mail = parse_message(raw)
    assert mail.text == "aGVsbG8="
    assert any("base64" in d for d in mail.defects)


@pytest.mark.parametrize(
    ("value", "decoded"),
    [
        ("=?utf-8?q?caf=C3=A9?=", "café"),
        ("=?UTF-8?B?w6TDtsO8?= =?UTF-8?B?w58=?=", "äöüß"),  # adjacent words join
        ("=?iso-8859-1?q?a?=  b  =?iso-8859-1?q?c?=", "a  b  c"),
        ("=?utf-8*de?q?Gr=C3=BC=C3=9Fe?=", "Grüße"),  # RFC 2231 language tag
        ("=?utf-8?q?under_score?=", "under score"),
        ("=?utf-8?b?YnJva2Vu", "=?utf-8?b?YnJva2Vu"),  # unterminated: kept
        ("=?nope?q?x=E9?=", "xé"),
        ("plain =?utf-8?B?w6k?= text", "plain é text"),
        ("", ""),
    ],
)
def test_rfc2047_header_values(value: str, decoded: str) -> None:
    assert decode_header_value(value) == decoded


def test_subject_folding_and_encoded_words_across_lines() -> None:
    raw = (
        b"Message-ID: <s@x>\nSubject: =?utf-8?q?Hello_?=\n =?utf-8?q?w=C3=B6rld?=\n"
        b"   and\tmore\n\nbody"
    )
    assert parse_message(raw).subject == "Hello wörld and more"


# --------------------------------------------------------------------------- headers


def test_message_ids_are_normalised() -> None:
    mail = parse("bad-date-and-addresses.eml")
    assert mail.message_id == "<abc-no-brackets@customer.example>"
    assert mail.in_reply_to == ("<parent@customer.example>",)
    assert mail.references == ("<a@x.example>", "<b@x.example>")  # deduplicated, in order
    assert mail.date is None
    assert mail.from_addr == ""
    assert mail.to == ()
    assert mail.cc == ("eve@customer.example",)
    assert "unparseable Date header" in mail.defects


@pytest.mark.parametrize(
    ("value", "ids"),
    [
        ("<a@x.example>", ["<a@x.example>"]),
        ("<a@x.example> ", ["<a@x.example>"]),
        ("< a@x.example >", ["<a@x.example>"]),
        ("<a@x.example><b@x.example><a@x.example>", ["<a@x.example>", "<b@x.example>"]),
        # A blank (a separator control counts as one) inside: not one id as it stands.
        ("<a\x1cb@x.example>", ["<b@x.example>"]),
        ("<a b@x.example>", ["<b@x.example>"]),
        ("<caf\udcc3\udca9@x.example>", ["<café@x.example>"]),  # raw 8-bit, decoded
        ("a@x.example", ["<a@x.example>"]),
        ("<>", []),
    ],
)
def test_message_id_values(value: str, ids: list[str]) -> None:
    assert message_ids(value) == ids


def test_own_id_is_dropped_from_references() -> None:
    mail = parse("cycle-c.eml")
    assert mail.references == ("<cycle-b@loop.example>", "<cycle-a@loop.example>")


def test_reply_to_and_multiple_recipients() -> None:
    raw = (
        b"Message-ID: < spaced@x.example >\nFrom: =?utf-8?q?Z=C3=B6e?= <ZOE@X.example>\n"
        b'To: "Doe, J" <j@x.example>, k@x.example,\n  L <l@x.example>\n'
        b"To: m@x.example\nReply-To: Tickets <tickets@x.example>\n"
        b"Date: Mon, 1 Jan 2024 10:00:00 -0000\n\nhi"
    )
    mail = parse_message(raw)
    assert mail.message_id == "<spaced@x.example>"
    assert (mail.from_name, mail.from_addr) == ("Zöe", "zoe@x.example")
    assert mail.to == ("j@x.example", "k@x.example", "l@x.example", "m@x.example")
    assert mail.reply_to == ("tickets@x.example",)
    assert mail.date == datetime(2024, 1, 1, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "value",
    ["Mon, 1 Jan 99999 10:00:00 +0000", "yesterday", "Mon, 32 Jan 2024 25:61:00 +0000", ""],
)
def test_bad_dates_give_none(value: str) -> None:
    raw = f"Message-ID: <d@x>\nDate: {value}\n\nbody".encode()
    assert parse_message(raw).date is None


def _standard_date(value: str) -> tuple[datetime | None, list[str]]:
    """What the standard library's parser makes of a Date (the reference for a plain one)."""
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None, ["unparseable Date header"]
    try:
        return parsed.replace(tzinfo=parsed.tzinfo or UTC).astimezone(UTC), []
    except (OverflowError, ValueError):
        return None, ["Date header out of range"]


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["", "Thu, ", "Xyz, "]),
    st.integers(0, 40),
    st.sampled_from(["Jan", "Feb", "Jun", "Dec", "jan", "Foo"]),
    st.sampled_from(["0001", "0099", "0999", "1000", "1999", "2026", "9999", "26", "126"]),
    st.tuples(st.integers(0, 30), st.integers(0, 70), st.integers(0, 70)),
    st.sampled_from(["+0000", "-0000", "+0530", "-1200", "+2359", "+2400", "-9999", "+0099"]),
)
def test_dates_read_as_the_standard_parser_reads_them(
    weekday: str, day: int, month: str, year: str, clock: tuple[int, int, int], zone: str
) -> None:
    """The common form is read in one match; it must give what the standard parser gives,
    the impossible days, hours, zones and far years included."""
    value = f"{weekday}{day} {month} {year} {clock[0]:02d}:{clock[1]:02d}:{clock[2]:02d} {zone}"
    defects: list[str] = []
    got = parse_date(value, defects)
    assert (got, defects) == _standard_date(value), value
    assert got is None or got.tzinfo is UTC


def test_synthetic_message_id_is_stable_and_distinct() -> None:
    first = parse("no-message-id.eml")
    again = parse("no-message-id.eml")
    assert first.synthetic_id
    assert first.message_id == again.message_id
    assert first.message_id.endswith("@herocli.invalid>")
    assert first.message_id.startswith("<")
    assert len(first.message_id) == 1 + 64 + len("@herocli.invalid") + 1
    assert parse_message(read("no-message-id.eml", wire=True)).message_id == first.message_id
    other = parse_message(read("no-message-id.eml") + b"different\n")
    assert other.message_id != first.message_id


# --------------------------------------------------------------------------- subjects


@pytest.mark.parametrize(
    ("subject", "normalised"),
    [
        ("Export fails with 500", "export fails with 500"),
        ("Re: Export fails with 500", "export fails with 500"),
        ("RE: RE: Fwd: export   fails with 500", "export fails with 500"),
        ("AW: SV: VS: WG: Export fails with 500", "export fails with 500"),
        ("[herocli-users] Re: [herocli-users] Export fails with 500", "export fails with 500"),
        ("Re[2]: Export fails with 500", "export fails with 500"),
        ("Re(3): Export fails with 500", "export fails with 500"),
        ("Fw: Export fails with 500 (fwd)", "export fails with 500"),
        ("回复\uff1aExport fails with 500", "export fails with 500"),
        ("Réponse: naïve", "réponse: naïve"),
        ("Re:", ""),
        ("Regarding the invoice", "regarding the invoice"),
        ("STRASSE", "strasse"),
        ("Straße", "strasse"),
    ],
)
def test_normalise_subject(subject: str, normalised: str) -> None:
    assert normalise_subject(subject) == normalised


def test_is_reply_subject() -> None:
    assert is_reply_subject("Re: x")
    assert is_reply_subject("[list] AW: x")
    assert is_reply_subject("Fwd: x")
    assert not is_reply_subject("Regarding x")
    assert not is_reply_subject("x Re: y")


# --------------------------------------------------------------------------- HTML and quotes


def test_html_to_text_structure() -> None:
    html = (
        "<div>One<br>Two</div><p>Para <a href='https://x.example/a'>link</a> "
        "<a href='https://x.example/b'>https://x.example/b</a> "
        "<a href='mailto:s@x.example'>Sam</a></p>"
        "<ul><li>a<ul><li>nested</li></ul></li><li>b</li></ul>"
        "<pre>  keep\n    spacing</pre>"
        "<blockquote>quoted <b>text</b><blockquote>deeper</blockquote></blockquote>"
        "<script>alert(1)</script><style>p{}</style><p>&lt;tag&gt; &amp; &#8364;</p>"
    )
    assert html_to_text(html) == (
        "One\nTwo\n\n"
        "Para link (https://x.example/a) https://x.example/b Sam (s@x.example)\n\n"
        "- a\n  - nested\n- b\n\n"
        "  keep\n    spacing\n\n"
        "> quoted text\n>\n> > deeper\n\n"
        "<tag> & €"
    )


def test_html_to_text_survives_broken_markup() -> None:
    assert html_to_text("<p>unclosed <b>bold <i>both") == "unclosed bold both"
    assert html_to_text("</div></p><<>>text</li>") == "<<>>text"
    assert html_to_text("<script>never closed") == ""
    assert html_to_text("") == ""


@pytest.mark.parametrize(
    ("text", "display"),
    [
        # Interleaved answers between quoted blocks are kept.
        (
            "On Mon, 1 Jan 2024, Sam wrote:\n> Which browser?\nEdge.\n> How many rows?\n120k.",
            "Edge.\n120k.",
        ),
        # A sentence ending in "wrote:" without a quote after it is the reply itself.
        ("This is what she wrote:\nthe full story", "This is what she wrote:\nthe full story"),
        (
            "Danke!\n\nVon: Sam <hey@herocli.test>\nGesendet: Montag, 1. Januar 2024 10:00\n"
            "An: Kim <kim@x.example>\nBetreff: Test\n\nold",
            "Danke!",
        ),
        ("Thanks\n\n-----Original Message-----\nFrom: Sam\nold text", "Thanks"),
        ("Merci\n\nLe lun. 1 janv. 2024 à 10:00, Sam <s@x> a écrit :\n> vieux", "Merci"),
        ("Gracias\n\nEl lun, 1 ene 2024 a las 10:00, Sam escribió:\n> viejo", "Gracias"),
        ("Danke\n\nAm 01.01.2024 um 10:00 schrieb Sam <s@x>:\n> alt", "Danke"),
        ("ok\n\n-- \nSam\nSupport", "ok"),
        ("> only a quote", "> only a quote"),
        # Runs of blank lines close up to one; trailing blanks go; a colon with blanks after it
        # still ends an attribution, up to two lines below where it starts.
        ("one\n\n\n\n  \ntwo  \n", "one\n\ntwo"),
        ("ok\nOn Mon, 1 Jan 2024,\nSam <s@x> wrote:  \t\n\n> old", "ok"),
        # A "--" line far above the end is a rule in the text, not a signature's start.
        ("a\n--\n" + "line\n" * 12 + "end", "a\n--\n" + "line\n" * 12 + "end"),
        ("a\n--\nSam", "a"),
        (
            "Fine\n\n---------- Forwarded message ---------\nFrom: X\nDate: now\nSubject: s\nTo: y\n\nbody",
            "Fine\n\n---------- Forwarded message ---------\nFrom: X\nDate: now\nSubject: s\nTo: y\n\nbody",
        ),
    ],
)
def test_trim_quoted(text: str, display: str) -> None:
    assert trim_quoted(text) == display


# --------------------------------------------------------------------------- robustness


def test_every_sample_parses() -> None:
    samples = all_samples()
    assert len(samples) == len(THREAD_FILES) + len(CYCLE_FILES) + len(MALFORMED_FILES) + 2
    for raw in samples:
        mail = parse_message(raw)
        assert mail.message_id.startswith("<")
        assert mail.message_id.endswith(">")
        assert isinstance(mail.text, str)
    assert len(thread_samples()) == len(THREAD_FILES) + len(CYCLE_FILES)


def test_malformed_samples_are_safe_to_append() -> None:
    ids = set()
    for raw in malformed_messages():
        assert b"\x00" not in raw
        assert b"\n" not in raw.replace(b"\r\n", b"")  # only CRLF line endings
        ids.add(parse_message(raw).message_id)
    assert len(ids) == len(MALFORMED_FILES)


def test_never_raises_on_mutated_mail() -> None:
    rng = random.Random(4)
    samples = [read(name) for name in (*THREAD_FILES, *MALFORMED_FILES, *OTHER_FILES)]
    inputs: list[bytes] = [b"", b"\n", b"\r\n\r\n", b"\xff" * 10, b":" * 100, b"From: \n\n"]
    for raw in samples:
        inputs.extend(raw[:cut] for cut in range(0, len(raw), 53))
        for _ in range(20):
            data = bytearray(raw)
            for _ in range(rng.randint(1, 12)):
                pos = rng.randrange(len(data))
                data[pos] = rng.choice(b'\x00\xff\r\n=?<>";:-\x80 ')
            inputs.append(bytes(data))
    for data in inputs:
        mail = parse_message(data)
        assert isinstance(mail, ParsedMail)
        assert mail.message_id


def test_non_bytes_garbage_still_gives_a_mail() -> None:
    mail = parse_message(bytearray(b"Subject: hi\n\nbody"))  # type: ignore[arg-type]
    assert mail.subject == "hi"


def test_crlf_helper() -> None:
    assert crlf(b"a\nb\r\nc") == b"a\r\nb\r\nc"


@pytest.mark.parametrize(
    "value",
    [
        "a@b.example",
        "Name <A@B.example>",
        '"Weber, Bob" <Bob.Weber@x.example>',
        "A <a@x.example>, b@y.example,  C D <c@z.example>",
        '"a" <b@c.example>, "d" <e@f.example>',
        "a@b.example (comment)",
        "O'Brien <ob@x.example>",
        "team: a@x.example, b@x.example;",
        "J. Doe <j@x.example>,",
        "=?utf-8?q?Weber,_Bob?= <b@x.example>",
    ],
)
def test_addresses_match_the_standard_parser(value: str) -> None:
    from email.utils import getaddresses

    expected = tuple(a.lower() for _n, a in getaddresses([value]) if "@" in a)
    mail = parse_message(f"Message-ID: <x@y>\nTo: {value}\n\nbody".encode())
    assert mail.to == expected


def test_calendar_invitation_and_bounce_report_are_listed_not_read() -> None:
    raw = b"""From: MAILER-DAEMON@mx.example
To: hey@herocli.test
Message-ID: <bounce-1@mx.example>
Subject: Undelivered Mail Returned to Sender
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

This is the mail system. Your message could not be delivered.
--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example

Final-Recipient: rfc822; gone@customer.example
Action: failed
Status: 5.1.1
--B
Content-Type: text/rfc822-headers

From: hey@herocli.test
Subject: Re: Export fails with 500
--B
Content-Type: text/calendar; method=REQUEST; charset=utf-8

BEGIN:VCALENDAR
END:VCALENDAR
--B--
"""
    mail = parse_message(raw)
    assert mail.text == "This is the mail system. Your message could not be delivered."
    assert [a.content_type for a in mail.attachments] == [
        "message/delivery-status",
        "text/rfc822-headers",
        "text/calendar",
    ]
    assert [a.name for a in mail.attachments] == ["part-1.txt", "part-2.txt", "part-3.ics"]


@pytest.mark.no_cover  # timed: coverage's tracing would triple the time
@pytest.mark.parametrize(
    "raw",
    [
        b"Message-ID: <a@b>\nTo: a" + b" " * 50_000 + b"b\n\nx",
        b"Message-ID: <a@b>\nFrom: " + b"x " * 30_000 + b"<a@b\n\nx",
        b"Message-ID: <a@b>\nTo: " + b",".join(b"u%d@x.example" % i for i in range(20_000)) + b"\n",
        b"Message-ID: <a@b>\nSubject: " + b"=?utf-8?q?a?= " * 20_000 + b"\n\nx",
        b"Message-ID: <a@b>\nReferences: " + b"<" * 50_000 + b"\n\nx",
        b"Message-ID: <a@b>\n\n" + (b"On " + b"x " * 150 + b":\n") * 3_000,
        b"Message-ID: <a@b>\n\n" + b"on " * 100_000 + b"wrote:\n> q\n",
        b"Message-ID: <a@b>\nContent-Type: text/html\n\n" + b"<blockquote><ul><li>x" * 5_000,
        b"Message-ID: <a@b>\nContent-Type: multipart/mixed\n\n--" + b"x" * 100_000 + b"\n",
    ],
    ids=[
        "spaces-in-address",
        "long-name",
        "many-recipients",
        "many-encoded-words",
        "brackets",
        "colon-lines",
        "long-line",
        "deep-html",
        "long-boundary",
    ],
)
def test_hostile_input_stays_fast(raw: bytes) -> None:
    started = time.perf_counter()
    mail = parse_message(raw)
    assert mail.message_id == "<a@b>"
    assert time.perf_counter() - started < 1.5


@pytest.mark.no_cover  # timed: coverage's tracing would triple the time
def test_hostile_subjects_normalise_fast() -> None:
    started = time.perf_counter()
    assert normalise_subject("Re: " * 20_000 + "x") == "x"
    assert normalise_subject("[a] " * 20_000 + "x") == "x"
    assert not is_reply_subject("[" * 20_000 + "x")
    assert time.perf_counter() - started < 1.5


# --------------------------------------------------------------------------- undeclared charsets


@pytest.mark.parametrize(
    ("label", "text", "codec"),
    [
        (None, "這是一個測試，我們的帳戶無法登入，請協助處理。", "big5"),
        ("utf-8", "這是一個測試，我們的帳戶無法登入，請協助處理。", "big5"),
        (None, "Здравствуйте, не могу войти в личный кабинет", "cp1251"),
        ("us-ascii", "Здравствуйте, не могу войти в личный кабинет", "koi8-r"),
        (None, "你好，我的账户无法登录，请帮忙", "gb18030"),
        (None, "Bonjour, le résumé est illisible à cause du jeu de caractères.", "cp1252"),
    ],
)
def test_undeclared_or_wrong_charset_is_detected(label: str | None, text: str, codec: str) -> None:
    ctype = f"text/plain; charset={label}" if label else "text/plain"
    raw = f"Message-ID: <d@x>\nContent-Type: {ctype}\n\n".encode() + text.encode(codec)
    mail = parse_message(raw)
    assert mail.text == text
    assert mail.defects  # what was wrong is noted


def test_declared_charset_that_decodes_is_trusted() -> None:
    text = "Привет, мир"
    raw = b"Message-ID: <d@x>\nContent-Type: text/plain; charset=koi8-r\n\n" + text.encode("koi8-r")
    assert parse_message(raw).text == text
    assert parse_message(raw).defects == ()


def _with_attachment(disposition: bytes) -> bytes:
    return (
        b'Message-ID: <a@x>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"'
        b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n--b\r\n"
        b"Content-Type: application/zip\r\nContent-Disposition: " + disposition + b"\r\n\r\n"
        b"UEs=\r\n--b--\r\n"
    )


@pytest.mark.parametrize(
    "disposition",
    [
        b'attachment; filename="' + "ФНС_РФ558.zip".encode("cp1251") + b'"',
        b'attachment; filename="' + "ФНС_РФ558.zip".encode() + b'"',
        b"attachment; filename*=windows-1251''%D4%CD%D1_%D0%D4558.zip",
        b"attachment; filename*=''%D4%CD%D1_%D0%D4558.zip",
        b"attachment; filename*=utf-8''%D0%A4%D0%9D%D0%A1_%D0%A0%D0%A4558.zip",
        b'attachment; filename="=?windows-1251?B?1M3RX9DUNTU4LnppcA==?="',
    ],
    ids=["8bit-cp1251", "8bit-utf8", "rfc2231", "rfc2231-no-charset", "rfc2231-utf8", "rfc2047"],
)
def test_attachment_names_decode_like_text(disposition: bytes) -> None:
    [attachment] = parse_message(_with_attachment(disposition)).attachments
    assert attachment.name == "ФНС_РФ558.zip"


def _rfc2231_charset_mail(multipart: bool) -> bytes:
    part = (
        "Content-Type: text/plain; charset*=utf-8''utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n\r\n"
        "Grüße aus Köln\r\n"
    )
    head = (
        "From: Anna <anna@example.com>\r\nTo: help@example.org\r\nSubject: Frage\r\n"
        "Message-ID: <q1@example.com>\r\nMIME-Version: 1.0\r\n"
    )
    if multipart:
        body = f"Content-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\n{part}--XX--\r\n"
    else:
        body = part
    return (head + body).encode("utf-8")


@pytest.mark.parametrize("multipart", [False, True], ids=["single", "multipart"])
def test_an_rfc2231_charset_with_8bit_text_is_read(multipart: bool) -> None:
    # The email package reads charset*= as a triple and its get_payload() then fails.
    parsed = parse_message(_rfc2231_charset_mail(multipart))
    assert parsed.defects == ()
    assert (parsed.message_id, parsed.from_addr, parsed.subject) == (
        "<q1@example.com>",
        "anna@example.com",
        "Frage",
    )
    assert parsed.text == "Grüße aus Köln"


def test_a_body_the_parser_fails_on_keeps_the_headers(monkeypatch: pytest.MonkeyPatch) -> None:
    # Whatever reading a body raises (the email package has failed on bodies before),
    # who wrote and in which thread still come from the headers, so it can be answered.
    from herocli.channels.mail import mime

    def broken(self: mime.BodyWalker, *args: object, **kwargs: object) -> str:
        raise TypeError("cannot read this body")

    monkeypatch.setattr(mime.BodyWalker, "text_of", broken)
    parsed = parse_message(_rfc2231_charset_mail(multipart=True))
    assert (parsed.message_id, parsed.from_addr, parsed.subject) == (
        "<q1@example.com>",
        "anna@example.com",
        "Frage",
    )
    assert "Grüße aus Köln" in parsed.text
    assert parsed.defects == ("body could not be parsed (TypeError); kept as raw text",)

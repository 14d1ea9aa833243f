"""Quote and signature trimming over the fixture set: six languages, four client families."""

from __future__ import annotations

import pytest

from herocli.channels.mail.conversations import Incoming, build_conversations
from herocli.channels.mail.cursor import MailCursor
from herocli.channels.mail.fetching import Fetched
from herocli.channels.mail.parse import parse_message
from herocli.channels.mail.quotes import trim_quoted
from herocli.models import Message, shown_text
from herocli.records import replace
from tests.clock import FakeClock
from tests.quote_fixtures import FIXTURES


def test_the_fixture_set_is_large_enough() -> None:
    assert len(FIXTURES) >= 60
    assert len({name for name, _text, _shown in FIXTURES}) == len(FIXTURES)


@pytest.mark.parametrize(("name", "text", "shown"), FIXTURES, ids=[f[0] for f in FIXTURES])
def test_show_hides_quotes_and_signatures(name: str, text: str, shown: str) -> None:
    assert trim_quoted(text) == shown, name


def _stored(text: str) -> Message:
    raw = (
        "From: c@x.example\r\nSubject: s\r\nMessage-ID: <m@x.example>\r\n"
        "Date: Thu, 01 Jan 2026 10:00:00 +0000\r\n\r\n" + text.replace("\n", "\r\n")
    ).encode()
    batch = [Incoming("INBOX", Fetched(uid=1, raw=raw, flags=()), parse_message(raw))]
    [conv] = build_conversations(batch, MailCursor.load({}), lambda a: False, FakeClock().now())
    [message] = conv.messages
    return message


@pytest.mark.parametrize(
    ("text", "kept", "shown"),
    [
        # Nothing hidden: nothing said.
        ("Just a question.", None, "Just a question."),
        # The reply above its quote (most mail): the length of it, not a second copy.
        ("Thanks!\n\nOn Mon, 1 Jan 2024, Sam wrote:\n> old", 7, "Thanks!"),
        ("Trailing  \n\nOn Mon, 1 Jan 2024, Sam wrote:\n> old", 8, "Trailing"),
        # What is shown is not the text's beginning (a blank at a line's end inside it).
        ("a  \nb\n\nOn Mon, 1 Jan 2024, Sam wrote:\n> old", "a\nb", "a\nb"),
    ],
)
def test_the_shown_part_is_kept_as_a_length_when_it_begins_the_text(
    text: str, kept: object, shown: str
) -> None:
    message = _stored(text)
    assert message.meta.get("trimmed") == kept
    assert shown_text(message) == shown == trim_quoted(message.body)


def test_a_shown_text_written_whole_by_an_earlier_sync_is_still_shown() -> None:
    message = replace(_stored("Thanks!\n\n> old"), meta={"trimmed": "Thanks!"})
    assert shown_text(message) == "Thanks!"
    assert shown_text(replace(message, meta={})) == message.body

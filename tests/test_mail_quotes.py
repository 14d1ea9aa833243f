"""Quote and signature trimming over the fixture set: six languages, four client families."""

from __future__ import annotations

import pytest

from herocli.channels.mail.quotes import trim_quoted
from tests.quote_fixtures import FIXTURES


def test_the_fixture_set_is_large_enough() -> None:
    assert len(FIXTURES) >= 60
    assert len({name for name, _text, _shown in FIXTURES}) == len(FIXTURES)


@pytest.mark.parametrize(("name", "text", "shown"), FIXTURES, ids=[f[0] for f in FIXTURES])
def test_show_hides_quotes_and_signatures(name: str, text: str, shown: str) -> None:
    assert trim_quoted(text) == shown, name

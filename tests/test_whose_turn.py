"""Whose turn stays true: a ping or a word between teammates is no answer; replies are
credited to the member who sent them, not the identity that carried them."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from herocli.models import Message
from tests.cli_harness import Hero, Result


def ok(result: Result) -> Result:
    assert result.code == 0, result
    return result


def inbox(hero: Hero, *args: str) -> list[dict[str, Any]]:
    return list(json.loads(ok(hero.run("inbox", "--json", *args)).out))


def stats(hero: Hero) -> dict[str, Any]:
    return dict(json.loads(ok(hero.run("stats", "--json")).out))


@pytest.fixture
def hero(tmp_path: Path) -> Hero:
    h = Hero(tmp_path)
    h.customer_opens("github", "acme/widget#1", "Login broken", "I cannot log in", "carol")
    h.customer_opens("slack", "C1/1.0", "Export slow", "The CSV export hangs", "U0ANN")
    ok(h.run("sync"))
    h.clock.advance(minutes=10)
    return h


def test_a_ping_keeps_the_item_waiting_on_us(hero: Hero) -> None:
    ok(hero.run("assign", "1", "ravi", "--ping"))
    hero.clock.advance(minutes=5)
    ok(hero.run("sync"))  # the ping comes back from upstream
    bodies = [m.body for m in hero.backends["github"].threads["acme/widget#1"].messages]
    assert bodies[-1] == "@Ravi, could you take a look at this one?"
    [row] = [r for r in inbox(hero) if r["number"] == 1]
    assert row["waiting"] == "us"
    assert row["message_count"] == 2
    assert row["last_author"] == "carol"
    github = next(c for c in stats(hero)["by_channel"] if c["channel"] == "github")
    assert github["answered"] == 0  # a ping is not a first response
    assert stats(hero)["waiting_on_us"]["count"] == 2
    handoff = ok(hero.run("handoff", "--dry-run"))
    assert "Waiting on us: 2" in handoff.out + handoff.err


@pytest.mark.parametrize(
    ("channel", "external_id", "author", "body"),
    [
        ("github", "acme/widget#1", "ravi", "@hana can you take this one?"),
        ("github", "acme/widget#1", "hana", "@Ravi - yours, I think"),
        ("slack", "C1/1.0", "U0RAVI", "<@U0HANA> could you look at this?"),
    ],
)
def test_a_word_between_teammates_is_no_answer(
    hero: Hero, channel: str, external_id: str, author: str, body: str
) -> None:
    hero.backends[channel].add(external_id, author, body)
    ok(hero.run("sync"))
    number = 1 if channel == "github" else 2
    [row] = [r for r in inbox(hero, "--all") if r["number"] == number]
    assert row["waiting"] == "us"
    assert number in [r["number"] for r in inbox(hero)]


def test_an_answer_to_the_customer_still_makes_it_their_turn(hero: Hero) -> None:
    hero.backends["github"].add("acme/widget#1", "ravi", "@carol fixed in 2.4.1, thanks!")
    hero.backends["slack"].add("C1/1.0", "U0RAVI", "<@U0ANN> it is fixed now")
    ok(hero.run("sync"))
    assert inbox(hero) == []
    assert {r["waiting"] for r in inbox(hero, "--waiting", "them")} == {"them"}


def test_replies_are_credited_to_the_member_who_sent_them(hero: Hero) -> None:
    # Hana ([hero] me) replies through hero; upstream the message is the bot's ("hero").
    ok(hero.run("reply", "1", "-m", "Looking into it.", "--yes"))
    ok(hero.run("reply", "2", "-m", "On it.", "--yes"))
    hero.clock.advance(minutes=1)
    ok(hero.run("sync"))
    assert hero.backends["github"].threads["acme/widget#1"].messages[-1].author_id == "hero"
    # Ravi answers on GitHub under a display name with the company in it.
    thread = hero.backends["github"].threads["acme/widget#1"]
    thread.messages.append(
        Message(
            external_id="acme/widget#1/ravi",
            author_id="ravi-acme",
            author_name="Ravi (Acme Support)",
            sent_at=hero.clock.now() + timedelta(seconds=1),
            body="Also: clear the cache.",
            team_hint=True,
        )
    )
    hero.backends["github"]._touch(thread)
    hero.clock.advance(minutes=1)
    ok(hero.run("sync"))
    assert stats(hero)["replies_by"] == [
        {"author": "Hana", "count": 2},
        {"author": "Ravi", "count": 1},
    ]
    shown = json.loads(ok(hero.run("show", "1", "--json")).out)
    assert shown["last_author"] == "Ravi (Acme Support)"

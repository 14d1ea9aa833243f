"""What the command tests check a run with, and the queues they start from."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from herocli.store import Store
from tests.cli_harness import Hero, Result, seed_three


@pytest.fixture(name="hero")
def hero_fixture(tmp_path: Path) -> Hero:
    return Hero(tmp_path)


@pytest.fixture(name="seeded")
def seeded_fixture(hero: Hero) -> Hero:
    """#1 github waiting 30 min, #2 slack waiting 20 min, #3 github answered by us."""
    return seed_three(hero)


def ok(result: Result) -> Result:
    assert result.code == 0, result
    return result


def as_json(result: Result) -> Any:
    assert result.code == 0, result
    return json.loads(result.out)


def numbers(hero: Hero, *args: str) -> list[int]:
    return [row["number"] for row in as_json(hero.run("inbox", "--json", *args))]


def one_line_error(result: Result, code: int) -> str:
    assert result.code == code, result
    assert result.out == ""
    assert "Traceback" not in result.err
    lines = [line for line in result.err.splitlines() if not line.startswith("hint:")]
    assert len(lines) == 1, result.err
    assert lines[0].startswith("error: ")
    return lines[0]


def bodies(hero: Hero, channel: str, external_id: str) -> list[str]:
    return [m.body for m in hero.backends[channel].threads[external_id].messages]


def open_store(hero: Hero) -> Store:
    return Store.open(hero.data / "queue.db")

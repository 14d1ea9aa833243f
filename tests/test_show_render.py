"""`hero show` keeps every word of a long message, on a terminal or piped."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_harness import Hero

LONG = " ".join(f"word{n}" for n in range(120))


@pytest.mark.parametrize("terminal", [True, False])
def test_long_bodies_wrap_instead_of_being_cut(tmp_path: Path, terminal: bool) -> None:
    hero = Hero(tmp_path, terminal=terminal)
    hero.customer_opens("github", "acme/widget#1", "Long one", LONG)
    assert hero.run("sync").code == 0
    out = hero.run("show", "1").out
    words = set(out.replace("│", " ").split())
    missing = [w for w in LONG.split() if w not in words]
    assert not missing, missing[:5]

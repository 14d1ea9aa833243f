"""Golden files: expected output kept in ``tests/golden``, written only when asked.

``UPDATE_GOLDEN=1 python -m pytest tests/test_x.py`` (re)writes the goldens a test
compares against. Otherwise a missing golden fails, naming the command that writes
it: a deleted or renamed golden must never pass by comparing the output with itself.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

GOLDEN = Path(__file__).parent / "golden"


def updating() -> bool:
    return os.environ.get("UPDATE_GOLDEN", "") not in ("", "0")


def assert_golden(name: str, text: str, directory: Path = GOLDEN) -> None:
    """Compare ``text`` with the golden ``name``; write it instead under ``UPDATE_GOLDEN=1``."""
    path = directory / name
    if updating():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    elif not path.exists():
        test = os.environ.get("PYTEST_CURRENT_TEST", "").rsplit(" ", 1)[0] or "tests"
        pytest.fail(
            f"golden file {path} is missing; write it with: UPDATE_GOLDEN=1 python -m pytest {test}",
            pytrace=False,
        )
    assert text == path.read_text(encoding="utf-8"), f"output differs from {path}"

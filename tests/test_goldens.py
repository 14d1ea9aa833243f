"""Goldens fail when missing and are written only when asked."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.goldens import GOLDEN, assert_golden


def test_a_missing_golden_fails_naming_the_command_that_writes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("UPDATE_GOLDEN", raising=False)
    with pytest.raises(pytest.fail.Exception) as failed:
        assert_golden("gone.txt", "hello\n", tmp_path)
    assert "gone.txt is missing" in str(failed.value)
    assert "UPDATE_GOLDEN=1 python -m pytest tests/test_goldens.py::" in str(failed.value)
    assert not (tmp_path / "gone.txt").exists()


def test_a_changed_output_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("UPDATE_GOLDEN", raising=False)
    (tmp_path / "kept.txt").write_text("before\n", encoding="utf-8")
    with pytest.raises(AssertionError, match="differs"):
        assert_golden("kept.txt", "after\n", tmp_path)


@pytest.mark.parametrize("flag", ["1", "yes"])
def test_update_golden_writes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, flag: str
) -> None:
    monkeypatch.setenv("UPDATE_GOLDEN", flag)
    assert_golden("new.txt", "fresh\n", tmp_path)
    assert (tmp_path / "new.txt").read_text(encoding="utf-8") == "fresh\n"


def test_update_golden_0_does_not_write(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UPDATE_GOLDEN", "0")
    with pytest.raises(pytest.fail.Exception):
        assert_golden("new.txt", "fresh\n", tmp_path)


def test_every_golden_file_is_used() -> None:
    """A golden no test reads is a rename that left the old one behind."""
    used = {
        name
        for test in Path(__file__).parent.glob("test_*.py")
        for name in (p.name for p in GOLDEN.iterdir())
        if f'"{name}"' in test.read_text(encoding="utf-8")
    }
    assert used == {p.name for p in GOLDEN.iterdir()}

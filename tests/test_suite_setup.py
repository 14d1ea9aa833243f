"""The suite runs with coverage (pyproject's addopts) and without it (``--no-cov``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# A test coverage must not trace (marked no_cover: it is timed).
NO_COVER = "tests/test_mail_parse.py::test_hostile_subjects_normalise_fast"


@pytest.mark.parametrize("flags", [[], ["--no-cov"]], ids=["coverage", "no-cov"])
def test_a_no_cover_test_runs_with_and_without_coverage(flags: list[str]) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *flags, NO_COVER],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 passed" in run.stdout

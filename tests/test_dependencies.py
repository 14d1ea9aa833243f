"""Every distribution src/ imports is declared: the check CI runs, shown catching a slip."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).parent.parent


def _deptry(project: Path) -> tuple[int, list[dict[str, Any]]]:
    """deptry's exit code and the problems it found, run on ``project`` as CI runs it."""
    report = project / "deptry.json"
    result = subprocess.run(
        [sys.executable, "-m", "deptry", "src", "--json-output", str(report)],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    return result.returncode, json.loads(report.read_text(encoding="utf-8"))


def _copy_project(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    shutil.copytree(ROOT / "src", project / "src", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", project / "pyproject.toml")
    return project


def test_the_tree_declares_what_it_imports(tmp_path: Path) -> None:
    assert _deptry(_copy_project(tmp_path)) == (0, [])


def test_an_undeclared_import_fails_the_check(tmp_path: Path) -> None:
    # The slip that once kept hero from starting: click came with the CI machine's
    # Python, not with hero's dependencies.
    project = _copy_project(tmp_path)
    main = project / "src" / "herocli" / "cli" / "main.py"
    main.write_text("import click  # noqa\n" + main.read_text(encoding="utf-8"), encoding="utf-8")
    code, problems = _deptry(project)
    assert code == 1
    # DEP001 where click is absent, DEP003 where something else brought it (deptry does):
    # either way, imported and not declared.
    assert [p["module"] for p in problems] == ["click"]
    assert problems[0]["error"]["code"] in {"DEP001", "DEP003"}

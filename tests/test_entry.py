"""The `hero` command starts with the collector held off, and runs its command with it on."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Runs entry.run with run_cli replaced: how the collector stands when the command starts.
_PROBE = """
import gc, json, sys
import herocli.cli.main as main
def probe(args=None):
    print(json.dumps({"enabled": gc.isenabled(), "frozen": gc.get_freeze_count()}))
    return 3
main.run_cli = probe
from herocli.entry import run
run()
"""


def test_the_command_runs_with_the_collector_on_and_what_startup_made_frozen() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 3, proc.stderr  # run_cli's code is the exit status
    seen = json.loads(proc.stdout)
    assert seen["enabled"] is True
    assert seen["frozen"] > 10_000  # Typer's and hero's objects, out of every later pass


def test_the_installed_command_and_python_m_start_through_the_entry() -> None:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert scripts["scripts"]["hero"] == "herocli.entry:run"
    assert "from herocli.entry import run" in (ROOT / "src/herocli/__main__.py").read_text()
    proc = subprocess.run(
        [sys.executable, "-m", "herocli", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip()

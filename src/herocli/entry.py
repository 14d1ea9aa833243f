"""The `hero` command's entry point: hero starts with the cyclic collector held off.

Starting `hero` imports a few hundred modules (Typer and the click it vendors,
hero's own), and CPython's cyclic collector runs dozens of times meanwhile,
each pass walking every object imported so far. None of them is garbage: they
live as long as the process. So the collector is off while the command line's
modules load, and what they made is frozen (``gc.freeze``: set where no later
pass looks) before it comes back on for the command itself, which may run for
hours (a sync, the full-screen app) and needs it. A `hero inbox` costs about
an eighth less CPU for it. ``run_cli``, which tests and embedders call, runs
with the collector as they have it.
"""

from __future__ import annotations

import gc
import sys


def run() -> None:
    """`hero` on the command line (and `python -m herocli`)."""
    gc.disable()
    try:
        from herocli.cli.main import run_cli
    finally:
        gc.freeze()
        gc.enable()
    sys.exit(run_cli())

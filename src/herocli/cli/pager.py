"""Long output through the user's pager ($PAGER, else less), the way git and gh do it."""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Mapping

from rich.console import Console, RenderableType


def print_paged(console: Console, renderable: RenderableType, env: Mapping[str, str]) -> None:
    """Print ``renderable``; through the pager when it is taller than the terminal."""
    lines = console.render_lines(renderable, console.options, pad=False)
    command = env.get("PAGER", "less").strip()
    if len(lines) <= console.height or not console.is_terminal or command in ("", "cat"):
        console.print(renderable)
        return
    with console.capture() as captured:
        console.print(renderable)
    # less as git runs it: quit when it fits, keep colours, leave the text on screen.
    pager_env = {**os.environ, **env, "LESS": env.get("LESS", "FRX")}
    try:
        pager = subprocess.Popen(  # noqa: S603 - the user's own pager
            shlex.split(command), stdin=subprocess.PIPE, env=pager_env, text=True
        )
    except OSError:
        console.file.write(captured.get())
        return
    try:
        pager.communicate(captured.get())
    except BrokenPipeError:  # the pager quit early (q in less): that is fine
        pager.wait()

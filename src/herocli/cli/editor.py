"""Composing text in the user's editor, the way git and gh do it."""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

from herocli.errors import UsageError
from herocli.services.drafts import cut_at_scissors

EDITOR_VARIABLES = ("GH_EDITOR", "VISUAL", "EDITOR")


def editor_command(env: Mapping[str, str]) -> list[str]:
    """The editor to run: $GH_EDITOR, then $VISUAL, then $EDITOR, then a sensible default."""
    for name in EDITOR_VARIABLES:
        value = env.get(name, "").strip()
        if value:
            return shlex.split(value)
    return ["notepad"] if os.name == "nt" else ["vi"]


def compose(template: str, env: Mapping[str, str]) -> str:
    """Open the editor on ``template``; return what was written above the scissors line."""
    command = editor_command(env)
    with tempfile.TemporaryDirectory(prefix="hero-") as tmp:
        path = Path(tmp) / "REPLY.md"
        path.write_text(template, encoding="utf-8")
        try:
            status = subprocess.call([*command, str(path)])  # noqa: S603 - the user's own editor
        except OSError as exc:
            raise UsageError(
                f"cannot start the editor {command[0]!r}: {exc.strerror}",
                hint="set $EDITOR (or $VISUAL, $GH_EDITOR), or use -m TEXT / --body-file FILE",
            ) from None
        if status != 0:
            raise UsageError(f"the editor {command[0]!r} exited with status {status}; nothing sent")
        return cut_at_scissors(path.read_text(encoding="utf-8", errors="replace"))

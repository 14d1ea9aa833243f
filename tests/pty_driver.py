"""Running `hero` on a real pseudo-terminal: what a person at a terminal sees and types."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\r")


def plain(text: str) -> str:
    """Terminal output without colour codes and carriage returns."""
    return _ANSI.sub("", text)


def _own_terminal() -> None:
    # A new session whose controlling terminal is the pty, as a login shell has:
    # Ctrl-C typed there then reaches hero (and its editor) as SIGINT.
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class PtyHero:
    """`python -m herocli ARGS` with stdin, stdout and stderr on one pty of ``rows`` x ``cols``."""

    def __init__(
        self,
        *args: str,
        env: dict[str, str],
        cwd: Path | None = None,
        rows: int = 40,
        cols: int = 100,
    ) -> None:
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "herocli", *args],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env={**env, "TERM": "xterm"},
            cwd=cwd,
            preexec_fn=_own_terminal,  # noqa: PLW1509 - a test's child, no threads involved
        )
        os.close(slave)
        self.output = ""
        self._seen = 0  # how far ``expect`` has matched

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return False
        try:
            data = os.read(self.master, 65536)
        except OSError:  # the child closed the terminal
            return False
        if not data:
            return False
        self.output += data.decode("utf-8", errors="replace")
        return True

    def expect(self, pattern: str, timeout: float = 30.0) -> str:
        """Wait until ``pattern`` (a regex) appears in the plain output after the last match."""
        deadline = time.monotonic() + timeout
        while True:
            text = plain(self.output)
            found = re.search(pattern, text[self._seen :])
            if found:
                self._seen += found.end()
                return found.group(0)
            left = deadline - time.monotonic()
            stuck = left <= 0 or (not self._read(min(left, 0.5)) and self.proc.poll() is not None)
            if stuck and not self._read(0.1):
                raise AssertionError(f"{pattern!r} never appeared; the screen:\n{text}")

    def send(self, keys: str) -> None:
        """Type ``keys`` (a newline is Enter)."""
        os.write(self.master, keys.encode())

    def interrupt(self) -> None:
        """Press Ctrl-C: the terminal sends SIGINT to the foreground process group."""
        os.write(self.master, b"\x03")

    def wait(self, timeout: float = 30.0) -> int:
        """The exit status, reading what is left of the output meanwhile."""
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < deadline:
            self._read(0.1)
        while self._read(0.05):
            pass
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            raise AssertionError(f"hero did not finish; the screen:\n{plain(self.output)}")
        os.close(self.master)
        return self.proc.returncode

    @property
    def screen(self) -> str:
        return plain(self.output)

"""render.screen writes the inbox to a plain terminal as Rich's console would, without Rich.

Rich stays the reference: every case here asks Rich's ``Console`` what it finds
(terminal or not, colour, NO_COLOR, width, encoding) and what it prints, and
holds ``screen_of`` and ``draw`` to the same answers and the same bytes.
"""

from __future__ import annotations

import io
import json
import os
import pty
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.box import HEAVY_HEAD as RICH_HEAVY_HEAD
from rich.cells import cell_len as rich_cell_len
from rich.cells import set_cell_size as rich_set_cell_size
from rich.console import Console
from rich.text import Text

from herocli.render.cells import cell_len, set_cell_size
from herocli.render.screen import Screen, draw, screen_of
from herocli.render.table import HEAVY_HEAD, Column, Edges, FixedTable
from tests.cli_harness import Hero
from tests.test_table import _any_table, _plain

# Text of every kind Rich sizes apart: wide, zero-width, combining, joiners, controls.
_any_text = st.text(
    st.one_of(
        st.characters(max_codepoint=0x3FF),
        st.sampled_from(["日", "😀", "\u200d", "\ufe0f", "\xad", "\xa0", "\u0301", "\uff57"]),
    ),
    max_size=20,
)


@settings(max_examples=300, deadline=None, print_blob=True)
@given(text=_any_text, extra=st.integers(-3, 4))
def test_text_is_measured_and_fitted_as_rich_does(text: str, extra: int) -> None:
    assert cell_len(text) == rich_cell_len(text)
    total = max(0, rich_cell_len(text) + extra)
    assert set_cell_size(text, total) == rich_set_cell_size(text, total)


def test_the_heavy_head_box_is_richs() -> None:
    assert Edges.of(RICH_HEAVY_HEAD) == HEAVY_HEAD


# --- what the terminal is ---------------------------------------------------------------

_ENV_VALUES = {
    "TERM": ["xterm-256color", "xterm", "dumb", "UNKNOWN", "screen-16color", ""],
    "COLORTERM": ["truecolor", "24bit", ""],
    "NO_COLOR": ["", "1", "yes"],
    "COLUMNS": ["80", "132", "0", "wide", "²", " 90"],
    "LINES": ["24", "x"],
    "FORCE_COLOR": ["", "1", "0"],
    "TTY_COMPATIBLE": ["0", "1", "2"],
}
_envs = st.fixed_dictionaries(
    {}, optional={name: st.sampled_from(values) for name, values in _ENV_VALUES.items()}
)


@contextmanager
def _stream(kind: str) -> Iterator[IO[str]]:
    """A stream of ``kind``: a terminal (UTF-8 or not), a pipe, or a closed terminal."""
    if kind == "pipe":
        read, write = os.pipe()
        os.close(read)
        with open(write, "w", encoding="utf-8") as stream:
            yield stream
        return
    main, side = pty.openpty()
    encoding = "latin-1" if kind == "latin-1 tty" else "utf-8"
    stream = open(side, "w", encoding=encoding)  # noqa: SIM115 - closed below, maybe early
    try:
        if kind == "closed tty":
            stream.close()
        yield stream
    finally:
        stream.close()
        os.close(main)


def _agrees_with_rich(env: dict[str, str], stream: IO[str]) -> Screen | None:
    """``screen_of``'s answer, checked against what Rich's console finds where it answers."""
    screen = screen_of(env, stream)
    if screen is not None:
        console = Console(file=stream, _environ=env)
        assert console.is_terminal
        assert console.color_system is not None
        assert console.no_color is screen.no_color
        assert console.width == screen.width
        assert not console.options.ascii_only
    return screen


@pytest.mark.parametrize(
    ("name", "value"), [(name, value) for name, values in _ENV_VALUES.items() for value in values]
)
def test_each_variable_on_a_terminal_reads_as_rich_reads_it(name: str, value: str) -> None:
    with _stream("utf-8 tty") as stream:
        screen = _agrees_with_rich({name: value}, stream)
    # Told without Rich unless one of the rules that differ between Rich's versions.
    left_to_rich = name in ("FORCE_COLOR", "TTY_COMPATIBLE") or (name, value) in (
        ("NO_COLOR", ""),
        ("TERM", "dumb"),
        ("TERM", "UNKNOWN"),
        ("COLUMNS", "²"),
    )
    assert (screen is None) is left_to_rich


_streams = st.sampled_from(["utf-8 tty"] * 3 + ["latin-1 tty", "pipe", "closed tty"])


@settings(max_examples=150, deadline=None, print_blob=True)
@given(env=_envs, kind=_streams)
def test_the_screen_is_the_terminal_rich_finds(env: dict[str, str], kind: str) -> None:
    with _stream(kind) as stream:
        screen = _agrees_with_rich(env, stream)
    if kind != "utf-8 tty":
        assert screen is None


def test_a_plain_terminal_is_told_without_asking_rich() -> None:
    with _stream("utf-8 tty") as stream:
        assert screen_of({"TERM": "xterm", "COLUMNS": "99"}, stream) == Screen(99)
        assert screen_of({"NO_COLOR": "1", "COLUMNS": "70"}, stream) == Screen(70, no_color=True)
    with _stream("pipe") as stream:
        assert screen_of({"TERM": "xterm"}, stream) is None


# --- what is written ----------------------------------------------------------------------


def _printed(table: FixedTable, footer: str | None, width: int, **options: object) -> str:
    out = io.StringIO()
    console = Console(file=out, width=width, highlight=False, force_terminal=True, **options)  # type: ignore[arg-type]
    console.print(table, crop=table.width > width)  # as render.items.print_items prints it
    if footer is not None:
        console.print(Text(footer, style="dim"))
    return out.getvalue()


@settings(max_examples=80, deadline=None, print_blob=True)
@given(
    widths=st.lists(st.integers(1, 14), min_size=1, max_size=6),
    data=st.data(),
    title=st.one_of(st.none(), _plain, st.sampled_from(["  two  spaces ", "tab\there", "a\nb"])),
    footer=st.one_of(st.none(), _plain),
    width=st.integers(10, 130),
    no_color=st.booleans(),
    colours=st.sampled_from(["standard", "256", "truecolor"]),
)
def test_a_table_is_written_as_richs_console_prints_it(
    widths: list[int],
    data: st.DataObject,
    title: str | None,
    footer: str | None,
    width: int,
    no_color: bool,
    colours: str,
) -> None:
    table = _any_table(data, widths, title, max_rows=4)
    written = draw(table, Screen(width, no_color=no_color), footer)
    if written is None:
        # Only a table or a line that Rich would shrink or wrap is left to it.
        assert (
            table.width > width
            or (
                table.title is not None
                and not (table.title.isprintable() and cell_len(table.title) <= table.width)
            )
            or (footer is not None and cell_len(footer) > width)
        )
        return
    assert written == _printed(table, footer, width, no_color=no_color, color_system=colours)


def test_a_style_it_cannot_write_is_left_to_rich() -> None:
    table = FixedTable([Column("A", 3)], [[("x", "underline2 on red")]])
    assert draw(table, Screen(80)) is None
    assert draw(FixedTable([Column("A", 3)], [[("x", "bold red")]]), Screen(80)) is not None


# --- `hero inbox` on a terminal -------------------------------------------------------------


def _env(hero: Hero, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _ENV_VALUES}
    return env | {"HERO_CONFIG": str(hero.config), "HERO_DATA_DIR": str(hero.data)} | extra


def _on_a_terminal(hero: Hero, args: list[str], env: dict[str, str]) -> tuple[bytes, set[str]]:
    """Run `hero ARGS` with its stdout on a pseudo-terminal: what it shows, and what it imported."""
    script = (
        "import sys\n"
        "from herocli.cli.main import run_cli\n"
        f"code = run_cli({args!r})\n"
        "sys.stdout.flush()\n"
        "loaded = sorted(sys.modules)\n"
        "import json\n"  # after the run: whether the run imported json is asked too
        "sys.__stderr__.write('MODULES ' + json.dumps(loaded) + '\\n')\n"
        "sys.exit(code)\n"
    )
    main, side = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-c", script],
        stdout=side,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        env=env,
    )
    os.close(side)
    shown = b""
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:  # the other side closed
            break
        if not chunk:
            break
        shown += chunk
    os.close(main)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    line = next(x for x in err.decode().splitlines() if x.startswith("MODULES "))
    return shown.replace(b"\r\n", b"\n"), set(json.loads(line.removeprefix("MODULES ")))


@pytest.fixture
def busy_hero(tmp_path: Path) -> Hero:
    hero = Hero(tmp_path)
    for n in range(1, 6):
        hero.customer_opens("github", f"acme/widget#{n}", f"Question {n}: ünïcode · ça va?", "Hi")
    assert hero.run("sync").code == 0
    return hero


@pytest.mark.parametrize("no_color", [False, True])
def test_the_inbox_on_a_terminal_is_richs_table_without_rich(
    busy_hero: Hero, no_color: bool
) -> None:
    env = _env(
        busy_hero, COLUMNS="120", TERM="xterm-256color", **({"NO_COLOR": "1"} if no_color else {})
    )
    shown, modules = _on_a_terminal(busy_hero, ["inbox", "--limit", "3"], env)
    assert not {m for m in modules if m == "rich" or m.startswith("rich.")}
    assert "json" not in modules  # whose turn it is comes with the row (store.item_rows)
    # The same run drawn by Rich: FORCE_COLOR is left to Rich's console.
    ruled = subprocess.run(
        [sys.executable, "-m", "herocli", "inbox", "--limit", "3"],
        env=env | {"FORCE_COLOR": "1"},
        capture_output=True,
        check=True,
        timeout=60,
    )
    assert shown == ruled.stdout
    assert b"showing 3 of 5" in shown
    assert (b"\x1b[35mgithub" in shown) is not no_color


def test_wide_text_on_a_terminal_is_measured_by_rich_and_drawn_without_it(busy_hero: Hero) -> None:
    busy_hero.customer_opens("github", "acme/widget#9", "日本語のタイトル 😀 " * 4, "Hello?")
    assert busy_hero.run("sync").code == 0
    env = _env(busy_hero, COLUMNS="100")
    shown, modules = _on_a_terminal(busy_hero, ["inbox"], env)
    assert "rich.cells" in modules
    assert "rich.console" not in modules
    ruled = subprocess.run(
        [sys.executable, "-m", "herocli", "inbox"],
        env=env | {"FORCE_COLOR": "1"},
        capture_output=True,
        check=True,
        timeout=60,
    )
    assert shown == ruled.stdout
    assert "…".encode() in shown


def test_a_terminal_too_narrow_for_the_table_gets_richs(busy_hero: Hero) -> None:
    shown, modules = _on_a_terminal(busy_hero, ["inbox"], _env(busy_hero, COLUMNS="30"))
    assert "rich.table" in modules
    assert "┏".encode() in shown

"""Untrusted text prints literally: Rich markup is not obeyed, escape sequences never reach the terminal."""

from __future__ import annotations

import io
import json
import os
import re
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console

from herocli.render.text import UNSAFE, clean, json_text, safe
from tests.cli_harness import Hero, hero_process

MARKUP = "[bold red]x[/]"
CLEAR = "Urgent\x1b[2J\x1b]0;owned\x07 please"
CLEAR_SHOWN = "Urgent\\x1b[2J\\x1b]0;owned\\x07 please"


@pytest.fixture
def hero(tmp_path: Path) -> Hero:
    h = Hero(tmp_path)
    h.customer_opens("github", "acme/widget#1", MARKUP, f"body {MARKUP} [link=http://x]y[/link]")
    h.customer_opens("github", "acme/widget#2", CLEAR, "body \x1b[31mred\x1b[0m \x9b2J end", "eve")
    h.backends["github"].add("acme/widget#2", "[blink]mallory[/blink]", "me too")
    assert h.run("sync").code == 0
    return h


def assert_no_injected_escapes(text: str) -> None:
    assert "\x1b[2J" not in text
    assert "\x1b]0;" not in text
    assert "\x07" not in text
    assert "\x9b" not in text
    assert "\x1b[31mred" not in text
    assert "\x1b[5m" not in text  # blink from markup


def test_inbox_table_on_a_terminal(hero: Hero) -> None:
    result = hero.run("inbox", colour=True)
    assert result.code == 0, result
    assert MARKUP in result.out
    assert CLEAR_SHOWN in result.out
    assert "[blink]mallory[/blink]" in result.out
    assert_no_injected_escapes(result.out)
    # The terminal console does style our own text, so the check above is meaningful.
    assert "\x1b[" in result.out


def test_inbox_table_without_colour(hero: Hero) -> None:
    hero.terminal = True
    out = hero.run("inbox").out
    assert MARKUP in out
    assert CLEAR_SHOWN in out
    assert "\x1b" not in out


def test_inbox_piped(hero: Hero) -> None:
    out = hero.run("inbox").out
    lines = out.splitlines()
    assert lines[0].split("\t")[2] == MARKUP
    assert lines[1].split("\t")[2] == CLEAR_SHOWN
    assert "\x1b" not in out
    assert "\x07" not in out


def test_json_keeps_the_text_exactly(hero: Hero) -> None:
    rows = json.loads(hero.run("inbox", "--json").out)
    assert [r["title"] for r in rows] == [MARKUP, CLEAR]
    raw = hero.run("show", "2", "--json").out
    assert "\x1b" not in raw  # JSON escapes control characters itself
    data = json.loads(raw)
    assert data["messages"][0]["body"] == "body \x1b[31mred\x1b[0m \x9b2J end"
    assert data["messages"][1]["author"] == "[blink]mallory[/blink]"


def test_show(hero: Hero) -> None:
    first = hero.run("show", "1", colour=True)
    assert first.code == 0
    assert MARKUP in first.out
    assert "[link=http://x]y[/link]" in first.out
    assert "\x1b]8;" not in first.out  # no hyperlink escape smuggled in
    second = hero.run("show", "2", colour=True)
    assert CLEAR_SHOWN in second.out
    assert "\\x1b[31mred\\x1b[0m" in second.out
    assert "\\x9b2J" in second.out
    assert "[blink]mallory[/blink]" in second.out
    assert_no_injected_escapes(second.out)


def test_notes_labels_and_errors_are_escaped(hero: Hero) -> None:
    assert hero.run("note", "1", "[red]note[/red] \x1b[2J").code == 0
    assert hero.run("label", "1", "+[b]lab[/b]", "--local").code == 0
    shown = hero.run("show", "1", colour=True)
    assert "[red]note[/red] \\x1b[2J" in shown.out
    assert "[b]lab[/b]" in shown.out
    assert_no_injected_escapes(shown.out)
    error = hero.run("assign", "1", "[red]zed\x1b[2J", colour=True)
    assert "no team member '[red]zed\\x1b[2J'" in error.err
    assert_no_injected_escapes(error.err)


def test_reply_confirmation_shows_the_body_literally(
    hero: Hero, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    result = hero.run("reply", "2", "-m", "[bold]hi[/bold] \x1b[2J", colour=True)
    assert "[bold]hi[/bold]" in result.err
    assert_no_injected_escapes(result.err)


def test_a_real_process_piped(hero: Hero) -> None:
    env = {**os.environ, **hero.env, "HERO_CONFIG": str(hero.config)}
    for args in (["inbox"], ["show", "2"], ["inbox", "--json"]):
        proc = hero_process(*args, env=env, text=False)
        assert proc.returncode == 0, proc.stderr
        assert b"\x1b" not in proc.stdout
        assert b"\x07" not in proc.stdout
        assert "\x9b".encode() not in proc.stdout


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("plain", "plain"),
        ("tab\tand\nnewline", "tab\tand\nnewline"),
        ("\x1b[2J", "\\x1b[2J"),
        ("nul\x00del\x7f", "nul\\x00del\\x7f"),
        ("c1\x9b\x85", "c1\\x9b\\x85"),
        ("bell\x07\x08", "bell\\x07\\x08"),
        ("Grüße ✓ 日本", "Grüße ✓ 日本"),
        ("invoice\u202etxt.exe", "invoice\\u202etxt.exe"),
        ("\u2066iso\u2069 \u200emark\u061c", "\\u2066iso\\u2069 \\u200emark\\u061c"),
        ("line\u2028para\u2029next\x85", "line\\u2028para\\u2029next\\x85"),
    ],
)
def test_clean(raw: str, shown: str) -> None:
    assert clean(raw) == shown


def test_clean_single_line_folds_whitespace() -> None:
    assert clean("a\n\tb\r\n c", single_line=True) == "a b c"


def test_safe_is_never_markup() -> None:
    console = Console(file=io.StringIO(), color_system="truecolor", force_terminal=True, width=80)
    console.print(safe("[bold red]x[/] :smile:"))
    out = console.file.getvalue()  # type: ignore[attr-defined]
    assert "[bold red]x[/]" in out
    assert "\x1b[1" not in out


def test_piped_labels_and_names_are_one_field_each(hero: Hero) -> None:
    assert hero.run("label", "1", "+a\tb", "--local").code == 2  # refused at the boundary
    hero.backends["github"].add("acme/widget#1", "x\ty\nz\x1b]52;c;aGk=\x07", "hi")
    assert hero.run("sync").code == 0
    for line in hero.run("inbox", "--all").out.splitlines():
        assert len(line.split("\t")) == 8
        assert "\x1b" not in line
        assert "\x07" not in line


def test_json_list_is_valid_with_separators_in_titles(tmp_path: Path) -> None:
    h = Hero(tmp_path)
    title = "a\u2028b\u2029c\x85d\u202e"
    h.customer_opens("github", "acme/widget#9", title, "body")
    assert h.run("sync").code == 0
    out = h.run("inbox", "--json").out
    assert [r["title"] for r in json.loads(out)] == [title]
    assert not any(c in out for c in "\u2028\u2029\x85\u202e")


def test_markup_in_a_handoff_target_is_shown_literally(hero: Hero, tmp_path: Path) -> None:
    output = tmp_path / "[bold]week[/bold].md"
    result = hero.run(
        "handoff", "--dry-run", "--to", "Ravi", "--output", str(output), "--post", "slack:#[red]x"
    )
    assert result.code == 0, result
    assert "Traceback" not in result.err
    assert "part 1/1 for slack:#[red]x" in result.out  # the Rule above the text to post
    assert "[bold]week[/bold].md" in result.err  # the plan
    assert not output.exists()


# Every character the sanitiser escapes, and some it keeps, to build hostile text from.
HOSTILE = st.text(
    st.sampled_from(
        [chr(c) for c in (*range(0x00, 0x21), *range(0x7E, 0xA2), 0x061C, 0x200B, 0x200E)]
        + [chr(c) for c in (0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))]
        + ["\u2028", "\u2029", "\u00a0", "é", "日", "\U0001f600", "a", '"', "\\"]
    ),
    max_size=30,
)


@given(HOSTILE)
def test_clean_and_json_text_escape_exactly_the_unsafe_characters(text: str) -> None:
    # The plain definition, by the pattern itself; clean and json_text skip it for text
    # that cannot hold an unsafe character (all printable; JSON that is all ASCII).
    assert clean(text) == re.sub(UNSAFE, lambda m: _shown(m.group()), text)
    assert clean(text, single_line=True) == clean(" ".join(text.split()))
    raw = json.dumps({"t": text}, indent=2, ensure_ascii=False)
    assert json_text({"t": text}) == re.sub(UNSAFE, lambda m: f"\\u{ord(m.group()):04x}", raw)
    assert json.loads(json_text({"t": text})) == {"t": text}


def _shown(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def test_no_unsafe_character_is_printable() -> None:
    # What lets clean skip printable text: the unsafe set lies outside str.isprintable.
    unsafe = [chr(c) for c in range(0x3000) if re.fullmatch(UNSAFE, chr(c))]
    assert len(unsafe) == 77  # C0 but tab and newline, DEL, C1, 12 bidi controls, 2 separators
    assert not [c for c in unsafe if c.isprintable()]

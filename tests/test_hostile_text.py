"""Any text at all, through every output: JSON round-trips, rows keep their shape, nothing unsafe.

Titles (an email's subject is its title), bodies, labels and author names come
from strangers; notes from us. Hypothesis draws them from every code point,
weighted towards the controls, bidi controls and separators, and each example
runs the real commands on a real queue file and checks what they print.
"""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from herocli.store import Store, queue
from tests.cli_harness import Hero

# Every C0 and C1 control, DEL, the bidi controls, the separators, and some
# characters that are harmless but near them (NBSP, ZWSP, BOM, combining marks).
HOSTILE = (
    [chr(c) for c in range(0x20)]
    + [chr(c) for c in range(0x7F, 0xA1)]
    + list("\u061c\u200b\u200e\u200f\u202a\u202b\u202c\u202d\u202e")
    + list("\u2066\u2067\u2068\u2069\u2028\u2029\ufeff\u0301[]/\\|`*_#@<>&")
)
EVERY = "".join(HOSTILE)
hostile_text = st.text(
    alphabet=st.one_of(
        st.sampled_from(HOSTILE),
        st.sampled_from(HOSTILE),
        st.characters(exclude_categories=("Cs",)),
    ),
    min_size=0,
    max_size=24,
)
# What no output may hold raw: controls other than tab and newline, DEL, C1, bidi, separators.
UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]"
)
ITEM_FIELDS = 8


def assert_safe(text: str, where: str) -> None:
    found = UNSAFE.search(text)
    assert found is None, f"{where}: raw U+{ord(found.group()):04X} at {found.start()}"


def assert_rows(out: str, count: int) -> None:
    assert out.endswith("\n") or count == 0
    lines = out.split("\n")[:-1] if out else []
    assert len(lines) == count, out
    for line in lines:
        assert len(line.split("\t")) == ITEM_FIELDS, repr(line)
        assert_safe(line, "piped row")
        assert "\r" not in line


@settings(
    max_examples=12,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    titles=st.lists(hostile_text, min_size=1, max_size=3),
    body=hostile_text,
    author=hostile_text.filter(lambda s: s.strip() != ""),
    labels=st.lists(hostile_text, max_size=3),
    note=hostile_text.filter(lambda s: "\x00" not in s and s.strip() != ""),
)
# Every hostile code point in every field at once, whatever Hypothesis draws besides.
@example(
    titles=[EVERY, "x" + EVERY[::-1]],
    body=EVERY,
    author=EVERY,
    labels=[EVERY, "\t", "a\nb"],
    note=EVERY.replace("\x00", ""),
)
def test_every_output_is_well_formed(
    titles: list[str], body: str, author: str, labels: list[str], note: str
) -> None:
    with tempfile.TemporaryDirectory() as root:
        hero = Hero(Path(root))
        for n, title in enumerate(titles, 1):
            hero.customer_opens("github", f"acme/widget#{n}", title, body, author)
        hero.backends["github"].threads["acme/widget#1"].labels = list(labels)
        assert hero.run("sync").code == 0
        # "--": a note may start with "-", as any argument after it may.
        assert hero.run("note", "1", "--", note).code == 0

        # --json parses and gives back exactly what was stored.
        listing = hero.run("inbox", "--all", "--json")
        assert listing.code == 0, listing.err
        assert_safe(listing.out, "inbox --json")
        rows = json.loads(listing.out)
        store = Store.open(hero.data / "queue.db")
        try:
            stored_labels = list(queue.labels_of(store.conn, 1))
            stored = queue.messages(store.conn, 1)[0].message
        finally:
            store.close()
        assert set(stored_labels) == set(labels)  # the queue keeps a set
        assert (stored.body, stored.author_name) == (body, author)
        assert sorted(r["title"] for r in rows) == sorted(titles)
        assert next(r for r in rows if r["number"] == 1)["labels"] == stored_labels
        shown = hero.run("show", "1", "--json")
        assert_safe(shown.out, "show --json")
        detail = json.loads(shown.out)
        assert detail["title"] == titles[0]
        assert detail["messages"][0]["body"] == body
        assert detail["messages"][0]["author"] == author
        assert detail["notes"][0]["body"] == note
        for args in (("stats", "--json"), ("handoff", "--dry-run", "--json")):
            result = hero.run(*args)
            assert result.code == 0, (args, result.err)
            assert_safe(result.out, " ".join(args))
            json.loads(result.out)

        # Piped rows: one line per item, eight fields, nothing unsafe.
        piped = hero.run("inbox", "--all")
        assert piped.code == 0, piped.err
        assert_rows(piped.out, len(titles))

        # Everything shown to a person, on a terminal or not, tables, thread, report, Markdown.
        for terminal in (False, True):
            hero.terminal = terminal
            for args in (
                ("show", "1", "--full"),
                ("stats",),
                ("handoff", "--dry-run", "--output", str(Path(root) / "h.md"))
                if terminal
                else ("handoff", "--dry-run", "--post", "slack:#support"),
            ) + ((("inbox", "--all"),) if terminal else ()):
                result = hero.run(*args)
                assert result.code == 0, (args, result.err)
                assert_safe(result.out, " ".join(args))
                assert_safe(result.err, " ".join(args) + " (stderr)")

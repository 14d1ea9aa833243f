"""A queue file that fails: one line naming the file and what to do, never success, never a traceback.

Each fault is real: garbage and truncated files, a page overwritten, SQLite's
own page limit (``max_page_count``, the SQLITE_FULL a full disk gives), a
tiny tmpfs, a read-only connection and a read-only mount, a lock held by
another connection. The tests run as root in CI, where chmod does not stop
writes, so read-only is a read-only mount (skipped where mounting is not
allowed) and SQLite's read-only mode, which answers as a read-only disk does.
"""

from __future__ import annotations

import io
import os
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from herocli.channels.memory import MemoryChannel
from herocli.cli.main import run_cli
from herocli.context import Context
from herocli.errors import ExitCode
from herocli.store import Store
from tests.cli_harness import Hero, Result, _console

PAGE = 4096


def run_with_store(hero: Hero, store: Store, *args: str) -> Result:
    """`hero ARGS` on ``store``, a connection the test prepared (a page limit, read-only, ...)."""
    out, err = io.StringIO(), io.StringIO()
    ctx = Context(
        config_path=hero.config,
        env=hero.env,
        clock=hero.clock,
        factories={
            name: (lambda _ctx, b=backend, n=name: MemoryChannel(b, name=n))
            for name, backend in hero.backends.items()
        },
        out=_console(out, colour=False),
        err=_console(err, colour=False),
    )
    ctx.__dict__["store"] = store  # the cached Store the commands use
    code = run_cli(list(args), ctx)
    return Result(code, out.getvalue(), err.getvalue())


def assert_store_fault(result: Result, path: Path, *words: str) -> None:
    assert result.code == ExitCode.ERROR, result
    assert "Traceback" not in result.err
    errors = [line for line in result.err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.err
    assert str(path) in errors[0]
    for word in words:
        assert word in result.err, result.err
    assert "hint:" in result.err  # what to do
    assert "sqlite3." not in result.err


@pytest.fixture
def hero(tmp_path: Path) -> Hero:
    h = Hero(tmp_path)
    for n in range(1, 41):
        h.customer_opens("github", f"acme/widget#{n}", f"Issue {n} " * 10, "body " * 200)
    assert h.run("sync").code == 0
    return h


def queue(hero: Hero) -> Path:
    return hero.data / "queue.db"


def checkpoint(path: Path) -> bytearray:
    """The file's bytes with the WAL folded in, so damage to the file is damage to the data."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return bytearray(path.read_bytes())


COMMANDS = [
    ("inbox",),
    ("inbox", "--json"),
    ("show", "3"),
    ("stats",),
    ("note", "2", "x"),
    ("sync",),
]


@pytest.mark.parametrize("damage", ["garbage", "truncated", "header only", "zeroed schema"])
def test_a_damaged_file_is_named_by_every_command(hero: Hero, damage: str) -> None:
    data = checkpoint(queue(hero))
    if damage == "garbage":
        data = bytearray(b"this is not a database " * 500)
    elif damage == "truncated":
        data = data[: len(data) // 2]
    elif damage == "header only":
        data = data[:50]
    else:
        data[PAGE : 3 * PAGE] = b"\xff" * (2 * PAGE)
    queue(hero).write_bytes(bytes(data))
    for args in COMMANDS:
        assert_store_fault(hero.run(*args), queue(hero), "damaged")


def test_a_sync_on_a_queue_damaged_where_it_does_not_look_never_reports_success(hero: Hero) -> None:
    data = checkpoint(queue(hero))
    pages = len(data) // PAGE
    data[(pages - 2) * PAGE : (pages - 1) * PAGE] = b"\xff" * PAGE
    queue(hero).write_bytes(bytes(data))
    hero.customer_opens("github", "acme/widget#99", "New one", "hello")
    result = hero.run("sync")
    assert_store_fault(result, queue(hero), "damaged", "move it aside")
    assert "0 new" not in result.err
    assert "1 new" not in result.err


def test_a_full_disk_saves_nothing_of_the_command_and_says_so(hero: Hero) -> None:
    for n in range(100, 140):
        hero.customer_opens("github", f"acme/widget#{n}", "Later " * 20, "more " * 400)
    store = Store.open(queue(hero))
    pages = store.conn.execute("PRAGMA page_count").fetchone()[0]
    store.conn.execute(f"PRAGMA max_page_count = {pages}")  # the disk is full: no page more
    before = store.conn.execute("SELECT count(*) FROM items").fetchone()[0]
    result = run_with_store(hero, store, "sync")
    assert_store_fault(result, queue(hero), "is full", "free some space")
    after = Store.open(queue(hero))
    assert after.conn.execute("SELECT count(*) FROM items").fetchone()[0] == before
    after.close()
    store = Store.open(queue(hero))
    store.conn.execute(f"PRAGMA max_page_count = {pages}")
    result = run_with_store(hero, store, "note", "1", "n" * 90_000)
    assert_store_fault(result, queue(hero), "is full")


def test_a_read_only_queue_says_read_only_not_damaged(hero: Hero) -> None:
    path = queue(hero)
    checkpoint(path)
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
    conn.row_factory = sqlite3.Row
    result = run_with_store(hero, Store(conn, path), "note", "1", "a note")
    assert_store_fault(result, path, "read-only", "writable")
    assert "damaged" not in result.err


def test_a_queue_locked_beyond_the_timeout(hero: Hero) -> None:
    path = queue(hero)
    store = Store.open(path, busy_timeout_ms=50)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        result = run_with_store(hero, store, "note", "1", "a note")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert_store_fault(result, path, "locked", "wait")


def _tmpfs(where: Path, size: str) -> Iterator[Path]:
    """A tmpfs of ``size`` at ``where``, unmounted afterwards; skipped where mounting is not allowed."""
    where.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    yield from _tmpfs(tmp_path / "tiny", "256k")


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    yield from _tmpfs(tmp_path / "small", "4m")


def test_a_real_full_disk(tmp_path: Path, tiny_disk: Path) -> None:
    mount_point = tiny_disk
    hero = Hero(tmp_path, env={"HERO_DATA_DIR": str(mount_point / "hero")})
    hero.data = mount_point / "hero"
    for n in range(1, 200):
        hero.customer_opens("github", f"acme/widget#{n}", f"Issue {n}", "x" * 4000)
    result = hero.run("sync")
    assert_store_fault(result, mount_point / "hero" / "queue.db", "is full")


def test_a_real_read_only_directory(tmp_path: Path, small_disk: Path) -> None:
    mount_point = small_disk
    hero = Hero(tmp_path, env={"HERO_DATA_DIR": str(mount_point / "hero")})
    hero.data = mount_point / "hero"
    hero.customer_opens("github", "acme/widget#1", "Issue", "hi")
    assert hero.run("sync").code == 0
    checkpoint(hero.data / "queue.db")
    remount = subprocess.run(
        ["mount", "-o", "remount,ro", str(mount_point)], capture_output=True, check=False
    )
    assert remount.returncode == 0, remount.stderr
    for args in (("inbox",), ("note", "1", "x"), ("sync",)):
        result = hero.run(*args)
        assert_store_fault(result, hero.data / "queue.db", "read-only")
        assert "damaged" not in result.err
    (tmp_path / "other").mkdir()
    fresh = Hero(tmp_path / "other", env={"HERO_DATA_DIR": str(mount_point / "new")})
    fresh.data = mount_point / "new"
    assert_store_fault(fresh.run("inbox"), mount_point / "new", "Read-only file system")


def test_a_handoff_whose_file_cannot_be_written_records_nothing(hero: Hero) -> None:
    target = hero.root / "missing-dir" / "week.md"
    result = hero.run("handoff", "--to", "Ravi", "--output", str(target))
    assert result.code == ExitCode.ERROR, result
    assert "nothing was recorded" in result.err
    store = Store.open(queue(hero))
    events = store.conn.execute("SELECT count(*) FROM events WHERE kind = 'handed_off'").fetchone()
    assigned = store.conn.execute(
        "SELECT count(*) FROM items WHERE assignee IS NOT NULL"
    ).fetchone()
    store.close()
    assert (events[0], assigned[0]) == (0, 0)
    assert not target.exists()
    os.makedirs(target.parent)
    assert hero.run("handoff", "--to", "Ravi", "--output", str(target)).code == 0
    assert target.read_text(encoding="utf-8").startswith("#")

"""Two `hero` processes using one queue at once never fail with "database is locked"."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from herocli.store import Store
from tests.sample_config import sample_config

WRITER = textwrap.dedent(
    """
    import sys
    from datetime import UTC, datetime, timedelta

    from herocli.exchange import Conversation
    from herocli.models import Message, ItemState
    from herocli.store import Store, ingest, item_changes, log, queue

    path, name, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    t0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    sys.stdout.write("ready\\n")
    sys.stdout.flush()
    sys.stdin.readline()  # start together
    for n in range(count):
        store = Store.open(path)  # each round opens anew, as each hero command does
        at = t0 + timedelta(seconds=n)
        conv = Conversation(
            channel="github",
            external_id=f"{name}#{n}",
            title=f"{name} {n}",
            messages=(Message(f"{name}-{n}", "ann", "ann", at, "help"),),
        )
        with store.transaction() as db:
            item = ingest.ingest(db, conv, lambda m: False, at).item_id
        with store.transaction() as db:
            item_changes.set_state(db, item, ItemState.CLOSED, at, actor=name)
        queue.list_items(store.conn, queue.ItemFilter(states=(), waiting=None), at)
        store.close()
    print("done", count)
    """
)


def _spawn(
    args: list[str], env: dict[str, str] | None = None, stdin: int = subprocess.PIPE
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        args,
        stdin=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def test_two_writers_share_the_queue(tmp_path: Path) -> None:
    path = tmp_path / "queue.db"
    script = tmp_path / "writer.py"
    script.write_text(WRITER, encoding="utf-8")
    count = 150
    procs = [_spawn([sys.executable, str(script), str(path), name, str(count)]) for name in "ab"]
    for proc in procs:  # both have imported and are waiting
        assert proc.stdout is not None
        assert proc.stdout.readline() == "ready\n"
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    results = [proc.communicate(timeout=120) for proc in procs]
    for proc, (out, err) in zip(procs, results, strict=True):
        assert "locked" not in err
        assert proc.returncode == 0, err
        assert out.strip() == f"done {count}"
    store = Store.open(path)
    assert store.conn.execute("SELECT COUNT(*) FROM items").fetchone()[0] == 2 * count
    closed = store.conn.execute("SELECT COUNT(*) FROM items WHERE state = 'closed'").fetchone()[0]
    assert closed == 2 * count
    assert store.conn.execute("SELECT COUNT(*) FROM events").fetchone()[0] == 4 * count
    store.close()


def test_two_hero_commands_at_once(tmp_path: Path) -> None:
    """Real `python -m herocli` processes: notes and labels from two sides while listing."""
    config = tmp_path / "config.toml"
    config.write_text(sample_config(github=None), "utf-8")
    data = tmp_path / "data"
    store = Store.open(data / "queue.db")
    with store.transaction() as db:
        db.execute(
            "INSERT INTO items (channel, external_id, title, created_at, updated_at) "
            "VALUES ('slack', 'C1/1', 'Shared', '2026-11-23T09:00:00.000000Z', "
            "'2026-11-23T09:00:00.000000Z')"
        )
    store.close()
    env = {**os.environ, "HERO_CONFIG": str(config), "HERO_DATA_DIR": str(data)}
    rounds = 12
    loop = textwrap.dedent(
        f"""
        import sys
        from herocli.cli.main import run_cli
        side = sys.argv[1]
        for n in range({rounds}):
            for args in (["note", "1", f"{{side}} {{n}}"], ["inbox", "--all", "--json"],
                         ["label", "1", f"+{{side}}{{n}}", "--local"], ["show", "1", "--json"]):
                code = run_cli(args)
                if code != 0:
                    sys.exit(f"{{args}} exited {{code}}")
        """
    )
    procs = [
        _spawn([sys.executable, "-c", loop, side], env, subprocess.DEVNULL)
        for side in ("left", "right")
    ]
    results = [proc.communicate(timeout=120) for proc in procs]
    for proc, (_, err) in zip(procs, results, strict=True):
        assert "locked" not in err
        assert proc.returncode == 0, err
    store = Store.open(data / "queue.db")
    notes = store.conn.execute("SELECT COUNT(*) FROM notes").fetchone()[0]
    labels = {r[0] for r in store.conn.execute("SELECT name FROM labels")}
    store.close()
    assert notes == 2 * rounds
    # Each side's label changes read and write the label set in one transaction: none is lost.
    assert labels == {f"{side}{n}" for side in ("left", "right") for n in range(rounds)}

"""What `hero inbox`, `hero inbox --json`, `hero show` and `hero --help` cost, as whole processes.

Fills a queue with 100,000 items / 500,000 messages (direct SQL in the store's
shape: a fixture, not the ingest path). Each command is then run paired with a
floor: a minimal Typer app with the same number of commands and options, run by
the same interpreter and Typer in the same run, so the figure is what hero adds
on top of Python and Typer themselves. The CPU time (user + system) of each run
comes from wait4; the ratio is the median of the paired ratios. `inbox on a
terminal` runs both with stdout on a pseudo-terminal, read as a terminal reads it;
`show on a terminal` too, printed but not a target (Rich draws the thread view).

Each command is also paired with a "frozen" floor: the same app started as hero
starts (herocli.entry turns the cyclic collector off while modules load and
freezes what they made). hero's cut from that is the collector's work, not its
own code's; the ratio to the frozen floor is what hero's own code adds. It is
printed, not a target.

    python benchmarks/inbox_speed.py [--items 100000] [--runs 15] [--keep DIR]

Targets: each command's CPU time at most 1.3x its floor; peak RSS at most 60 MB.
Also checks what `hero inbox` and `hero show` import: no channel library, and
none of the write-path, report or config-command modules.
Exits 1 if a target is missed or a module that should stay unloaded is imported.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.sample_config import sample_config, team
from tests.test_startup import NOT_FOR_READING

from herocli.store import Store
from herocli.store.timefmt import to_db

MESSAGES_PER_ITEM = 5
NOW = datetime.now(UTC).replace(microsecond=0)
TEAM = ["hana", "ravi", "mei"]
CONFIG = sample_config(
    hero={"me": "Hana"},
    team=team(*({"name": name.title(), "github": name} for name in TEAM)),
    slack=None,
    rota=None,
)
TARGETS = {"ratio": 1.3, "rss_mb": 60.0}


def fill_once(queue: Path, items: int) -> None:
    """Fill ``queue`` with ``items`` items unless it exists (a kept one), saying how long it took."""
    if queue.exists():
        return
    start = time.perf_counter()
    fill(queue, items)
    print(
        f"filled {items:,} items / {items * MESSAGES_PER_ITEM:,} messages "
        f"in {time.perf_counter() - start:.1f} s ({queue.stat().st_size / 1e6:.0f} MB)"
    )


def fill(path: Path, items: int, seed: int = 7) -> None:
    """Write ``items`` items with five messages each, then derive the summary columns in SQL."""
    rng = random.Random(seed)
    store = Store.open(path)
    db = store.conn
    channels = ["github", "email", "slack"]
    item_rows = []
    message_rows = []
    label_rows = []
    message_id = 0
    for n in range(1, items + 1):
        channel = channels[n % 3]
        start = NOW - timedelta(minutes=rng.randint(30, 60 * 24 * 365))
        roll = rng.random()
        state, snoozed_until, closed_at = "open", None, None
        if roll < 0.70:
            state, closed_at = "closed", to_db(start + timedelta(days=2))
        elif roll < 0.80:
            state, snoozed_until = "snoozed", to_db(NOW + timedelta(days=rng.randint(-3, 10)))
        assignee = rng.choice([None, None, "Hana", "Ravi", "Mei"])
        item_rows.append(
            (
                n,
                channel,
                f"{channel}-thread-{n}",
                f"Customer question number {n}: something does not work as expected",
                f"https://example.test/{channel}/{n}",
                state,
                snoozed_until,
                None,
                assignee,
                _meta(channel, n, closed_at is not None),
                to_db(start),
                to_db(NOW),
                closed_at,
            )
        )
        team_last = rng.random() < 0.5
        for k in range(MESSAGES_PER_ITEM):
            message_id += 1
            from_team = k % 2 == 1 or (k == MESSAGES_PER_ITEM - 1 and team_last)
            author = rng.choice(TEAM) if from_team else f"customer{n % 5000}"
            message_rows.append(
                (
                    message_id,
                    n,
                    f"m{message_id}",
                    author,
                    author.title(),
                    int(from_team),
                    to_db(start + timedelta(minutes=7 * k)),
                    f"Message {k} of item {n}. " + "Lorem ipsum dolor sit amet. " * 8,
                )
            )
        if n % 4 == 0:
            label_rows.append((n, rng.choice(["bug", "question", "billing", "p1"])))
        if len(message_rows) >= 50_000:
            _insert(db, item_rows, message_rows, label_rows)
            item_rows, message_rows, label_rows = [], [], []
    _insert(db, item_rows, message_rows, label_rows)
    _refresh(db)
    db.execute("ANALYZE")
    store.close()


def _meta(channel: str, n: int, closed: bool) -> str:
    """An item's meta as its channel stores it (channels/*/convert.py), as JSON text."""
    import json

    if channel == "github":
        why = "completed" if closed else None
        return json.dumps({"repo": "acme/widget", "number": n, "issue_id": 10**9 + n, "why": why})
    if channel == "slack":
        ts = f"{1_700_000_000 + n}.000100"
        return json.dumps({"channel": "C0SUPPORT", "ts": ts, "provisional": n % 7 == 0})
    return json.dumps({"folder": "INBOX", "message_id": f"<q{n}@customer.example>"})


def _insert(db: object, items: list[tuple], messages: list[tuple], labels: list[tuple]) -> None:
    conn = db  # sqlite3.Connection; typed loosely to keep this script light
    conn.execute("BEGIN")  # type: ignore[attr-defined]
    conn.executemany(  # type: ignore[attr-defined]
        "INSERT INTO items (id, channel, external_id, title, url, state, snoozed_until, "
        "remote_state, assignee, meta, created_at, updated_at, closed_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        items,
    )
    conn.executemany(  # type: ignore[attr-defined]
        "INSERT INTO messages (id, item_id, external_id, author_id, author_name, from_team, "
        "sent_at, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        messages,
    )
    conn.executemany("INSERT INTO labels (item_id, name) VALUES (?, ?)", labels)  # type: ignore[attr-defined]
    conn.execute("COMMIT")  # type: ignore[attr-defined]


def _refresh(db: object) -> None:
    """The same derived columns item_changes.refresh_summary keeps, computed for every item at once."""
    conn = db
    conn.execute("BEGIN")  # type: ignore[attr-defined]
    conn.execute(  # type: ignore[attr-defined]
        """
        UPDATE items SET
            message_count = s.n, first_message_at = s.first, last_message_at = s.last
        FROM (SELECT item_id, COUNT(*) AS n, MIN(sent_at) AS first, MAX(sent_at) AS last
              FROM messages WHERE deleted = 0 GROUP BY item_id) AS s
        WHERE s.item_id = items.id
        """
    )
    conn.execute(  # type: ignore[attr-defined]
        """
        UPDATE items SET last_author = m.author_name, last_from_team = m.from_team
        FROM messages m
        WHERE m.id = (SELECT id FROM messages x WHERE x.item_id = items.id AND x.deleted = 0
                      ORDER BY x.sent_at DESC, x.id DESC LIMIT 1)
        """
    )
    conn.execute(  # type: ignore[attr-defined]
        """
        UPDATE items SET waiting_since = (
            SELECT MIN(m.sent_at) FROM messages m
            WHERE m.item_id = items.id AND m.deleted = 0 AND m.from_team = 0
              AND m.sent_at > COALESCE((SELECT MAX(t.sent_at) FROM messages t
                                        WHERE t.item_id = items.id AND t.deleted = 0
                                          AND t.from_team = 1), ''))
        WHERE last_from_team = 0
        """
    )
    conn.execute("COMMIT")  # type: ignore[attr-defined]


def hero_command() -> list[str]:
    """The installed `hero` script beside this interpreter (no shell shims), else -m."""
    script = Path(sys.executable).parent / "hero"
    return [str(script)] if script.exists() else [sys.executable, "-m", "herocli"]


# Runs one command and prints "status user_s system_s maxrss_kb" of it alone. It is a
# small process of its own because a child's peak RSS includes the memory of the
# process it was forked from, and this one holds the filled queue's imports. With
# "tty" first, the command's stdout is a pseudo-terminal this process reads dry, as a
# terminal emulator would: what a hero at a terminal runs.
SPAWN = """
import os, sys
null = os.open(os.devnull, os.O_RDWR)
tty = sys.argv[1] == "tty"
out = null
if tty:
    main, out = os.openpty()
actions = [(os.POSIX_SPAWN_DUP2, null, 0), (os.POSIX_SPAWN_DUP2, out, 1),
           (os.POSIX_SPAWN_DUP2, null, 2)]
pid = os.posix_spawn(sys.argv[2], sys.argv[2:], os.environ, file_actions=actions)
if tty:
    os.close(out)
    while True:
        try:
            if not os.read(main, 65536):
                break
        except OSError:  # EIO: the command closed its side
            break
_, status, usage = os.wait4(pid, 0)
print(os.waitstatus_to_exitcode(status), usage.ru_utime, usage.ru_stime, usage.ru_maxrss)
"""


def run_once(args: list[str], env: dict[str, str], tty: bool = False) -> tuple[float, float]:
    """CPU seconds (user + system) and peak RSS (MB) of one run of ``args`` (stdout a tty?)."""
    proc = subprocess.run(
        [sys.executable, "-S", "-c", SPAWN, "tty" if tty else "pipe", *args],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        stdin=subprocess.DEVNULL,
    )
    code, user, system, rss = proc.stdout.split()
    if code != "0":
        raise SystemExit(f"{' '.join(args)} exited {code}")
    return float(user) + float(system), int(rss) / 1024


def floor_script(path: Path, commands: int, options: int, frozen: bool = False) -> list[str]:
    """A minimal Typer app with ``commands`` commands of ``options`` options each, and its argv.

    ``frozen``: it starts as hero does (herocli.entry), the collector off while Typer
    loads and what it made frozen: the floor hero's own code is measured against.
    """
    params = ", ".join(
        f"o{k}: Annotated[str, typer.Option(help='option {k}')] = ''" for k in range(options)
    )
    start = ["import gc", "gc.disable()"] if frozen else []
    lines = [
        *start,
        "from typing import Annotated",
        "import typer",
        *(["gc.freeze()", "gc.enable()"] if frozen else []),
        "app = typer.Typer(add_completion=False, rich_markup_mode=None)",
        "@app.callback()",
        "def main(config: Annotated[str, typer.Option(help='config')] = '') -> None:",
        "    pass",
    ]
    for c in range(commands):
        lines += [
            f"@app.command('c{c}')",
            f"def c{c}({params}) -> None:",
            "    print('hello')",
        ]
    lines.append("app()")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return [sys.executable, str(path)]


def option_counts() -> dict[str, int]:
    """How many options each hero command has (help included), read from the app itself."""
    from typer.main import get_command

    from herocli.cli.main import full_app

    group = get_command(full_app())
    return {
        name: sum(1 for p in command.params if p.param_type_name == "option")
        for name, command in group.commands.items()  # type: ignore[attr-defined]
    }


def unloaded_imports(command: list[str], env: dict[str, str]) -> list[str]:
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "herocli", *command],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    found = set()
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:"):
            continue
        module = line.rsplit("|", 1)[-1].strip()
        found.update(m for m in NOT_FOR_READING if module == m or module.startswith(m + "."))
    return sorted(found)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--keep", type=Path, help="build the queue here and keep it")
    args = parser.parse_args()

    root = args.keep or Path(tempfile.mkdtemp(prefix="hero-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    config = root / "config.toml"
    config.write_text(CONFIG, encoding="utf-8")
    data = root / "data"
    queue = data / "queue.db"
    env = {
        **os.environ,
        "HERO_CONFIG": str(config),
        "HERO_DATA_DIR": str(data),
        "COLUMNS": "120",
    }
    for name in ("FORCE_COLOR", "NO_COLOR", "TTY_COMPATIBLE"):
        env.pop(name, None)
    # Measure hero as it runs once installed: from cached bytecode, as Typer and Rich
    # already are (pip compiles them at install), not compiled afresh every run.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    import compileall

    compileall.compile_dir(Path(__file__).resolve().parent.parent / "src", quiet=1)
    try:
        fill_once(queue, args.items)
        import typer

        hero = hero_command()
        print(
            f"hero: {' '.join(hero)}; Python {sys.version.split()[0]}, Typer {typer.__version__}; "
            f"{args.runs} paired runs"
        )
        waiting = subprocess.run(
            [*hero, "inbox", "--json", "--limit", "1"], env=env, capture_output=True, check=True
        )
        import json

        first = json.loads(waiting.stdout)[0]["number"]
        counts = option_counts()
        # name: (hero's argv, the floor's commands and options, whether stdout is a tty)
        cases: dict[str, tuple[list[str], int, int, bool]] = {
            "--help": (["--help"], len(counts), 1, False),
            "inbox": (["inbox"], 1, counts["inbox"], False),
            "inbox on a terminal": (["inbox"], 1, counts["inbox"], True),
            "inbox --json": (["inbox", "--json"], 1, counts["inbox"], False),
            f"show {first}": (["show", str(first)], 1, counts["show"], False),
            f"show {first} on a terminal": (["show", str(first)], 1, counts["show"], True),
        }
        # Printed, not targets: the thread view on a terminal is drawn by Rich (panels and
        # wrapped bodies), whose import alone is most of what it adds.
        untargeted = {f"show {first} on a terminal"}
        print(
            f"{'command':22} {'hero cpu s':>10} {'floor cpu s':>11} {'ratio':>6} "
            f"{'hero MB':>8} {'floor MB':>8} {'frozen floor s':>14} {'ratio':>6}"
        )
        failed = False
        argvs = {}
        for name, (command, n_commands, n_options, tty) in cases.items():
            floors = []
            for frozen in (False, True):
                path = root / f"floor_{n_commands}_{n_options}{'_frozen' if frozen else ''}.py"
                floor = floor_script(path, n_commands, n_options, frozen=frozen)
                floors.append([*floor, "--help"] if command == ["--help"] else [*floor, "c0"])
            argvs[name] = ([*hero, *command], *floors, tty)
        # Per case, per run: (cpu s, MB) of hero, of the floor, of the frozen floor.
        measured: dict[str, list[list[tuple[float, float]]]] = {name: [] for name in cases}
        # Round-robin over the commands, one triple each per round, so a stretch of load on
        # the shared machine falls on every command's runs alike, not on one command.
        for run in range(args.runs):
            for name, (*commands, tty) in argvs.items():
                # Rotate which goes first, so none always finds the caches warm.
                turn = run % 3
                order = [*range(3)][turn:] + [*range(3)][:turn]
                got: dict[int, tuple[float, float]] = {}
                for k in order:
                    got[k] = run_once(commands[k], env, tty=tty)
                measured[name].append([got[0], got[1], got[2]])
        for name, runs in measured.items():
            ratio = statistics.median(h[0] / max(f[0], 1e-3) for h, f, _ in runs)
            own = statistics.median(h[0] / max(z[0], 1e-3) for h, _, z in runs)
            rss = max(h[1] for h, _, _ in runs)
            floor_rss = max(f[1] for _, f, _ in runs)
            mark = "  (not a target)" if name in untargeted else ""
            if ratio > TARGETS["ratio"] and name not in untargeted:
                mark += f"  MISSED (target {TARGETS['ratio']}x)"
                failed = True
            if rss > TARGETS["rss_mb"]:
                mark += f"  RSS over {TARGETS['rss_mb']:.0f} MB"
                failed = True
            print(
                f"{name:22} {statistics.median(h[0] for h, _, _ in runs):10.3f} "
                f"{statistics.median(f[0] for _, f, _ in runs):11.3f} {ratio:6.3f} {rss:8.1f} "
                f"{floor_rss:8.1f} {statistics.median(z[0] for _, _, z in runs):14.3f} "
                f"{own:6.3f}{mark}"
            )
        print(
            "ratio: against the minimal Typer app (the target). frozen floor: the same app "
            "started as hero starts (herocli.entry: collector off while Typer loads, then "
            "gc.freeze), so its ratio is what hero's own code adds."
        )
        for command in (["inbox"], ["show", str(first)]):
            loaded = unloaded_imports(command, env)
            status = "none" if not loaded else ", ".join(loaded) + "  MISSED"
            failed = failed or bool(loaded)
            print(f"modules `hero {' '.join(command)}` should not load: {status}")
        return 1 if failed else 0
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

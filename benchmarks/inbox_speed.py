"""How fast `hero inbox` answers on a big queue, as whole processes.

Fills a queue with 100,000 items / 500,000 messages (direct SQL in the store's
shape: a fixture, not the ingest path), then times `hero inbox`,
`hero inbox --json`, `hero show`, and `hero --help` (median of several runs),
reports each command's peak RSS, and checks that `inbox` and `show` import no
channel library (github, imapclient, httpx).

    python benchmarks/inbox_speed.py [--items 100000] [--runs 7] [--keep DIR]

Targets: inbox under 0.5 s, --help under 0.25 s, peak RSS under 120 MB.
Exits 1 if a target is missed or a heavy library is imported.
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
TARGETS = {"inbox": 0.5, "help": 0.25, "rss_mb": 120.0}
HEAVY = ("github", "imapclient", "httpx")


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
                "{}",
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
    """The same derived columns queue.refresh_summary keeps, computed for every item at once."""
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


def measure(args: list[str], env: dict[str, str], runs: int) -> tuple[float, int]:
    """Median wall time (s) over the runs, and the output size of the last run."""
    times = []
    size = 0
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.Popen(
            args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL
        )
        out, err = proc.communicate()
        elapsed = time.perf_counter() - start
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(args)} failed ({proc.returncode}):\n{err.decode()}")
        times.append(elapsed)
        size = len(out)
    return statistics.median(times), size


def rss_of(args: list[str], env: dict[str, str]) -> float:
    """Peak RSS (MB) of one run of ``args`` alone.

    Measured through /usr/bin/time: a child forked from this (large) process
    would otherwise report this process's memory as its own high-water mark.
    """
    timer = shutil.which("time", path="/usr/bin:/bin")
    if timer:
        proc = subprocess.run(
            [timer, "-f", "%M", *args],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            check=False,
        )
        return int(proc.stderr.strip().splitlines()[-1]) / 1024
    proc = subprocess.Popen(
        args,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )
    _, _, usage = os.wait4(proc.pid, 0)  # an upper bound: includes this process at fork time
    proc.returncode = 0
    return usage.ru_maxrss / 1024


def heavy_imports(command: list[str], env: dict[str, str]) -> list[str]:
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
        if module.split(".")[0] in HEAVY:
            found.add(module.split(".")[0])
    return sorted(found)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7)
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
    env.pop("FORCE_COLOR", None)
    try:
        if not queue.exists():
            start = time.perf_counter()
            fill(queue, args.items)
            print(
                f"filled {args.items:,} items / {args.items * MESSAGES_PER_ITEM:,} messages "
                f"in {time.perf_counter() - start:.1f} s ({queue.stat().st_size / 1e6:.0f} MB)"
            )
        hero = hero_command()
        print(f"hero: {' '.join(hero)}; median of {args.runs} runs")
        waiting = subprocess.run(
            [*hero, "inbox", "--json", "--limit", "1"], env=env, capture_output=True, check=True
        )
        import json

        first = json.loads(waiting.stdout)[0]["number"]
        cases = {
            "help": ["--help"],
            "inbox": ["inbox"],
            "inbox (table)": ["inbox"],
            "inbox --json": ["inbox", "--json"],
            "inbox --all --limit 0 --json": ["inbox", "--all", "--limit", "0", "--json"],
            "inbox --all --search": ["inbox", "--all", "--search", "item 99999."],
            f"show {first}": ["show", str(first)],
        }
        failed = False
        rows = []
        for name, command in cases.items():
            case_env = dict(env)
            if name == "inbox (table)":
                case_env["FORCE_COLOR"] = "1"  # Rich renders the terminal table
            # Listing every item is a stress case, not a target: one run is enough.
            runs = 1 if "--limit 0" in command else args.runs
            median, size = measure([*hero, *command], case_env, runs)
            rss = rss_of([*hero, *command], case_env)
            rows.append((name, median, rss, size))
        print(f"{'command':34} {'median s':>9} {'peak MB':>8} {'out bytes':>10}")
        for name, median, rss, size in rows:
            target = TARGETS["help"] if name == "help" else TARGETS["inbox"]
            mark = ""
            if name in ("help", "inbox", "inbox (table)", "inbox --json") and median > target:
                mark = f"  MISSED (target {target} s)"
                failed = True
            if rss > TARGETS["rss_mb"] and "--limit 0" not in name:
                mark += f"  RSS over {TARGETS['rss_mb']:.0f} MB"
                failed = True
            print(f"{name:34} {median:9.3f} {rss:8.1f} {size:10,}{mark}")
        for command in (["inbox"], ["show", str(first)]):
            heavy = heavy_imports(command, env)
            status = "none" if not heavy else ", ".join(heavy) + "  MISSED"
            failed = failed or bool(heavy)
            print(f"heavy imports in `hero {' '.join(command)}`: {status}")
        return 1 if failed else 0
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

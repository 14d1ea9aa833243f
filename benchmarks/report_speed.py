"""Time `hero stats` and `hero handoff --dry-run` over a year of history, as whole processes.

A year ending now: 11,000 items and 60,000 messages across github, email and
slack, filed through the real ingest (so the event log is what a year of syncs
leaves), most items closed, a few hundred still open. Target: each command
under 1 s (median of the runs).

    python benchmarks/report_speed.py [--runs 5] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.sample_config import rota, sample_config

from herocli.exchange import Conversation
from herocli.models import ItemState, Message
from herocli.store import Store, ingest, item_changes

ITEMS = 11_000
MESSAGES = 60_000
CHANNELS = ("github", "email", "slack")
TEAM = {"github": ("hana", "ravi"), "email": ("hana@acme.dev",), "slack": ("U0HANA", "U0RAVI")}

CONFIG = sample_config(github=None, slack=None, rota=rota(date(2025, 1, 6)))


def fill(path: Path, now: datetime) -> None:
    rng = random.Random(6)
    store = Store.open(path)
    team_ids = {i for ids in TEAM.values() for i in ids}
    start = now - timedelta(days=365)
    per_item = MESSAGES // ITEMS
    extra = MESSAGES - per_item * ITEMS
    with store.transaction() as db:
        for n in range(ITEMS):
            channel = CHANNELS[n % 3]
            opened = start + timedelta(seconds=rng.uniform(0, 365 * 86400 - 3600))
            count = per_item + (1 if n < extra else 0)
            messages = []
            at = opened
            for k in range(count):
                if k % 2 == 0:
                    author = f"customer{n}@example.org" if channel == "email" else f"cust{n}"
                else:
                    author = rng.choice(TEAM[channel])
                messages.append(
                    Message(
                        external_id=f"{n}/{k}",
                        author_id=author,
                        author_name=author,
                        sent_at=min(at, now),
                        body=f"Message {k} of item {n}: " + "lorem ipsum " * rng.randint(2, 30),
                    )
                )
                at += timedelta(minutes=rng.expovariate(1 / 90))
            conv = Conversation(
                channel=channel,
                external_id=str(n),
                title=f"Question {n} about feature {rng.randint(1, 400)}",
                messages=tuple(messages),
                labels=(rng.choice(("bug", "billing", "question", "docs")),),
            )
            result = ingest.ingest(db, conv, lambda m: m.author_id in team_ids, now)
            assert result.item_id is not None
            age = now - opened
            if age > timedelta(days=3) and rng.random() < 0.985:
                item_changes.set_state(
                    db, result.item_id, ItemState.CLOSED, min(at, now), actor="Hana"
                )
    count = store.conn.execute("SELECT COUNT(*) FROM messages").fetchone()[0]
    items = store.conn.execute("SELECT COUNT(*) FROM items").fetchone()[0]
    open_items = store.conn.execute(
        "SELECT COUNT(*) FROM items WHERE state != 'closed'"
    ).fetchone()[0]
    store.close()
    print(f"queue: {items} items, {count} messages, {open_items} not closed")


def time_command(args: list[str], env: dict[str, str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "herocli", *args], env=env, capture_output=True, check=False
        )
        times.append(time.perf_counter() - began)
        if done.returncode != 0:
            raise SystemExit(f"hero {' '.join(args)} failed:\n{done.stderr.decode()}")
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", type=Path, default=None, help="Build the queue in this dir.")
    options = parser.parse_args()
    root = options.keep or Path(tempfile.mkdtemp(prefix="hero-report-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    (root / "config.toml").write_text(CONFIG, encoding="utf-8")
    db = root / "data" / "queue.db"
    if not db.exists():
        began = time.perf_counter()
        fill(db, datetime.now(UTC))
        print(f"filled in {time.perf_counter() - began:.1f} s")
    env = {**os.environ, "HERO_CONFIG": str(root / "config.toml"), "HERO_DATA_DIR": str(db.parent)}
    env["COLUMNS"] = "120"
    results = {}
    for args in (
        ["stats"],
        ["stats", "--json"],
        ["handoff", "--dry-run"],
        ["handoff", "--dry-run", "--json"],
        ["stats", "--since", (datetime.now(UTC) - timedelta(days=364)).date().isoformat()],
    ):
        times = time_command(args, env, options.runs)
        results[" ".join(args)] = times
        print(
            f"hero {' '.join(args):<40} median {statistics.median(times):.3f} s  "
            f"min {min(times):.3f} s  max {max(times):.3f} s"
        )
    worst = max(statistics.median(results[k]) for k in ("stats", "handoff --dry-run"))
    print(f"target < 1 s: {'met' if worst < 1 else 'MISSED'} (worst median {worst:.3f} s)")


if __name__ == "__main__":
    main()

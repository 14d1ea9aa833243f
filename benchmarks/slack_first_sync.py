"""Slack first sync under Slack's rate-limit tiers, on a simulated clock.

Three channels, 20,000 top-level messages spread over a year, 5,000 of them
threads, on the local simulator over real HTTP into a real queue file. The
simulator enforces each method's documented tier (HTTP 429 past it) on the same
injected clock the sync sleeps on, so the times printed are what a real
workspace would take. Targets (issue 14):

- every top-level message of the last 30 days is an item within 1 simulated minute;
- every thread in that window read within 10 % of the rate limit's minimum
  (Tier 3, 50 ``conversations.replies`` a minute, after a burst of 50);
- no request for anything older than the window.

Exits non-zero when a target is missed.

Run: python benchmarks/slack_first_sync.py
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from herocli.exchange import SilentProgress
from herocli.services.sync import sync_channel
from herocli.simulators.slack import SlackSimulator
from herocli.store import Store

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.slack_workspace import (  # noqa: E402
    CHANNELS,
    TEAM,
    THREADS,
    TOP_LEVEL,
    post_questions,
    simulator,
    slack_channel,
)
from tests.clock import FakeClock  # noqa: E402

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
WINDOW_DAYS = 30
REPLIES_PER_MINUTE = 50  # Tier 3, as Slack documents it for conversations.replies


def build(clock: FakeClock) -> tuple[SlackSimulator, set[str], set[str]]:
    """The workspace; the top-level messages and the threads of the last 30 days."""
    sim = simulator(clock=lambda: clock.now().timestamp())
    start = (NOW - timedelta(days=365)).timestamp()
    questions = post_questions(sim, 14, start, 365 * 86400 / TOP_LEVEL)
    horizon = (NOW - timedelta(days=WINDOW_DAYS)).timestamp()
    recent = {q.key for q in questions if q.at >= horizon}
    recent_threads = {q.key for q in questions if q.at >= horizon and q.helper}
    return sim, recent, recent_threads


def main() -> None:
    began = time.perf_counter()
    clock = FakeClock(NOW)  # the simulator and the sync share it: tiers are on simulated time
    sim, recent, recent_threads = build(clock)
    built = time.perf_counter() - began
    sim.enforce_tiers()
    horizon = (NOW - timedelta(days=WINDOW_DAYS)).timestamp()
    with sim, tempfile.TemporaryDirectory() as tmp:
        store = Store.open(Path(tmp) / "queue.db")
        channel = slack_channel(sim, clock, history_days=WINDOW_DAYS)
        t0 = time.perf_counter()
        result = sync_channel(store, channel, TEAM, clock, SilentProgress())
        wall = time.perf_counter() - t0
        channel.shutdown()
        assert result.error is None, result.error
        items = {
            row[0]
            for row in store.conn.execute("SELECT external_id FROM items WHERE channel = 'slack'")
        }
        provisional = store.conn.execute(
            "SELECT COUNT(*) FROM items WHERE json_extract(meta, '$.provisional')"
        ).fetchone()[0]
        store.close()

    log = sim.requests
    start = NOW.timestamp()
    counts = Counter(r.method for r in log)
    throttled = sum(1 for r in log if r.status == 429)
    replies = [r for r in log if r.method == "conversations.replies" and r.status == 200]
    # Pages are committed before the fetch asks for more, and the threads are read only
    # after every channel's history: the first replies call is when every item exists.
    items_at = (replies[0].at if replies else log[-1].at) - start
    threads_at = (replies[-1].at if replies else log[-1].at) - start
    n = len(recent_threads)
    floor = max(0, n - REPLIES_PER_MINUTE) * 60 / REPLIES_PER_MINUTE
    older = [
        r
        for r in log
        if (r.method == "conversations.history" and float(r.params.get("oldest", 0)) < horizon)
        or (r.method == "conversations.replies" and float(r.params["ts"]) < horizon)
    ]
    order = [float(r.params["ts"]) for r in replies]

    print(
        f"workspace: {len(CHANNELS)} channels, {TOP_LEVEL} top-level messages over a year, "
        f"{THREADS} threads (built in {built:.1f}s); tiers enforced on the simulated clock"
    )
    print(f"window: last {WINDOW_DAYS} days: {len(recent)} top-level messages, {n} threads")
    print(
        f"requests: {sum(counts.values())} ("
        + ", ".join(f"{m} {c}" for m, c in sorted(counts.items()))
        + f"); answered 429: {throttled}"
    )
    print(
        f"every top-level message of the window an item after {items_at:.1f} simulated s (target <= 60)"
    )
    print(
        f"every thread of the window read after {threads_at / 60:.2f} simulated min; the rate "
        f"limit's minimum is {floor / 60:.2f} min ({n} replies calls at {REPLIES_PER_MINUTE}/min "
        f"after a burst of {REPLIES_PER_MINUTE}; {n * 60 / REPLIES_PER_MINUTE / 60:.2f} min without it)"
    )
    print(f"requests for anything older than the window: {len(older)}")
    print(
        f"items: {len(items)}; still provisional after the sync: {provisional}; wall time {wall:.1f}s"
    )
    missed = [
        label
        for label, ok in (
            ("items in a minute", items_at <= 60),
            ("all items", items == recent and len(items) == len(recent)),
            ("threads near the minimum", threads_at <= floor * 1.10 + 1),
            (
                "threads all read",
                {r.params["ts"] for r in replies} == {t.split(":")[1] for t in recent_threads},
            ),
            ("newest first", order == sorted(order, reverse=True)),
            ("nothing older", not older),
            ("no provisional left", provisional == 0),
        )
        if not ok
    ]
    if missed:
        raise SystemExit(f"target missed: {', '.join(missed)}")


if __name__ == "__main__":
    main()

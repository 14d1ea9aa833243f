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

import random
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from herocli.channels.slack import SlackChannel
from herocli.config import TeamSettings
from herocli.config_slack import SlackSettings
from herocli.models import SilentProgress, TeamMember
from herocli.secrets import EnvSecrets
from herocli.services.sync import sync_channel
from herocli.simulators.slack import SlackSimulator, format_ts
from herocli.store import Store

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.clock import FakeClock  # noqa: E402

CHANNELS = ("C0BENCH1", "C0BENCH2", "C0BENCH3")
TOP_LEVEL = 20_000
THREADS = 5_000
CUSTOMERS = 300
TEAM_IDS = ("U0HANA", "U0RAVI")
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
WINDOW_DAYS = 30
REPLIES_PER_MINUTE = 50  # Tier 3, as Slack documents it for conversations.replies


def build(clock: FakeClock) -> tuple[SlackSimulator, set[str], set[str]]:
    """The workspace; the top-level messages and the threads of the last 30 days."""
    rng = random.Random(14)
    seed = {
        "bot": {"user_id": "U0HEROBOT"},
        "tokens": {"xoxb-bench": "U0HEROBOT"},
        "users": [
            {"id": uid, "name": uid.lower(), "real_name": uid, "profile": {"display_name": uid}}
            for uid in [*TEAM_IDS, *(f"U0C{n:04d}" for n in range(CUSTOMERS))]
        ],
        "channels": [{"id": c, "name": c.lower(), "is_member": True} for c in CHANNELS],
    }
    sim = SlackSimulator(seed, clock=lambda: clock.now().timestamp())
    start = (NOW - timedelta(days=365)).timestamp()
    step = 365 * 86400 / TOP_LEVEL
    horizon = (NOW - timedelta(days=WINDOW_DAYS)).timestamp()
    recent: set[str] = set()
    recent_threads: set[str] = set()
    thread_slots = set(rng.sample(range(TOP_LEVEL), THREADS))
    for n in range(TOP_LEVEL):
        channel = CHANNELS[n % len(CHANNELS)]
        at = start + n * step
        ts = format_ts(at)
        author = f"U0C{rng.randrange(CUSTOMERS):04d}"
        sim.post(channel, author, f"Question {n}: something happened", ts=ts)
        if at >= horizon:
            recent.add(f"{channel}:{ts}")
        if n in thread_slots:
            if at >= horizon:
                recent_threads.add(f"{channel}:{ts}")
            helper = TEAM_IDS[n % 2]
            sim.post(
                channel, helper, "Could you share the logs?", thread_ts=ts, ts=format_ts(at + 60)
            )
            sim.post(channel, author, "Here they are.", thread_ts=ts, ts=format_ts(at + 120))
    return sim, recent, recent_threads


def main() -> None:
    began = time.perf_counter()
    clock = FakeClock(NOW)  # the simulator and the sync share it: tiers are on simulated time
    sim, recent, recent_threads = build(clock)
    built = time.perf_counter() - began
    sim.enforce_tiers()
    team = TeamSettings(
        members=(TeamMember("Hana", slack="U0HANA"), TeamMember("Ravi", slack="U0RAVI"))
    )
    horizon = (NOW - timedelta(days=WINDOW_DAYS)).timestamp()
    with sim, tempfile.TemporaryDirectory() as tmp:
        settings = SlackSettings(
            api_url=sim.url, channels=CHANNELS, max_rate_limit_wait=3600, history_days=WINDOW_DAYS
        )
        store = Store.open(Path(tmp) / "queue.db")
        channel = SlackChannel(
            settings, EnvSecrets({"SLACK_TOKEN": "xoxb-bench"}), clock, frozenset(TEAM_IDS)
        )
        t0 = time.perf_counter()
        result = sync_channel(store, channel, team, clock, SilentProgress())
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

"""Slack sync cost: requests for a first sync and for a re-sync after one new reply.

Three channels, 20,000 top-level messages, 5,000 threads, on the local
simulator over real HTTP into a real queue file. Targets (issue 5):

- first sync (of all the history: history_days covers it): history pages at
  limit=999 + one replies call per thread with replies + users.list pages for the
  302 people (one page) + one conversations.info per channel (is it shared?);
- re-sync after one new reply in an old open thread: the history pages that
  cover the open threads' time window + exactly one replies call.

Also measured: a customer's reply in a thread closed two days earlier (inside
the reopen window), which costs one replies call and reopens the item.
Exits non-zero when a target is missed.

Run: python benchmarks/slack_sync.py
"""

from __future__ import annotations

import math
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from herocli.channels.slack.sync import HISTORY_LIMIT
from herocli.exchange import SilentProgress
from herocli.services.sync import SyncResult, sync_channel
from herocli.simulators.slack import SlackSimulator, format_ts
from herocli.store import Store

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.slack_workspace import (  # noqa: E402
    CHANNELS,
    TEAM,
    TOP_LEVEL,
    post_questions,
    simulator,
    slack_channel,
)
from tests.clock import FakeClock  # noqa: E402

RECENT_OPEN = 300  # per channel, the newest messages stay open after the team closes the rest
OLD_OPEN_INDEX = 5_000  # in the first channel: an old thread nobody closed
LIMIT = HISTORY_LIMIT  # the largest page Slack accepts (999); it was 200
BEFORE_LIMIT = 200


def build() -> tuple[SlackSimulator, dict[str, list[str]], set[str], set[str]]:
    sim = simulator()
    start = datetime(2026, 1, 1, tzinfo=UTC).timestamp()
    questions = post_questions(sim, 5, start, 600)
    tops = {c: [q.ts for q in questions if q.channel == c] for c in CHANNELS}
    threaded = {q.key for q in questions if q.helper}
    authors = {q.author for q in questions} | {q.helper for q in questions if q.helper}
    return sim, tops, threaded, authors


def main() -> None:
    began = time.perf_counter()
    sim, tops, threaded, authors = build()
    built = time.perf_counter() - began
    clock = FakeClock(datetime(2026, 6, 1, tzinfo=UTC))
    with sim, tempfile.TemporaryDirectory() as tmp:
        store = Store.open(Path(tmp) / "queue.db")

        def run() -> tuple[Counter[str], float, float, SyncResult]:
            sim.clear_requests()
            channel = slack_channel(sim, clock, history_days=365)
            slept = len(clock.sleeps)
            t0 = time.perf_counter()
            result = sync_channel(store, channel, TEAM, clock, SilentProgress())
            elapsed = time.perf_counter() - t0
            channel.shutdown()
            assert result.error is None, result.error
            counts = Counter(r.method for r in sim.requests)
            return counts, elapsed, sum(clock.sleeps[slept:]), result

        first, first_wall, first_paced, _ = run()
        pages_target = sum(math.ceil(len(t) / LIMIT) for t in tops.values())
        users_pages = math.ceil((len(authors) + 1) / 999)
        first_target = pages_target + len(threaded) + users_pages + len(CHANNELS)

        # The team closes everything but the newest messages of each channel
        # (and forgets one old thread), then a sync notices the closes.
        old_open = tops[CHANNELS[0]][OLD_OPEN_INDEX // len(CHANNELS)]
        for channel_id, stamps in tops.items():
            for ts in stamps[:-RECENT_OPEN]:
                if ts != old_open:
                    sim.react(channel_id, ts, "white_check_mark", "U0HANA")
        clock.advance(hours=1)
        run()
        idle, _, _, _ = run()

        # One new customer reply in the old open thread.
        sim.post(CHANNELS[0], "U0C0001", "Still broken on 2.4.1", thread_ts=old_open)
        clock.advance(hours=1)
        resync, resync_wall, _, _ = run()
        window = [t for t in tops[CHANNELS[0]] if t >= old_open]
        resync_pages_target = math.ceil(len(window) / LIMIT) + sum(
            math.ceil(RECENT_OPEN / LIMIT) for _ in CHANNELS[1:]
        )

        # A fresh question is answered and closed; two days later the customer writes again.
        fresh = format_ts(clock.now().timestamp())
        sim.post(CHANNELS[0], "U0C0002", "Exports time out", ts=fresh)
        sim.post(CHANNELS[0], "U0HANA", "Fixed in 2.4.1", thread_ts=fresh)
        run()
        sim.react(CHANNELS[0], fresh, "white_check_mark", "U0HANA")
        clock.advance(hours=1)
        run()
        clock.advance(days=2)
        sim.post(CHANNELS[0], "U0C0002", "Still timing out", thread_ts=fresh)
        reopen, reopen_wall, _, reopened = run()
        reopen_pages_target = resync_pages_target + (len(window) % LIMIT == 0)
        cursor_size = len(store.conn.execute("SELECT data FROM cursors").fetchone()[0])
        store.close()

    def line(label: str, counts: Counter[str]) -> str:
        parts = ", ".join(f"{m} {n}" for m, n in sorted(counts.items()))
        return f"{label}: {sum(counts.values())} requests ({parts})"

    print(
        f"workspace: {len(CHANNELS)} channels, {TOP_LEVEL} top-level messages, {len(threaded)} threads, "
        f"{len(authors)} distinct authors (built in {built:.1f}s)"
    )
    print(line("first sync", first))
    print(
        f"  target: {pages_target} history pages + {len(threaded)} replies + {users_pages} users.list "
        f"+ {len(CHANNELS)} conversations.info = {first_target} (plus 1 auth.test to learn the "
        "workspace URL and bot id)"
    )
    print(
        f"  wall time {first_wall:.1f}s; tier pacing on a real workspace would add {first_paced / 60:.0f} min"
    )
    before_first = sum(math.ceil(len(t) / BEFORE_LIMIT) for t in tops.values())
    print(
        f"  history pages: {first['conversations.history']} (target ceil(messages / {LIMIT}) "
        f"= {pages_target}; at the old page size {BEFORE_LIMIT}: {before_first})"
    )
    print(line("idle re-sync (no changes)", idle))
    before_idle = math.ceil(len(window) / BEFORE_LIMIT) + sum(
        math.ceil(RECENT_OPEN / BEFORE_LIMIT) for _ in CHANNELS[1:]
    )
    print(
        f"  history pages: {idle['conversations.history']} (target {resync_pages_target} over "
        f"the open window; at the old page size {BEFORE_LIMIT}: {before_idle})"
    )
    print(line("re-sync after one reply in an old open thread", resync))
    print(
        f"  target: {resync_pages_target} history pages over the open window + 1 replies "
        f"= {resync_pages_target + 1}"
    )
    print(f"  wall time {resync_wall:.2f}s; cursor {cursor_size} bytes")
    print(line("re-sync after a customer reply in a thread closed 2 days ago", reopen))
    print(
        f"  target: {reopen_pages_target} history pages + 1 replies + 1 conversations.info "
        f"= {reopen_pages_target + 2}; "
        f"items reopened {reopened.reopened}; wall time {reopen_wall:.2f}s"
    )
    missed = [
        label
        for label, ok in (
            ("first sync", sum(first.values()) == first_target + 1),
            ("idle re-sync", idle == Counter({"conversations.history": resync_pages_target})),
            (
                "re-sync",
                resync
                == Counter(
                    {"conversations.history": resync_pages_target, "conversations.replies": 1}
                ),
            ),
            (
                "reopen",
                reopen
                == Counter(
                    {
                        "conversations.history": reopen_pages_target,
                        "conversations.replies": 1,
                        # two days on, whether the channel is shared is looked up again
                        "conversations.info": 1,
                    }
                )
                and reopened.reopened == 1,
            ),
        )
        if not ok
    ]
    if missed:
        raise SystemExit(f"target missed: {', '.join(missed)}")


if __name__ == "__main__":
    main()

"""How many requests a GitHub sync costs, against the simulator.

A repository with 5,000 open issues and 20,000 comments (a few issues with
more than 100 comments, so GraphQL needs follow-up queries). For each
strategy: requests for a first sync, rate-limit-counted requests for a re-sync
with nothing new, requests after one new comment, the first sync's wall time,
and what a due check for transferred or deleted issues costs. Run: ``python benchmarks/github_sync.py``.
"""

from __future__ import annotations

import math
import random
import time
from datetime import UTC, datetime, timedelta

from herocli.channels.github import GithubChannel
from herocli.config_github import GithubSettings
from herocli.models import JSON, SilentProgress, SystemClock
from herocli.records import replace
from herocli.secrets import EnvSecrets
from herocli.simulators.github import GithubSimulator, iso

REPO = "acme/busy"
ISSUES = 5_000
COMMENTS = 20_000
BIG_ISSUES = 20  # issues with 150 comments each
BIG_COMMENTS = 150
CLOSED = 500  # closed issues with comments of their own, which must not cost requests


def seed(sim: GithubSimulator) -> None:
    rng = random.Random(7)
    sim.add_repo(REPO)
    start = datetime.now(UTC) - timedelta(days=400)
    numbers = []
    for n in range(ISSUES + CLOSED):
        created = start + timedelta(minutes=100 * n)
        # Closed issues are the oldest ones, as in most repositories.
        closed = n < CLOSED
        sim.add_issue(
            REPO,
            number=n + 1,
            title=f"Issue {n + 1}",
            body="Something is off.",
            user=f"user{rng.randrange(2000)}",
            state="closed" if closed else "open",
            created_at=created,
            updated_at=created,
        )
        if not closed:
            numbers.append(n + 1)
    numbers = numbers[:ISSUES]
    plan = dict.fromkeys(numbers, 0)
    for number in rng.sample(numbers, BIG_ISSUES):
        plan[number] = BIG_COMMENTS
    rest = COMMENTS - BIG_ISSUES * BIG_COMMENTS
    small = [n for n in numbers if plan[n] == 0]
    for _ in range(rest):
        plan[rng.choice(small)] += 1
    for number, count in plan.items():
        created = sim.repos[REPO].issues[number]["created_at"]
        base = datetime.fromisoformat(created.replace("Z", "+00:00"))
        for k in range(count):
            when = base + timedelta(minutes=10 + k)
            sim.add_comment(REPO, number, body=f"comment {k}", user="someone", created_at=when)
    # Open issues are not the whole repo: give closed issues comments too.
    for number, issue in sim.repos[REPO].issues.items():
        if issue["state"] == "closed":
            sim.add_comment(
                REPO, number, body="late", user="someone", created_at=issue["created_at"]
            )
    # Every issue was last touched long ago.
    for issue in sim.repos[REPO].issues.values():
        issue["updated_at"] = max(issue["updated_at"], iso(start + timedelta(days=399)))


def _is_listing(path: str, query: dict[str, str], operation: str | None) -> bool:
    return operation == "HeroOpenNumbers" or (
        path.endswith("/issues") and query.get("state") == "open"
    )


def drain(channel: GithubChannel, cursor: JSON) -> tuple[int, JSON]:
    conversations = 0
    for page in channel.fetch(cursor, SilentProgress()):
        conversations += len(page.conversations)
        cursor = page.cursor
    return conversations, cursor


def measure(strategy: str) -> dict[str, float]:
    clock = SystemClock()
    sim = GithubSimulator(tokens={"bench": "hero-bot"}, clock=clock).start()
    try:
        seed(sim)
        settings = GithubSettings(api_url=sim.url, repos=(REPO,), strategy=strategy)
        channel = GithubChannel(settings, EnvSecrets({"GH_TOKEN": "bench"}), clock)
        sim.clear_log()
        began = time.perf_counter()
        found, cursor = drain(channel, {})
        wall = time.perf_counter() - began
        first = len(sim.requests)
        first_counted = sim.counted()
        catch_up = sum(1 for r in sim.requests if r.query.get("since", "") > iso(start_of(sim)))
        follow_ups = sum(1 for r in sim.requests if r.operation == "HeroIssueComments")
        sim.clear_log()
        drain(channel, cursor)
        idle_requests, idle_counted = len(sim.requests), sim.counted()
        sim.add_comment(REPO, CLOSED + 42, body="any news?", user="someone")
        sim.clear_log()
        news, cursor = drain(channel, cursor)
        one_comment = len(sim.requests)
        _, cursor = drain(
            channel, cursor
        )  # the new `since` lists' ETags, so only the check counts below
        channel.shutdown()
        # A due check for issues gone from the open list, first with none gone,
        # then with one transferred and one deleted.
        due = GithubChannel(
            replace(settings, reconcile_hours=0), EnvSecrets({"GH_TOKEN": "bench"}), clock
        )
        sim.clear_log()
        _, cursor = drain(due, cursor)
        check_requests, check_counted = len(sim.requests), sim.counted()
        check_listing = sum(
            1 for r in sim.requests if _is_listing(r.path, dict(r.query), r.operation)
        )
        sim.transfer_issue(REPO, CLOSED + 7, to="acme/elsewhere")
        sim.delete_issue(REPO, CLOSED + 8)
        sim.clear_log()
        closed, cursor = drain(due, cursor)
        gone_requests, gone_counted = len(sim.requests), sim.counted()
        due.shutdown()
        return {
            "conversations": found,
            "first": first,
            "first_counted": first_counted,
            "catch_up": catch_up,
            "follow_ups": follow_ups,
            "idle_requests": idle_requests,
            "idle_counted": idle_counted,
            "one_comment": one_comment,
            "one_comment_conversations": news,
            "wall": wall,
            "check_requests": check_requests,
            "check_counted": check_counted,
            "check_listing": check_listing,
            "gone_requests": gone_requests,
            "gone_counted": gone_counted,
            "gone_closed": closed,
        }
    finally:
        sim.stop()


def measure_resume() -> dict[str, float]:
    """A REST first sync killed half-way (its pages committed so far kept), then resumed."""
    clock = SystemClock()
    sim = GithubSimulator(tokens={"bench": "hero-bot"}, clock=clock).start()
    try:
        seed(sim)
        settings = GithubSettings(api_url=sim.url, repos=(REPO,), strategy="rest")
        env = EnvSecrets({"GH_TOKEN": "bench"})
        channel = GithubChannel(settings, env, clock)
        sim.clear_log()
        drain(channel, {})
        channel.shutdown()
        catch_up = sum(1 for r in sim.requests if r.query.get("since", "") > iso(start_of(sim)))
        pages = len(sim.requests) - catch_up
        # The same again from nothing, killed once half the pages are committed.
        sim.repos.clear()
        sim.clear_log()
        seed(sim)
        channel = GithubChannel(settings, env, clock)
        cursor: JSON = {}
        fetch = channel.fetch({}, SilentProgress())
        for _ in range(pages // 2):
            cursor = next(fetch).cursor
        fetch.close()  # the kill: nothing after the last committed page is kept
        channel.shutdown()
        sim.clear_log()
        resumed = GithubChannel(settings, env, clock)
        drain(resumed, cursor)
        resumed.shutdown()
        return {"pages": pages, "killed_after": pages // 2, "resumed": len(sim.requests)}
    finally:
        sim.stop()


def start_of(sim: GithubSimulator) -> datetime:
    """The newest seeded time: later `since` values belong to the catch-up pass."""
    return max(
        datetime.fromisoformat(i["updated_at"].replace("Z", "+00:00"))
        for i in sim.repos[REPO].issues.values()
    )


def main() -> None:
    target_rest = math.ceil(ISSUES / 100) + math.ceil(COMMENTS / 100) + 1
    print(f"GitHub sync: {ISSUES:,} open issues, {COMMENTS:,} comments on them")
    print(
        f"({BIG_ISSUES} issues with {BIG_COMMENTS} comments; {CLOSED} older closed issues with a comment each)\n"
    )
    for strategy in ("rest", "graphql"):
        r = measure(strategy)
        print(f"[{strategy}]")
        print(
            f"  first sync requests:            {r['first']:>5}  "
            f"({r['follow_ups']} comment follow-ups, {r['catch_up']} for the closing catch-up pass)"
        )
        print(
            f"  re-sync, nothing new, counted:  {r['idle_counted']:>5}  ({r['idle_requests']} requests, all 304)"
        )
        print(
            f"  re-sync after one new comment:  {r['one_comment']:>5}  (conversations {r['one_comment_conversations']})"
        )
        print(f"  first sync wall time:           {r['wall']:>5.1f} s")
        print(
            f"  due check for vanished issues:  {r['check_counted']:>5}  counted "
            f"({r['check_requests']} requests, {r['check_listing']} listing open numbers)"
        )
        print(
            f"  ... with 1 transferred, 1 deleted: {r['gone_counted']:>2}  counted "
            f"({r['gone_requests']} requests; conversations closed {r['gone_closed']})\n"
        )
    r = measure_resume()
    left = r["pages"] - r["killed_after"]
    print("[rest, killed half-way]")
    print(
        f"  resumed first sync requests:    {r['resumed']:>5}  (of {r['pages']} pages, "
        f"{r['killed_after']} committed before the kill; target {left} left + 2 = {left + 2})\n"
    )
    print(
        f"targets: REST first sync <= {target_rest}, GraphQL ~50 + follow-ups, idle counted 0, "
        "one comment <= 3, wall < 20 s, resumed REST first sync <= pages left + 2"
    )


if __name__ == "__main__":
    main()

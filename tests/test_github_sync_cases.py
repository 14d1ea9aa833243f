"""One regression test per case of "GitHub sync never loses an update" (#12), end to end.

Each drives the simulator over real sockets into a real queue file through
the sync service, the way `hero sync` does.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from rich.console import Console

from herocli.channels.github import GithubChannel
from herocli.config import TeamSettings
from herocli.errors import ExitCode, RateLimitedError, UnreachableError
from herocli.exchange import OutgoingReply, SilentProgress, Thread
from herocli.models import ItemState, TeamMember, Waiting
from herocli.render.items import inbox_table
from herocli.render.rows import item_json
from herocli.render.thread_view import thread_view
from herocli.services.sync import SyncResult, sync_channel
from herocli.store import Store, queue
from herocli.store.queue import ItemFilter
from tests.github_fixtures import (  # noqa: F401
    REPO,
    GithubWorld,
    RecordingProgress,
    gw_fixture,
    store_fixture,
)

TEAM = TeamSettings(members=(TeamMember("Hana", github="hana"), TeamMember("Ravi", github="ravi")))


def sync(store: Store, channel: GithubChannel, gw: GithubWorld, ok: bool = True) -> SyncResult:
    try:
        result = sync_channel(store, channel, TEAM, gw.clock, SilentProgress())
    finally:
        channel.shutdown()
    if ok:
        assert result.error is None, result.error
    return result


def item(store: Store, gw: GithubWorld, external: str) -> Any:
    found = queue.list_items(store.conn, ItemFilter(states=(), waiting=None), gw.clock.now())
    return {i.external_id: i for i in found}[external]


def bodies(store: Store, item_id: int) -> list[str]:
    return [m.message.body for m in queue.messages(store.conn, item_id)]


# ---------------------------------------------------------------------- 1: lost updates between pages
def test_1_an_item_changing_again_mid_sync_does_not_push_another_past_a_page(
    gw: GithubWorld, store: Store
) -> None:
    gw.sim.page_cap = 1
    a, b, c = gw.issue("A"), gw.issue("B"), gw.issue("C")
    sync(store, gw.channel(strategy="rest"), gw)
    gw.clock.advance(minutes=5)
    for n, issue in enumerate((a, b, c)):
        gw.clock.advance(seconds=1)
        gw.sim.edit_issue(REPO, issue["number"], title=f"{'ABC'[n]} edited")
    gw.clock.advance(seconds=1)
    gw.sim.add_comment(REPO, b["number"], body="still broken", user="carol")

    def again() -> None:
        # A changes again after the first page of issues, well past the overlap.
        gw.clock.advance(minutes=3)
        gw.sim.edit_issue(REPO, a["number"], title="A again")

    # Comments first (one page each, two comments: B's and none), then the issues.
    gw.sim.after_requests(3, again)
    sync(store, gw.channel(strategy="rest"), gw)
    sync(store, gw.channel(strategy="rest"), gw)
    assert item(store, gw, f"{REPO}#{b['number']}").title == "B edited"
    assert item(store, gw, f"{REPO}#{c['number']}").title == "C edited"
    assert item(store, gw, f"{REPO}#{a['number']}").title == "A again"
    assert "still broken" in bodies(store, item(store, gw, f"{REPO}#{b['number']}").id)


# ---------------------------------------------------------------------- 2: first sync misses open issues
def test_2_rest_first_sync_misses_no_open_issue_when_one_closes_meanwhile(
    gw: GithubWorld, store: Store
) -> None:
    gw.sim.page_cap = 2
    issues = [gw.issue(f"issue {n}") for n in range(6)]
    gw.sim.after_requests(1, lambda: gw.sim.close_issue(REPO, issues[0]["number"]))
    sync(store, gw.channel(strategy="rest"), gw)
    found = queue.list_items(store.conn, ItemFilter(waiting=None), gw.clock.now())
    assert {i.title for i in found} == {f"issue {n}" for n in range(1, 6)}


def test_2_reconcile_adds_an_open_issue_the_syncs_missed(gw: GithubWorld, store: Store) -> None:
    gw.issue("known")
    channel = gw.channel(reconcile_hours=0)
    sync(store, channel, gw)
    # An open issue no `since` list will return again (as if a sync had skipped it).
    gw.sim.add_issue(REPO, title="missed", user="carol", updated_at="2020-01-01T00:00:00Z")
    missed = max(gw.sim.repos[REPO].issues)
    gw.sim.add_comment(REPO, missed, body="hello?", user="carol", created_at="2020-01-01T00:00:00Z")
    gw.sim.repos[REPO].issues[missed]["updated_at"] = "2020-01-01T00:00:00Z"
    gw.clock.advance(minutes=5)
    sync(store, gw.channel(reconcile_hours=0), gw)
    got = item(store, gw, f"{REPO}#{missed}")
    assert got.state is ItemState.OPEN
    assert sorted(bodies(store, got.id)) == ["", "hello?"]


# ---------------------------------------------------------------------- 3: items entering later
@pytest.mark.parametrize("strategy", ["graphql", "rest"])
def test_3_a_reopened_old_issue_arrives_with_its_history(
    gw: GithubWorld, store: Store, strategy: str
) -> None:
    old = gw.issue("Old one", state="closed")
    for n in range(5):
        gw.comment(old["number"], f"old {n}")
    sync(store, gw.channel(strategy=strategy), gw)
    gw.clock.advance(hours=2)
    gw.sim.reopen_issue(REPO, old["number"])
    sync(store, gw.channel(strategy=strategy), gw)
    got = item(store, gw, f"{REPO}#{old['number']}")
    assert got.message_count == 6
    assert got.waiting is Waiting.US


def test_3_an_issue_gaining_an_included_label_arrives_with_its_history(
    gw: GithubWorld, store: Store
) -> None:
    issue = gw.issue("Unlabelled")
    for n in range(3):
        gw.comment(issue["number"], f"c{n}")
    sync(store, gw.channel(labels_include=("support",)), gw)
    gw.clock.advance(hours=2)
    gw.sim.edit_issue(REPO, issue["number"], labels=["support"])
    sync(store, gw.channel(labels_include=("support",)), gw)
    assert item(store, gw, f"{REPO}#{issue['number']}").message_count == 4


def test_3_an_issue_transferred_between_watched_repos_is_in_the_queue_once(
    gw: GithubWorld, store: Store
) -> None:
    gw.sim.add_repo("acme/gadget")
    issue = gw.issue("Moves")
    for n in range(7):
        gw.comment(issue["number"], f"c{n}")
    channel = gw.channel(repos=(REPO, "acme/gadget"))
    sync(store, channel, gw)
    gw.clock.advance(hours=2)
    moved = gw.sim.transfer_issue(REPO, issue["number"], to="acme/gadget")
    sync(store, gw.channel(repos=(REPO, "acme/gadget")), gw)
    there = item(store, gw, f"acme/gadget#{moved['number']}")
    assert there.message_count == 8
    assert item(store, gw, f"{REPO}#{issue['number']}").state is ItemState.CLOSED
    open_ = queue.list_items(store.conn, ItemFilter(waiting=None), gw.clock.now())
    assert [i.external_id for i in open_] == [there.external_id]


def test_3_a_comment_count_that_disagrees_brings_the_missing_comments(
    gw: GithubWorld, store: Store
) -> None:
    issue = gw.issue()
    sync(store, gw.channel(), gw)
    # A comment no `since` list returns (old timestamps), so only the count tells.
    gw.sim.add_comment(
        REPO,
        issue["number"],
        body="lost",
        user="carol",
        created_at="2020-01-01T00:00:00Z",
        touch_issue=False,
    )
    gw.clock.advance(hours=1)
    gw.sim.edit_issue(REPO, issue["number"], title="renamed")
    sync(store, gw.channel(), gw)
    assert "lost" in bodies(store, item(store, gw, f"{REPO}#{issue['number']}").id)


# ---------------------------------------------------------------------- 4: a comment on a closed item
@pytest.mark.parametrize("closed_before_sync", [True, False])
def test_4_a_customer_comment_on_a_closed_item_is_stored_and_wakes_it(
    gw: GithubWorld, store: Store, closed_before_sync: bool
) -> None:
    issue = gw.issue()
    gw.comment(issue["number"], "Fixed in 2.4.", user="hana")
    sync(store, gw.channel(), gw)
    gw.clock.advance(hours=1)
    gw.sim.close_issue(REPO, issue["number"])
    if closed_before_sync:
        sync(store, gw.channel(), gw)
        assert item(store, gw, f"{REPO}#{issue['number']}").state is ItemState.CLOSED
    gw.clock.advance(hours=1)
    gw.comment(issue["number"], "Still broken in 2.4.", user="carol")
    sync(store, gw.channel(), gw)
    got = item(store, gw, f"{REPO}#{issue['number']}")
    assert bodies(store, got.id)[-1] == "Still broken in 2.4."
    assert (got.state, got.waiting) == (ItemState.OPEN, Waiting.US)


def test_4_a_team_comment_on_a_closed_item_is_stored_without_waking_it(
    gw: GithubWorld, store: Store
) -> None:
    issue = gw.issue()
    sync(store, gw.channel(), gw)
    gw.clock.advance(hours=1)
    gw.sim.close_issue(REPO, issue["number"])
    sync(store, gw.channel(), gw)
    gw.clock.advance(hours=1)
    gw.comment(issue["number"], "Closing note.", user="ravi")
    sync(store, gw.channel(), gw)
    got = item(store, gw, f"{REPO}#{issue['number']}")
    assert bodies(store, got.id)[-1] == "Closing note."
    assert got.state is ItemState.CLOSED


# ---------------------------------------------------------------------- 5: assignees
def test_5_assignee_follows_upstream_member_outsider_nobody(gw: GithubWorld, store: Store) -> None:
    issue = gw.issue(assignees=["hana"])
    external = f"{REPO}#{issue['number']}"
    sync(store, gw.channel(), gw)
    assert item(store, gw, external).assignee == "Hana"
    for login, want in (("ravi", "Ravi"), ("outsider", "outsider"), (None, None)):
        gw.clock.advance(minutes=5)
        gw.sim.edit_issue(REPO, issue["number"], assignees=[login] if login else [])
        sync(store, gw.channel(), gw)
        assert item(store, gw, external).assignee == want


# ---------------------------------------------------------------------- 6: the label filter
def test_6_an_issue_losing_its_included_label_leaves_the_queue_and_comes_back(
    gw: GithubWorld, store: Store
) -> None:
    issue = gw.issue(labels=["support", "bug"])
    external = f"{REPO}#{issue['number']}"
    channel = gw.channel(labels_include=("support",))
    sync(store, channel, gw)
    gw.clock.advance(minutes=5)
    gw.sim.edit_issue(REPO, issue["number"], labels=["bug"])
    sync(store, gw.channel(labels_include=("support",)), gw)
    got = item(store, gw, external)
    assert (got.state, got.labels, got.meta["why"]) == (ItemState.CLOSED, ("bug",), "filtered")
    gw.clock.advance(minutes=5)
    gw.comment(issue["number"], "any news?")  # out of the filter: does not wake it
    sync(store, gw.channel(labels_include=("support",)), gw)
    assert item(store, gw, external).state is ItemState.CLOSED
    gw.clock.advance(minutes=5)
    gw.sim.edit_issue(REPO, issue["number"], labels=["bug", "support"])
    sync(store, gw.channel(labels_include=("support",)), gw)
    got = item(store, gw, external)
    assert (got.state, set(got.labels), got.message_count) == (
        ItemState.OPEN,
        {"bug", "support"},
        2,
    )


# ---------------------------------------------------------------------- 7: resumable REST first sync
class Crash(BaseException):
    """A kill: nothing in hero catches it."""


class CrashingProgress(SilentProgress):
    def __init__(self, after: int) -> None:
        self.left = after

    def update(self, description: str, **counts: Any) -> None:
        if ": issues" in description or ": comments" in description:
            self.left -= 1
            if self.left < 0:
                raise Crash


def test_7_a_killed_rest_first_sync_resumes_with_the_pages_left(
    gw: GithubWorld, store: Store
) -> None:
    gw.sim.page_cap = 5
    for n in range(20):
        when = f"2026-11-20T10:{n:02d}:00Z"
        issue = gw.sim.add_issue(REPO, title=f"i{n}", user="carol", created_at=when)
        gw.sim.add_comment(REPO, issue["number"], body=f"c{n}", user="dave", created_at=when)
    channel = gw.channel(strategy="rest")
    with pytest.raises(Crash):
        sync_channel(store, channel, TEAM, gw.clock, CrashingProgress(after=6))
    channel.shutdown()
    # 5 pages of issues, then 5 of comments (5 a page; each page by key starts
    # with the last one seen, so 4 are new): the kill came with the 7th page's
    # report, so 6 were committed and 4 are left.
    assert len(gw.sim.requests) == 7
    gw.sim.clear_log()
    sync(store, gw.channel(strategy="rest"), gw)
    assert len(gw.sim.requests) == 4 + 2  # the pages left, and the catch-up pass's two
    assert all(r.path.endswith("/issues/comments") for r in gw.sim.requests[:4])
    found = queue.list_items(store.conn, ItemFilter(waiting=None), gw.clock.now())
    assert len(found) == 20
    assert all(i.message_count == 2 for i in found)


def test_7_a_rest_first_sync_finishes_under_a_window_smaller_than_itself(
    gw: GithubWorld, store: Store
) -> None:
    from datetime import timedelta

    gw.sim.page_cap = 5
    for n in range(20):
        gw.sim.add_issue(REPO, title=f"i{n}", user="carol")
    gw.sim.limits["core"] = 3
    gw.sim.window = timedelta(minutes=10)
    runs = 0
    while True:
        runs += 1
        assert runs < 10, "the first sync never finished"
        result = sync(store, gw.channel(strategy="rest", max_rate_limit_wait=60), gw, ok=False)
        if result.error is None:
            break
        assert isinstance(result.error, RateLimitedError)
        gw.clock.advance(minutes=10)
    assert len(queue.list_items(store.conn, ItemFilter(waiting=None), gw.clock.now())) == 20
    refused = [r for r in gw.sim.requests if r.status == 403]
    assert refused == []  # hero waits for the reset instead of asking with no points left


# ---------------------------------------------------------------------- 8: GraphQL RATE_LIMITED
def test_8_graphql_rate_limited_with_points_left_waits_for_the_reset(gw: GithubWorld) -> None:
    from tests.github_fixtures import run

    gw.issue()
    gw.sim.inject("primary_rate_limit", path="graphql", reset_in=100, remaining=40)
    progress = RecordingProgress()
    conversations, _ = run(gw.channel(strategy="graphql"), {}, progress)
    assert len(conversations) == 1
    assert [w for w, _ in progress.waits] == [101.0]


def test_8_a_reset_beyond_the_maximum_stops_at_once_with_the_true_wait(gw: GithubWorld) -> None:
    from tests.github_fixtures import run

    gw.issue()
    gw.sim.inject("primary_rate_limit", path="graphql", reset_in=1000, remaining=40)
    with pytest.raises(RateLimitedError) as caught:
        run(gw.channel(strategy="graphql", max_rate_limit_wait=300), {})
    assert caught.value.retry_after == 1001.0
    assert "1001 s" in caught.value.message
    assert gw.clock.sleeps == []


# ---------------------------------------------------------------------- 9: one repository's failure
@pytest.mark.parametrize("strategy", ["graphql", "rest"])
def test_9_an_unknown_repository_is_named_and_the_others_still_sync(
    gw: GithubWorld, store: Store, strategy: str
) -> None:
    gw.sim.add_repo("acme/gadget")
    gw.sim.add_issue("acme/gadget", title="after the missing one", user="carol")
    gw.issue("first")
    channel = gw.channel(repos=(REPO, "acme/nope", "acme/gadget"), strategy=strategy)
    result = sync(store, channel, gw, ok=False)
    assert result.error is not None
    assert "acme/nope" in result.error.message
    assert result.error.exit_code == ExitCode.NOT_FOUND
    titles = {
        i.title for i in queue.list_items(store.conn, ItemFilter(waiting=None), gw.clock.now())
    }
    assert titles == {"first", "after the missing one"}


# ---------------------------------------------------------------------- 10: dropped connections
def test_10_a_get_is_retried_after_a_dropped_connection(gw: GithubWorld, store: Store) -> None:
    gw.issue()
    gw.sim.inject("connection_reset", times=2)
    sync(store, gw.channel(strategy="rest"), gw)
    assert gw.clock.sleeps[:2] == [1.0, 2.0]
    assert [r.status for r in gw.sim.requests[:3]] == [0, 0, 200]


def test_10_a_write_is_not_sent_again_after_a_dropped_connection(gw: GithubWorld) -> None:
    issue = gw.issue()
    gw.sim.inject("connection_reset", method="POST", path="comments")
    thread = Thread(1, f"{REPO}#{issue['number']}", "t", None, ())
    with pytest.raises(UnreachableError):
        gw.channel().send_reply(thread, OutgoingReply(key="k", body="hi"))
    assert len([r for r in gw.sim.requests if r.method == "POST"]) == 1


# ---------------------------------------------------------------------- 11: the rest
def test_11_a_bot_has_one_login_in_graphql_and_rest(gw: GithubWorld, store: Store) -> None:
    issue = gw.issue()
    gw.comment(issue["number"], "Bumps lodash.", user="dependabot[bot]")
    sync(store, gw.channel(strategy="graphql"), gw)
    gw.clock.advance(minutes=5)
    gw.comment(issue["number"], "Rebased.", user="dependabot[bot]")
    sync(store, gw.channel(), gw)
    got = item(store, gw, f"{REPO}#{issue['number']}")
    authors = [m.message.author_id for m in queue.messages(store.conn, got.id)]
    assert authors == ["carol", "dependabot[bot]", "dependabot[bot]"]


def test_11_closed_why_and_how_long_ago_in_show_and_json(gw: GithubWorld, store: Store) -> None:
    issue = gw.issue()
    gw.clock.advance(days=1000)
    gw.comment(issue["number"], "bump")
    sync(store, gw.channel(), gw)
    gw.clock.advance(minutes=5)
    gw.sim.close_issue(REPO, issue["number"], "not_planned")
    sync(store, gw.channel(), gw)
    gw.clock.advance(minutes=3)
    got = item(store, gw, f"{REPO}#{issue['number']}")
    out = io.StringIO()
    Console(file=out, width=120, color_system=None).print(thread_view(got, [], [], gw.clock.now()))
    header = out.getvalue().splitlines()[1]
    assert "closed: not_planned 3m ago" in header
    assert "1000d" not in header
    assert item_json(got, gw.clock.now())["closed_why"] == "not_planned"
    table = io.StringIO()
    Console(file=table, width=120, color_system=None).print(
        inbox_table([got], gw.clock.now(), title="closed")
    )
    assert "closed: not_planned" in table.getvalue()


def test_11_sync_summary_counts_new_and_updated_items_once(gw: GithubWorld, store: Store) -> None:
    for n in range(3):
        issue = gw.issue(f"i{n}")
        gw.comment(issue["number"], "more")
    first = sync(store, gw.channel(strategy="rest"), gw)
    assert (first.new_items, first.updated_items) == (3, 0)
    gw.clock.advance(minutes=5)
    gw.sim.edit_issue(REPO, 1, title="renamed")
    again = sync(store, gw.channel(), gw)
    assert (again.new_items, again.updated_items) == (0, 1)

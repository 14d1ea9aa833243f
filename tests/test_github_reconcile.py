"""Issues transferred or deleted on GitHub close in the queue, checked at most once per interval."""

from __future__ import annotations

import httpx
import pytest

from herocli.channels.github import GithubChannel
from herocli.config import TeamSettings
from herocli.exchange import SilentProgress
from herocli.models import Item, ItemState, RemoteState
from herocli.services.sync import SyncResult, sync_channel
from herocli.store import Store, queue
from herocli.store.queue import ItemFilter
from tests.github_fixtures import (  # noqa: F401
    REPO,
    TOKEN,
    GithubWorld,
    gw_fixture,
    run,
    store_fixture,
)


def sync(store: Store, channel: GithubChannel, gw: GithubWorld) -> SyncResult:
    result = sync_channel(store, channel, TeamSettings(), gw.clock, SilentProgress())
    assert result.error is None, result.error
    return result


def items(store: Store, gw: GithubWorld) -> dict[str, Item]:
    found = queue.list_items(store.conn, ItemFilter(states=(), waiting=None), gw.clock.now())
    return {i.external_id: i for i in found}


def is_lookup(path: str) -> bool:
    """A request for one issue by number."""
    return path.rsplit("/", 1)[-1].isdigit() and "/issues/" in path


# ---------------------------------------------------------------------- simulator
def test_simulator_transfer_answers_301_and_delete_410(gw: GithubWorld) -> None:
    a = gw.issue("Moves away")
    gw.comment(a["number"], "context")
    b = gw.issue("Goes away")
    moved = gw.sim.transfer_issue(REPO, a["number"], to="acme/elsewhere")
    gw.sim.delete_issue(REPO, b["number"])
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=gw.sim.url, headers=headers) as http:
        old = http.get(f"/repos/{REPO}/issues/{a['number']}")
        assert old.status_code == 301
        assert old.json()["message"] == "Moved Permanently"
        followed = http.get(old.headers["location"])
        assert followed.status_code == 200
        assert followed.json()["number"] == moved["number"]
        assert followed.json()["repository_url"].endswith("/repos/acme/elsewhere")
        assert followed.json()["title"] == "Moves away"
        comments = http.get(f"/repos/acme/elsewhere/issues/{moved['number']}/comments").json()
        assert [c["body"] for c in comments] == ["context"]
        gone = http.get(f"/repos/{REPO}/issues/{b['number']}")
        assert gone.status_code == 410
        assert http.get(f"/repos/{REPO}/issues/999").status_code == 404
        listed = http.get(f"/repos/{REPO}/issues", params={"state": "all"}).json()
        assert listed == []
        assert http.get(f"/repos/{REPO}/issues/comments").json() == []


# ---------------------------------------------------------------------- through the queue
@pytest.mark.parametrize("strategy", ["graphql", "rest"])
def test_transferred_and_deleted_issues_close_in_the_queue(
    gw: GithubWorld, store: Store, strategy: str
) -> None:
    stays = gw.issue("Stays")
    moves = gw.issue("Moves")
    goes = gw.issue("Goes")
    channel = gw.channel(strategy=strategy, reconcile_hours=24)
    assert sync(store, channel, gw).new_items == 3
    gw.sim.transfer_issue(REPO, moves["number"], to="acme/elsewhere")
    gw.sim.delete_issue(REPO, goes["number"])

    # Not due yet: the vanished issues stay open, and nothing is listed or looked up.
    gw.clock.advance(hours=23)
    gw.sim.clear_log()
    assert sync(store, channel, gw).closed == 0
    assert [r.path for r in gw.sim.requests] == [
        f"/repos/{REPO}/issues/comments",
        f"/repos/{REPO}/issues",
    ]
    assert all(i.state is ItemState.OPEN for i in items(store, gw).values())

    gw.clock.advance(hours=1)
    gw.sim.clear_log()
    assert sync(store, channel, gw).closed == 2
    now = items(store, gw)
    assert now[f"{REPO}#{stays['number']}"].state is ItemState.OPEN
    moved = now[f"{REPO}#{moves['number']}"]
    assert (moved.state, moved.remote_state) == (ItemState.CLOSED, RemoteState.CLOSED)
    assert moved.meta["why"] == "transferred"
    assert moved.meta["moved_to"] == "acme/elsewhere#1"
    assert moved.title == "Moves"
    assert moved.url is not None
    assert moved.url.endswith("/acme/elsewhere/issues/1")
    deleted = now[f"{REPO}#{goes['number']}"]
    assert (deleted.state, deleted.meta["why"]) == (ItemState.CLOSED, "deleted")
    assert deleted.title == f"{REPO}#{goes['number']} (deleted on GitHub)"  # as docs/github.md says
    # One listing of the open numbers, then one lookup each (the 301 is followed).
    lookups = [(r.method, r.path, r.status) for r in gw.sim.requests if is_lookup(r.path)]
    assert lookups == [
        ("GET", f"/repos/{REPO}/issues/{moves['number']}", 301),
        ("GET", "/repositories/" + lookups[1][1].split("/")[2] + "/issues/1", 200),
        ("GET", f"/repos/{REPO}/issues/{goes['number']}", 410),
    ]
    listing = [r for r in gw.sim.requests if r.operation == "HeroOpenNumbers"]
    assert len(listing) == (1 if strategy == "graphql" else 0)

    # Checked: the next due check finds nothing missing and looks nothing up.
    gw.clock.advance(hours=25)
    gw.sim.clear_log()
    assert sync(store, channel, gw).closed == 0
    assert not [r for r in gw.sim.requests if is_lookup(r.path)]


def test_an_issue_closed_unseen_is_closed_by_the_check(gw: GithubWorld) -> None:
    issue = gw.issue()
    channel = gw.channel(reconcile_hours=0)
    _, cursor = run(channel, {})
    # Closed without bumping updated_at past the cursor, as a lagging list might show it.
    gw.sim.edit_issue(REPO, issue["number"], state="closed", updated_at=issue["updated_at"])
    conversations, cursor = run(channel, cursor)
    assert [(c.external_id, c.remote_state) for c in conversations] == [
        (f"{REPO}#{issue['number']}", RemoteState.CLOSED)
    ]
    assert cursor["repos"][REPO]["open"] == []


def test_an_issue_still_open_upstream_is_left_alone(gw: GithubWorld) -> None:
    gw.issue()
    gw.clock.advance(seconds=1)  # read after the second it changed, so not read again
    channel = gw.channel(reconcile_hours=0)
    _, cursor = run(channel, {})
    # A number the cursor knows open that the GraphQL listing leaves out: an open pull request.
    gw.sim.add_issue(REPO, number=9999, title="a PR", user="carol", is_pull_request=True)
    cursor["repos"][REPO]["open"].append(9999)
    gw.clock.advance(minutes=1)
    gw.sim.clear_log()
    conversations, cursor = run(channel, cursor)
    assert conversations == []
    assert 9999 in cursor["repos"][REPO]["open"]
    assert [r.status for r in gw.sim.requests if is_lookup(r.path)] == [200]


# ---------------------------------------------------------------------- schedule
def test_the_check_runs_at_most_once_per_interval(gw: GithubWorld) -> None:
    gw.issue()
    channel = gw.channel(reconcile_hours=6)
    _, cursor = run(channel, {})
    checks = []
    for _ in range(8):
        gw.clock.advance(hours=2)
        gw.sim.clear_log()
        _, cursor = run(channel, cursor)
        checks.append(sum(1 for r in gw.sim.requests if r.operation == "HeroOpenNumbers"))
    # The first sync counts as a check; then one every 6 hours of the 16.
    assert checks == [0, 0, 1, 0, 0, 1, 0, 0]
    assert gw.sim.counted() == 0


def test_zero_hours_checks_on_every_sync(gw: GithubWorld) -> None:
    gw.issue()
    channel = gw.channel(reconcile_hours=0)
    _, cursor = run(channel, {})
    for _ in range(3):
        gw.clock.advance(minutes=1)
        gw.sim.clear_log()
        _, cursor = run(channel, cursor)
        assert [r.operation for r in gw.sim.requests if r.counted] == ["HeroOpenNumbers"]


def test_pull_requests_wanted_list_open_numbers_by_rest(gw: GithubWorld) -> None:
    gw.issue()
    gw.sim.add_issue(REPO, title="a PR", user="carol", is_pull_request=True)
    channel = gw.channel(include_pull_requests=True, reconcile_hours=0)
    _, cursor = run(channel, {})
    assert len(cursor["repos"][REPO]["open"]) == 2
    gw.clock.advance(minutes=1)
    gw.sim.clear_log()
    conversations, _ = run(channel, cursor)
    assert conversations == []
    counted = [(r.path, r.query.get("state")) for r in gw.sim.requests if r.counted]
    assert counted == [(f"/repos/{REPO}/issues", "open")]


@pytest.mark.parametrize("strategy", ["graphql", "rest"])
def test_an_issue_a_customer_woke_after_its_close_closes_when_deleted(
    gw: GithubWorld, store: Store, strategy: str
) -> None:
    """Closed upstream, woken in the queue by the customer's comment, then deleted: the open
    list never shows it, so the check looks it up by number, and the item closes."""
    asked = gw.issue("Closed too soon")
    stays = gw.issue("Closed, woken, kept")
    channel = gw.channel(strategy=strategy, reconcile_hours=24)
    sync(store, channel, gw)
    for issue in (asked, stays):
        gw.clock.advance(minutes=1)
        gw.sim.close_issue(REPO, issue["number"])
    gw.clock.advance(hours=1)
    assert sync(store, channel, gw).closed == 2
    for issue in (asked, stays):
        gw.clock.advance(minutes=1)
        gw.comment(issue["number"], "It is still broken.", user="carol")
    assert sync(store, channel, gw).reopened == 2
    gw.sim.delete_issue(REPO, asked["number"])
    gw.clock.advance(hours=24)
    gw.sim.clear_log()
    assert sync(store, channel, gw).closed == 1
    now = items(store, gw)
    gone = now[f"{REPO}#{asked['number']}"]
    assert (gone.state, gone.meta["why"]) == (ItemState.CLOSED, "deleted")
    assert now[f"{REPO}#{stays['number']}"].state is ItemState.OPEN  # still the customer's turn
    lookups = [(r.path, r.status) for r in gw.sim.requests if is_lookup(r.path)]
    assert sorted(lookups) == sorted(
        [
            (f"/repos/{REPO}/issues/{asked['number']}", 410),
            (f"/repos/{REPO}/issues/{stays['number']}", 200),
        ]
    )
    # Watched for a month after the comment, then no longer looked up.
    gw.clock.advance(days=31)
    gw.sim.clear_log()
    sync(store, channel, gw)
    assert not [r for r in gw.sim.requests if is_lookup(r.path)]


@pytest.mark.parametrize("strategy", ["graphql", "rest"])
def test_an_issue_closed_and_commented_on_between_two_syncs_closes_when_deleted(
    gw: GithubWorld, store: Store, strategy: str
) -> None:
    """The close and the customer's comment reach hero in one pass (the comment first,
    while the issue is still open here): it is watched as one woken after its close."""
    issue = gw.issue("Closed too soon")
    channel = gw.channel(strategy=strategy, reconcile_hours=24)
    sync(store, channel, gw)
    gw.clock.advance(minutes=1)
    gw.sim.close_issue(REPO, issue["number"])
    gw.comment(issue["number"], "It is still broken.", user="carol")
    gw.clock.advance(minutes=1)
    sync(store, channel, gw)
    assert items(store, gw)[f"{REPO}#{issue['number']}"].state is ItemState.OPEN
    gw.sim.delete_issue(REPO, issue["number"])
    gw.clock.advance(hours=24)
    sync(store, channel, gw)
    gone = items(store, gw)[f"{REPO}#{issue['number']}"]
    assert (gone.state, gone.meta["why"]) == (ItemState.CLOSED, "deleted")

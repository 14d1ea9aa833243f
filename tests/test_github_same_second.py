"""A change in the same second as hero's last read of it is seen by the next ordinary sync.

GitHub's ``updated_at`` has one-second resolution: when an issue or comment
changes in the second hero read it, its ``updated_at`` does not move. Each
test reads at a second, changes the thing in that same second on the
simulator's (injected) clock, and then runs one ordinary sync a little later,
over real sockets into a real queue file. The reconcile is never due, so only
the incremental pass can bring the change.
"""

from __future__ import annotations

import pytest

from herocli.models import ItemState, Waiting
from herocli.store import Store
from tests.github_fixtures import (  # noqa: F401
    REPO,
    GithubWorld,
    gw_fixture,
    store_fixture,
)
from tests.test_github_sync_cases import bodies, item, sync

STRATEGIES = pytest.mark.parametrize("strategy", ["graphql", "rest"])


def later(gw: GithubWorld) -> None:
    """The next ordinary sync: a while after, well inside the minute of overlap."""
    gw.clock.advance(seconds=20)


@STRATEGIES
@pytest.mark.parametrize("after_a_change", [False, True])
def test_a_comment_in_the_second_of_the_read_is_in_the_next_sync(
    gw: GithubWorld, store: Store, strategy: str, after_a_change: bool
) -> None:
    issue = gw.issue("Help")
    gw.comment(issue["number"], "More detail.")
    sync(store, gw.channel(strategy=strategy, reconcile_hours=24), gw)
    if after_a_change:
        # The issue changes, the sync reads it in that second, and then the customer writes.
        later(gw)
        gw.sim.edit_issue(REPO, issue["number"], title="Help!")
        sync(store, gw.channel(strategy=strategy, reconcile_hours=24), gw)
    # No time passes: the comment lands in the second of the read before it.
    gw.sim.add_comment(REPO, issue["number"], body="Still broken.", user="carol")
    later(gw)
    sync(store, gw.channel(strategy=strategy, reconcile_hours=24), gw)
    got = item(store, gw, f"{REPO}#{issue['number']}")
    assert "Still broken." in bodies(store, got.id)
    assert got.waiting is Waiting.US


@STRATEGIES
def test_an_issue_labelled_into_the_filter_in_the_second_it_was_read_arrives(
    gw: GithubWorld, store: Store, strategy: str
) -> None:
    settings = {"strategy": strategy, "labels_include": ("support",), "reconcile_hours": 24}
    sync(store, gw.channel(**settings), gw)
    later(gw)
    issue = gw.sim.add_issue(REPO, title="New", body="It broke.", user="carol")
    sync(store, gw.channel(**settings), gw)
    # A triage bot labels it in the second hero read it unlabelled.
    gw.sim.edit_issue(REPO, issue["number"], labels=["support"])
    later(gw)
    sync(store, gw.channel(**settings), gw)
    got = item(store, gw, f"{REPO}#{issue['number']}")
    assert got.state is ItemState.OPEN
    assert got.labels == ("support",)


@STRATEGIES
def test_a_comment_edited_in_the_second_it_was_read_is_read_again(
    gw: GithubWorld, store: Store, strategy: str
) -> None:
    issue = gw.issue("Help")
    sync(store, gw.channel(strategy=strategy, reconcile_hours=24), gw)
    later(gw)
    comment = gw.sim.add_comment(REPO, issue["number"], body="It crahses", user="carol")
    sync(store, gw.channel(strategy=strategy, reconcile_hours=24), gw)
    gw.sim.edit_comment(REPO, comment["id"], "It crashes on start, every time.")
    later(gw)
    sync(store, gw.channel(strategy=strategy, reconcile_hours=24), gw)
    got = item(store, gw, f"{REPO}#{issue['number']}")
    assert "It crashes on start, every time." in bodies(store, got.id)


@STRATEGIES
def test_an_issue_reopened_in_the_second_it_was_read_closed_is_back(
    gw: GithubWorld, store: Store, strategy: str
) -> None:
    issue = gw.issue("Help")
    sync(store, gw.channel(strategy=strategy, reconcile_hours=24), gw)
    later(gw)
    gw.sim.close_issue(REPO, issue["number"])
    sync(store, gw.channel(strategy=strategy, reconcile_hours=24), gw)
    assert item(store, gw, f"{REPO}#{issue['number']}").state is ItemState.CLOSED
    gw.sim.reopen_issue(REPO, issue["number"])
    later(gw)
    sync(store, gw.channel(strategy=strategy, reconcile_hours=24), gw)
    assert item(store, gw, f"{REPO}#{issue['number']}").state is ItemState.OPEN


@STRATEGIES
def test_a_change_in_the_second_of_the_first_sync_is_in_the_next_sync(
    gw: GithubWorld, store: Store, strategy: str
) -> None:
    issue = gw.sim.add_issue(REPO, title="Help", body="It broke.", user="carol")
    sync(store, gw.channel(strategy=strategy, reconcile_hours=24), gw)
    gw.sim.edit_issue(REPO, issue["number"], title="Help: crash on start")
    gw.sim.add_comment(REPO, issue["number"], body="Any news?", user="carol")
    later(gw)
    sync(store, gw.channel(strategy=strategy, reconcile_hours=24), gw)
    got = item(store, gw, f"{REPO}#{issue['number']}")
    assert got.title == "Help: crash on start"
    assert "Any news?" in bodies(store, got.id)

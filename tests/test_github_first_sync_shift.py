"""An issue that leaves the open list while a REST first sync reads one second by page number.

Many open issues share one old ``updated_at`` second (a bulk edit long ago), so the
first sync's walk by key cannot advance and reads that second's issues by page number.
An issue closed, deleted or transferred between two of those requests leaves the list:
every later issue moves up a place, and the one that moved onto a page already read is
never returned. It changed in nothing, so the closing catch-up pass does not bring it
either, and the check for gone issues (``reconcile_hours``, 24 by default) is not due.
After the first sync the queue must hold every open issue all the same (and the one
seen leaving is closed in it, though no list shows a deleted or transferred issue).
"""

from __future__ import annotations

import pytest

from herocli.models import ItemState
from herocli.store import Store, queue
from herocli.store.queue import ItemFilter
from tests.github_fixtures import REPO, GithubWorld, gw_fixture, store_fixture  # noqa: F401
from tests.test_github_sync_cases import sync

ISSUES = 6


def _open_items(store: Store, gw: GithubWorld) -> set[int]:
    found = queue.list_items(store.conn, ItemFilter(states=(), waiting=None), gw.clock.now())
    return {int(i.external_id.rsplit("#", 1)[1]) for i in found if i.state is ItemState.OPEN}


def _open_upstream(gw: GithubWorld) -> set[int]:
    return {n for n, i in gw.sim.repos[REPO].issues.items() if i["state"] == "open"}


@pytest.mark.parametrize("how", ["close", "delete", "transfer"])
@pytest.mark.parametrize("after", range(1, 6))
def test_an_issue_leaving_a_second_read_by_page_number_hides_no_other(
    gw: GithubWorld, store: Store, how: str, after: int
) -> None:
    gw.sim.page_cap = 2
    numbers = [
        gw.sim.add_issue(REPO, title=f"bulk {n}", body="It broke.", user="carol")["number"]
        for n in range(ISSUES)
    ]  # all in one second
    gw.clock.advance(hours=3)  # an old second: the catch-up pass's window is far past it
    leaving = numbers[0]  # the first one read: each later issue moves up a place

    def change() -> None:
        gw.clock.advance(seconds=5)
        if how == "close":
            gw.sim.close_issue(REPO, leaving)
        elif how == "delete":
            gw.sim.delete_issue(REPO, leaving)
        else:
            gw.sim.transfer_issue(REPO, leaving, to="acme/elsewhere")

    gw.sim.after_requests(after, change)
    sync(store, gw.channel(strategy="rest"), gw)  # reconcile_hours at its default
    assert gw.sim._hooks == [], "the change never happened: no test"
    assert _open_upstream(gw) == set(numbers) - {leaving}
    missed = _open_upstream(gw) - _open_items(store, gw)
    assert not missed, f"open upstream, not in the queue: {sorted(missed)}"
    # Seen leaving the second while it was read: closed, as the check would.
    assert _open_items(store, gw) == _open_upstream(gw)

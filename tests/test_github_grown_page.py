"""A list that grew past a full page it had ended on: the 304 of that page is not the end.

GitHub's ETag covers a page's body, not its Link header (the simulator does the same,
tests/test_github_simulator.py). So when the last page of a list was full and the list
then grew, that page still answers 304 to its old ETag, and only the 304's Link header
says a next page is there now. A sync that went on from where it went last time (the
end) would miss the new issue, and every later sync would too, for nothing it reads
changes.
"""

from __future__ import annotations

from typing import Any

from herocli.config import TeamSettings
from herocli.exchange import SilentProgress
from herocli.models import TeamMember
from herocli.services.sync import sync_channel
from herocli.store import Store, queue
from herocli.store.queue import ItemFilter
from tests.github_fixtures import REPO, GithubWorld, gw_fixture, store_fixture  # noqa: F401

TEAM = TeamSettings(members=(TeamMember("Hana", github="hana"),))


def _sync(store: Store, gw: GithubWorld, strategy: str) -> None:
    channel = gw.channel(strategy=strategy)
    try:
        result = sync_channel(store, channel, TEAM, gw.clock, SilentProgress())
    finally:
        channel.shutdown()
    assert result.error is None, result.error


def _titles(store: Store, gw: GithubWorld) -> set[str]:
    found = queue.list_items(store.conn, ItemFilter(states=(), waiting=None), gw.clock.now())
    return {i.title for i in found}


def _statuses(gw: GithubWorld, path: str) -> list[int]:
    return [r.status for r in gw.sim.requests if r.path.endswith(path)]


def test_a_new_issue_past_a_full_last_page_that_answers_304_is_read(
    gw: GithubWorld, store: Store
) -> None:
    gw.sim.page_cap = 2  # the incremental pass's first page: the two issues, full
    gw.issue("A")
    gw.issue("B")
    _sync(store, gw, "rest")
    gw.clock.advance(seconds=20)
    _sync(store, gw, "rest")  # nothing changed: its pages' ETags are the ones kept
    gw.clock.advance(seconds=20)
    gw.sim.clear_log()
    gw.sim.add_issue(REPO, title="C", body="Please help.", user="dave")
    _sync(store, gw, "rest")
    assert 304 in _statuses(gw, "/issues"), "the full page did not answer 304: no test"
    assert _titles(store, gw) == {"A", "B", "C"}


def test_a_304_whose_link_has_no_next_page_costs_nothing_more(
    gw: GithubWorld, store: Store
) -> None:
    gw.sim.page_cap = 2
    gw.issue("A")
    gw.issue("B")
    _sync(store, gw, "rest")
    gw.clock.advance(seconds=20)
    _sync(store, gw, "rest")
    gw.clock.advance(seconds=20)
    gw.sim.clear_log()
    _sync(store, gw, "rest")
    counted: list[Any] = [r for r in gw.sim.requests if r.counted]
    assert counted == [], f"an unchanged sync spent {[(r.path, r.query) for r in counted]}"


def test_a_new_repository_past_a_full_last_page_of_the_org_is_synced(
    gw: GithubWorld, store: Store
) -> None:
    gw.sim.page_cap = 2
    gw.sim.add_repo("acme/gadget")  # with acme/widget: the org's one page, full
    gw.issue("A")
    channel = gw.channel(repos=(), orgs=("acme",))
    for _ in range(2):
        result = sync_channel(store, channel, TEAM, gw.clock, SilentProgress())
        assert result.error is None, result.error
        gw.clock.advance(minutes=5)
    gw.sim.clear_log()
    gw.sim.add_repo("acme/zeta")
    gw.sim.add_issue("acme/zeta", title="New here", body="Where do I start?", user="erin")
    result = sync_channel(store, channel, TEAM, gw.clock, SilentProgress())
    channel.shutdown()
    assert result.error is None, result.error
    assert 304 in _statuses(gw, "/orgs/acme/repos"), "the org's page did not answer 304: no test"
    assert _titles(store, gw) == {"A", "New here"}

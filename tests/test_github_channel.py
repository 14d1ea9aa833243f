"""The GitHub channel against the GitHub simulator over real sockets, with a fake clock."""

from __future__ import annotations

import pytest

from herocli.errors import ChannelError, NotFoundError, RateLimitedError
from herocli.exchange import CloseReason, OutgoingReply, Thread
from herocli.models import RemoteState, TeamMember
from tests.contract import ChannelContract
from tests.github_fixtures import (  # noqa: F401
    REPO,
    GithubContractBackend,
    GithubWorld,
    RecordingProgress,
    gw_fixture,
    run,
)


class TestGithubContract(ChannelContract):
    @pytest.fixture
    def backend(self, gw: GithubWorld) -> GithubContractBackend:
        return GithubContractBackend(gw)


def thread(number: int) -> Thread:
    return Thread(item_id=1, external_id=f"{REPO}#{number}", title="t", url=None, messages=())


def by_id(conversations: list) -> dict:  # type: ignore[type-arg]
    """The issue conversations by id (not the comment-only ones a REST sync adds)."""
    return {c.external_id: c for c in conversations if not c.join_only}


# ---------------------------------------------------------------------- first sync
@pytest.mark.parametrize("strategy", ["graphql", "rest"])
def test_first_sync_brings_open_issues_with_comments(gw: GithubWorld, strategy: str) -> None:
    a = gw.issue("Crash", "It crashes.", author_association="NONE")
    gw.comment(a["number"], "Which version?", user="ravi", author_association="MEMBER")
    gw.comment(a["number"], "2.3.1", user="carol")
    gw.issue("Closed one", state="closed")
    b = gw.issue("Proxy", "Behind a proxy.")
    conversations, cursor = run(gw.channel(strategy=strategy), {})
    found = by_id(conversations)
    assert set(found) == {f"{REPO}#{a['number']}", f"{REPO}#{b['number']}"}
    crash = found[f"{REPO}#{a['number']}"]
    messages = sorted(
        {
            m.external_id: m
            for c in conversations
            if c is crash or c.external_id == crash.external_id
            for m in c.messages
        }.values(),
        key=lambda m: m.sent_at,
    )
    assert [m.body for m in messages] == ["It crashes.", "Which version?", "2.3.1"]
    assert messages[0].external_id == f"issue:{a['id']}"
    assert messages[1].external_id.startswith("comment:")
    assert [m.team_hint for m in messages] == [None, True, None]
    assert messages[0].url == a["html_url"]
    assert crash.remote_state is RemoteState.OPEN
    assert cursor["repos"][REPO]["since"]


def test_graphql_first_sync_is_one_query_per_hundred_issues(gw: GithubWorld) -> None:
    for n in range(150):
        gw.sim.add_issue(REPO, title=f"issue {n}", user="carol")
    busy = gw.sim.add_issue(REPO, title="busy", user="carol")
    for n in range(130):
        gw.sim.add_comment(REPO, busy["number"], body=f"c{n}", user="carol")
    # Read a second later: what changed in the second of the read is read again.
    gw.clock.advance(seconds=1)
    gw.sim.clear_log()
    conversations, _ = run(gw.channel(strategy="graphql"), {})
    assert len({c.external_id for c in conversations}) == 151
    [busy_conv] = [c for c in conversations if c.title == "busy"]
    assert len(busy_conv.messages) == 131
    graphql = [r for r in gw.sim.requests if r.resource == "graphql"]
    assert [r.operation for r in graphql] == [
        "HeroOpenIssues",
        "HeroIssueComments",
        "HeroOpenIssues",
    ] or [r.operation for r in graphql] == ["HeroOpenIssues", "HeroOpenIssues", "HeroIssueComments"]


def test_rest_first_sync_pages_by_hundred(gw: GithubWorld) -> None:
    for n in range(250):
        issue = gw.sim.add_issue(REPO, title=f"issue {n}", user="carol")
        gw.sim.add_comment(REPO, issue["number"], body="me too", user="dave")
    gw.sim.clear_log()
    conversations, _ = run(gw.channel(strategy="rest"), {})
    assert len({c.external_id for c in conversations}) == 250
    # Before the catch-up pass, which reads from a minute before the start.
    catch_up = next(
        i for i, r in enumerate(gw.sim.requests) if r.query.get("since", "").endswith("59:00Z")
    )
    first = gw.sim.requests[:catch_up]
    lists = [r for r in first if r.query.get("state") == "open"]
    comments = [r for r in first if r.path.endswith("/issues/comments")]
    # All 250 share one second: nothing is older than the first page, so the list
    # goes on from that second by page number, without asking for the first page again;
    # then that second is read once more by page number, which agrees: nothing left it.
    assert len(lists) == 6
    assert [r.query.get("page") for r in lists] == [None, "2", "3", None, "2", "3"]
    second = lists[1].query["since"]
    assert [r.query.get("since") for r in lists[3:]] == [second] * 3
    assert len(comments) == 3
    assert all(r.query["per_page"] == "100" for r in lists + comments)


def test_interrupted_graphql_first_sync_resumes_where_it_stopped(gw: GithubWorld) -> None:
    for n in range(250):
        gw.sim.add_issue(REPO, title=f"issue {n}", user="carol")
    gw.clock.advance(seconds=1)  # not the second of the read, which the catch-up reads again
    channel = gw.channel(strategy="graphql", max_rate_limit_wait=5)
    pages = []
    fetch = channel.fetch({}, RecordingProgress())
    pages.append(next(fetch))
    # The first page is through; the limit hits the second query.
    gw.sim.inject("secondary_rate_limit", path="graphql", retry_after=600, times=1)
    with pytest.raises(RateLimitedError) as caught:
        pages.append(next(fetch))
    assert caught.value.retry_after == 600
    cursor = pages[-1].cursor
    assert "since" not in cursor["repos"][REPO]
    rest, _ = run(gw.channel(strategy="graphql"), cursor)
    before = {c.title for c in pages[0].conversations}
    after = {c.title for c in rest}
    assert len(before) == 100
    assert len(before | after) == 250
    assert not before & after


# ---------------------------------------------------------------------- pull requests
def test_pull_requests_are_left_out_by_default(gw: GithubWorld) -> None:
    gw.issue("Real issue")
    gw.issue("A pull request", is_pull_request=True)
    # A null pull_request.url is not a pull request.
    gw.issue("Odd issue", pull_request={"url": None})
    for strategy in ("rest", "graphql"):
        conversations, _ = run(gw.channel(strategy=strategy), {})
        titles = {c.title for c in conversations}
        assert "A pull request" not in titles
        assert "Real issue" in titles
    conversations, _ = run(gw.channel(strategy="rest"), {})
    assert "Odd issue" in {c.title for c in conversations}
    conversations, _ = run(gw.channel(include_pull_requests=True), {})
    assert "A pull request" in {c.title for c in conversations}


def test_labels_include_and_exclude(gw: GithubWorld) -> None:
    gw.issue("bug", labels=["bug"])
    gw.issue("question", labels=["Question"])
    gw.issue("spam", labels=["bug", "spam"])
    conversations, _ = run(
        gw.channel(labels_include=("bug", "question"), labels_exclude=("spam",)), {}
    )
    assert {c.title for c in conversations} == {"bug", "question"}


# ---------------------------------------------------------------------- incremental sync
def test_closed_and_reopened_upstream(gw: GithubWorld) -> None:
    issue = gw.issue("Flaky")
    channel = gw.channel()
    _, cursor = run(channel, {})
    gw.clock.advance(minutes=5)
    gw.sim.close_issue(REPO, issue["number"], "not_planned")
    conversations, cursor = run(channel, cursor)
    assert [(c.external_id, c.remote_state) for c in conversations] == [
        (f"{REPO}#{issue['number']}", RemoteState.CLOSED)
    ]
    gw.clock.advance(minutes=5)
    gw.sim.reopen_issue(REPO, issue["number"])
    conversations, cursor = run(channel, cursor)
    assert [c.remote_state for c in conversations] == [RemoteState.OPEN]


def test_comment_edits_come_back_with_edited_at(gw: GithubWorld) -> None:
    issue = gw.issue()
    comment = gw.comment(issue["number"], "first words")
    channel = gw.channel()
    _, cursor = run(channel, {})
    gw.clock.advance(minutes=3)
    gw.sim.edit_comment(REPO, comment["id"], "better words")
    conversations, _ = run(channel, cursor)
    [message] = [
        m for c in conversations for m in c.messages if m.external_id == f"comment:{comment['id']}"
    ]
    assert message.body == "better words"
    assert message.edited_at == gw.clock.now()


def test_since_overlap_is_asked_again_but_not_yielded_twice(gw: GithubWorld) -> None:
    issue = gw.issue()
    channel = gw.channel()
    _, cursor = run(channel, {})
    gw.clock.advance(seconds=10)
    first = gw.sim.add_comment(REPO, issue["number"], body="one", user="carol")
    gw.clock.advance(seconds=1)  # read a second after it was written, so it is settled
    conversations, cursor = run(channel, cursor)
    assert [
        m.body for c in conversations for m in c.messages if m.external_id.startswith("comment:")
    ] == ["one"]
    gw.clock.advance(seconds=10)
    gw.sim.add_comment(REPO, issue["number"], body="two", user="carol")
    gw.sim.clear_log()
    conversations, cursor = run(channel, cursor)
    comments = [
        m.body for c in conversations for m in c.messages if m.external_id.startswith("comment:")
    ]
    assert comments == ["two"]
    # The request did reach back over "one" (the overlap) and dropped it.
    asked = [r for r in gw.sim.requests if r.path.endswith("/issues/comments")]
    assert asked[0].query["since"] <= first["updated_at"]
    assert cursor["repos"][REPO]["since"] > first["updated_at"]


def test_unchanged_resync_costs_only_304s(gw: GithubWorld) -> None:
    issue = gw.issue()
    gw.comment(issue["number"], "hi")
    channel = gw.channel()
    _, cursor = run(channel, {})
    gw.clock.advance(minutes=10)
    gw.sim.clear_log()
    conversations, again = run(channel, cursor)
    assert conversations == []
    assert [r.status for r in gw.sim.requests] == [304, 304]
    assert gw.sim.counted() == 0
    # Nothing moved but the second of the last read.
    assert again["repos"][REPO]["read"] > cursor["repos"][REPO]["read"]
    assert {**again["repos"][REPO], "read": None} == {**cursor["repos"][REPO], "read": None}
    gw.comment(issue["number"], "news")
    gw.sim.clear_log()
    conversations, _ = run(channel, again)
    assert [
        m.body for c in conversations for m in c.messages if m.external_id.startswith("comment:")
    ] == ["news"]
    assert len(gw.sim.requests) <= 3


def test_orgs_list_repos_and_skip_archived(gw: GithubWorld) -> None:
    gw.sim.add_repo("acme/old", archived=True)
    gw.sim.add_repo("acme/gadget")
    gw.sim.add_issue("acme/old", title="old", user="carol")
    gw.sim.add_issue("acme/gadget", title="gadget", user="carol")
    gw.issue("widget")
    channel = gw.channel(repos=(), orgs=("acme",))
    conversations, cursor = run(channel, {})
    assert {c.title for c in conversations} == {"widget", "gadget"}
    gw.sim.clear_log()
    run(channel, cursor)
    assert gw.sim.counted() == 0


# ---------------------------------------------------------------------- rate limits and failures
def test_primary_rate_limit_waits_until_reset(gw: GithubWorld) -> None:
    gw.issue()
    gw.sim.inject("primary_rate_limit", reset_in=30)
    progress = RecordingProgress()
    conversations, _ = run(gw.channel(strategy="rest"), {}, progress)
    assert len(conversations) == 1
    assert [w for w, _ in progress.waits] == [31.0]
    assert 31.0 in gw.clock.sleeps


def test_graphql_primary_rate_limit_in_the_body_waits_until_reset(gw: GithubWorld) -> None:
    gw.issue()
    gw.sim.inject("primary_rate_limit", reset_in=45, path="graphql")
    progress = RecordingProgress()
    conversations, _ = run(gw.channel(strategy="graphql"), {}, progress)
    assert len(conversations) == 1
    assert [w for w, _ in progress.waits] == [46.0]
    assert gw.sim.requests[0].status == 200


@pytest.mark.parametrize(
    ("status", "retry_after", "expected"), [(429, 7, 7.0), (403, 12, 12.0), (403, None, 60.0)]
)
def test_secondary_rate_limit_honours_retry_after(
    gw: GithubWorld, status: int, retry_after: int | None, expected: float
) -> None:
    gw.issue()
    gw.sim.inject("secondary_rate_limit", status=status, retry_after=retry_after)
    progress = RecordingProgress()
    conversations, _ = run(gw.channel(strategy="rest"), {}, progress)
    assert len(conversations) == 1
    assert [w for w, _ in progress.waits] == [expected]
    assert expected in gw.clock.sleeps


def test_secondary_rate_limit_on_an_empty_window_waits_for_its_reset(gw: GithubWorld) -> None:
    """No retry-after, and x-ratelimit-remaining 0: not before x-ratelimit-reset (GitHub's
    "Rate limits for the REST API"), here 90 s away, rather than the default minute."""
    gw.issue()
    gw.sim.inject("secondary_rate_limit", status=403, remaining=0, reset_in=90)
    progress = RecordingProgress()
    conversations, _ = run(gw.channel(strategy="rest"), {}, progress)
    assert len(conversations) == 1
    assert [w for w, _ in progress.waits] == [91.0]


def test_a_wait_longer_than_the_maximum_stops_with_the_cursor_intact(gw: GithubWorld) -> None:
    issue = gw.issue()
    channel = gw.channel(max_rate_limit_wait=120)
    _, cursor = run(channel, {})
    gw.comment(issue["number"], "still broken")
    gw.sim.inject("primary_rate_limit", reset_in=3000, path="issues/comments")
    pages = []
    with pytest.raises(RateLimitedError) as caught:
        pages.extend(channel.fetch(cursor, RecordingProgress()))
    assert pages == []
    assert caught.value.retry_after > 120
    assert "max_rate_limit_wait" in caught.value.message
    # The next `hero sync` (a new process) picks it up.
    conversations, _ = run(gw.channel(max_rate_limit_wait=120), cursor)
    assert "still broken" in [m.body for c in conversations for m in c.messages]


@pytest.mark.parametrize("strategy", ["graphql", "rest"])
def test_unknown_repo_is_named(gw: GithubWorld, strategy: str) -> None:
    with pytest.raises(NotFoundError) as caught:
        run(gw.channel(repos=("acme/nope",), strategy=strategy), {})
    assert "acme/nope" in caught.value.message
    assert "not found" in caught.value.message


def test_unknown_org_is_named(gw: GithubWorld) -> None:
    with pytest.raises(NotFoundError, match="nobody"):
        run(gw.channel(repos=(), orgs=("nobody",)), {})


def test_server_errors_are_retried(gw: GithubWorld) -> None:
    gw.issue()
    gw.sim.inject("server_error", status=502, times=2)
    conversations, _ = run(gw.channel(), {})
    assert len(conversations) == 1
    assert gw.clock.sleeps[:2] == [1.0, 2.0]


def test_server_errors_that_persist_are_reported(gw: GithubWorld) -> None:
    gw.issue()
    gw.sim.inject("server_error", status=503, times=10)
    with pytest.raises(ChannelError) as caught:
        run(gw.channel(), {})
    assert "503" in caught.value.message
    assert len(gw.sim.requests) == 4


# ---------------------------------------------------------------------- writes
def test_reply_carries_a_marker_that_fetch_strips(gw: GithubWorld) -> None:
    issue = gw.issue()
    channel = gw.channel()
    _, cursor = run(channel, {})
    reply = OutgoingReply(key="outbox-7", body="Fixed in 2.4.")
    sent = channel.send_reply(thread(issue["number"]), reply)
    [remote] = gw.sim.comments_of(REPO, issue["number"])
    assert remote["body"] == "Fixed in 2.4.\n\n<!-- hero:outbox-7 -->"
    assert sent.external_id == f"comment:{remote['id']}"
    assert sent.url == remote["html_url"]
    assert channel.find_sent(thread(issue["number"]), reply) == sent
    assert channel.find_sent(thread(issue["number"]), OutgoingReply(key="other", body="x")) is None
    gw.clock.advance(minutes=1)
    conversations, _ = run(channel, cursor)
    [message] = [m for c in conversations for m in c.messages if m.external_id == sent.external_id]
    assert message.body == "Fixed in 2.4."


def test_retry_after_crash_between_post_and_sent_posts_once(gw: GithubWorld) -> None:
    issue = gw.issue()
    for n in range(230):
        gw.sim.add_comment(REPO, issue["number"], body=f"noise {n}", user="carol")
    channel = gw.channel()
    reply = OutgoingReply(key="k-1", body="On it.")
    channel.send_reply(thread(issue["number"]), reply)  # the process dies here
    again = gw.channel()
    found = again.find_sent(thread(issue["number"]), reply)
    assert found is not None
    assert sum("On it." in c["body"] for c in gw.sim.comments_of(REPO, issue["number"])) == 1


def test_close_reopen_assign_label(gw: GithubWorld) -> None:
    issue = gw.issue(labels=["triage"])
    n = issue["number"]
    channel = gw.channel()
    channel.close(thread(n), CloseReason.NOT_PLANNED)
    assert (gw.sim.issue(REPO, n)["state"], gw.sim.issue(REPO, n)["state_reason"]) == (
        "closed",
        "not_planned",
    )
    channel.close(thread(n), CloseReason.COMPLETED)
    assert gw.sim.issue(REPO, n)["state_reason"] == "completed"
    channel.reopen(thread(n))
    assert gw.sim.issue(REPO, n)["state"] == "open"
    channel.assign(thread(n), TeamMember("Hana", github="hana"))
    channel.assign(thread(n), TeamMember("Noor"))  # no login: nothing to do
    assert [a["login"] for a in gw.sim.issue(REPO, n)["assignees"]] == ["hana"]
    channel.set_labels(thread(n), add=("bug", "p1"), remove=("triage", "absent"))
    assert [x["name"] for x in gw.sim.issue(REPO, n)["labels"]] == ["bug", "p1"]
    assert channel.mention(TeamMember("Hana", github="hana")) == "@hana"
    assert channel.mention(TeamMember("Noor")) is None
    writes = [r for r in gw.sim.requests if r.method != "GET"]
    assert all(w.status < 300 or w.status == 404 for w in writes)
    # Writes are spaced at least a second apart, on the injected clock.
    assert gw.clock.sleeps
    assert all(s <= 1.0 for s in gw.clock.sleeps)


def test_post_to_an_issue_and_find_it(gw: GithubWorld) -> None:
    issue = gw.issue()
    channel = gw.channel()
    target = f"{REPO}#{issue['number']}"
    assert channel.find_posted(target, "h-1") is None
    sent = channel.post(target, "Handoff: @ravi takes over.", "h-1")
    assert channel.find_posted(target, "h-1") == sent
    with pytest.raises(NotFoundError):
        channel.post(f"{REPO}#999", "x", "h-2")
    with pytest.raises(ChannelError):
        channel.post("not-a-target", "x", "h-3")

"""The GitHub simulator speaks the documented REST and GraphQL shapes over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from herocli.channels.github.queries import ISSUE_COMMENTS, OPEN_ISSUES
from herocli.simulators.github import DEMO_SEED, GithubSimulator
from tests.clock import FakeClock

TOKEN = "sim-token"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sim(clock: FakeClock) -> Iterator[GithubSimulator]:
    with GithubSimulator(seed=DEMO_SEED, tokens={TOKEN: "hana"}, clock=clock) as s:
        yield s


@pytest.fixture
def http(sim: GithubSimulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sim.url, headers={"Authorization": f"Bearer {TOKEN}"}) as client:
        yield client


def test_demo_seed_is_shaped_like_the_api(http: httpx.Client) -> None:
    issues = http.get("/repos/acme/widget/issues", params={"state": "all"}).json()
    assert {i["number"] for i in issues} == {39, 41, 42, 43, 44}
    crash = next(i for i in issues if i["number"] == 41)
    assert crash["user"]["login"] == "mkowalski"
    assert crash["author_association"] == "NONE"
    assert crash["labels"][0]["name"] == "bug"
    assert crash["html_url"].endswith("/acme/widget/issues/41")
    assert crash["created_at"].endswith("Z")
    assert crash["comments"] == 2
    pr = next(i for i in issues if i["number"] == 44)
    assert pr["pull_request"]["url"]
    comments = http.get("/repos/acme/widget/issues/41/comments").json()
    assert [c["user"]["login"] for c in comments] == ["ravi", "mkowalski"]
    assert comments[0]["issue_url"].endswith("/repos/acme/widget/issues/41")


def test_state_sort_direction_since(http: httpx.Client, sim: GithubSimulator) -> None:
    open_desc = http.get("/repos/acme/widget/issues").json()
    assert [i["number"] for i in open_desc] == [44, 42, 41, 43]
    asc = http.get("/repos/acme/widget/issues", params={"direction": "asc"}).json()
    assert [i["number"] for i in asc] == [43, 41, 42, 44]
    closed = http.get("/repos/acme/widget/issues", params={"state": "closed"}).json()
    assert [i["number"] for i in closed] == [39]
    since = http.get(
        "/repos/acme/widget/issues", params={"state": "all", "since": "2026-11-25T00:00:00Z"}
    ).json()
    assert {i["number"] for i in since} == {41, 42, 44}
    by_label = http.get("/repos/acme/widget/issues", params={"labels": "docs"}).json()
    assert [i["number"] for i in by_label] == [43]
    repo_comments = http.get(
        "/repos/acme/widget/issues/comments",
        params={"since": "2026-11-24T00:00:00Z", "sort": "updated", "direction": "asc"},
    ).json()
    assert [c["body"][:5] for c in repo_comments] == ["Thank", "widge"]
    assert http.get("/repos/acme/widget/issues", params={"state": "bogus"}).status_code == 422


def test_pagination_links(http: httpx.Client, sim: GithubSimulator) -> None:
    for n in range(250):
        sim.add_issue("acme/widget", title=f"n{n}")
    first = http.get("/repos/acme/widget/issues", params={"per_page": 100})
    assert len(first.json()) == 100
    # Links name the repository by its id, as GitHub's do.
    repo_id = http.get("/repos/acme/widget").json()["id"]
    assert f"/repositories/{repo_id}/issues?" in first.links["next"]["url"]
    assert first.links["next"]["url"].endswith("page=2")
    assert first.links["last"]["url"].endswith("page=3")
    last = http.get(first.links["last"]["url"])
    assert len(last.json()) == 254 - 200
    assert "next" not in last.links
    assert last.links["prev"]["url"].endswith("page=2")
    capped = http.get("/repos/acme/widget/issues", params={"per_page": 500})
    assert len(capped.json()) == 100


def test_etag_304_does_not_spend_rate_limit(http: httpx.Client, sim: GithubSimulator) -> None:
    first = http.get("/repos/acme/widget/issues")
    remaining = int(first.headers["x-ratelimit-remaining"])
    assert first.headers["x-ratelimit-resource"] == "core"
    assert int(first.headers["x-ratelimit-limit"]) == 5000
    assert int(first.headers["x-ratelimit-used"]) == 5000 - remaining
    again = http.get("/repos/acme/widget/issues", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert int(again.headers["x-ratelimit-remaining"]) == remaining
    sim.add_comment("acme/widget", 42, body="bump")
    changed = http.get(
        "/repos/acme/widget/issues", headers={"If-None-Match": first.headers["etag"]}
    )
    assert changed.status_code == 200
    assert int(changed.headers["x-ratelimit-remaining"]) == remaining - 1
    assert [(r.status, r.counted) for r in sim.requests] == [(200, True), (304, False), (200, True)]
    limits = http.get("/rate_limit").json()
    assert limits["resources"]["core"]["used"] >= 2


def test_etag_is_of_the_body_and_a_304_carries_the_link_of_now(
    http: httpx.Client, sim: GithubSimulator, clock: FakeClock
) -> None:
    """GitHub's ETag hashes the page's body, not its Link header: a full page whose list
    grew past it answers 304, and only that 304's Link says a next page is there now."""
    sim.page_cap = 4  # the open issues fill one page exactly
    query = {"sort": "created", "direction": "asc", "per_page": 100}
    full = http.get("/repos/acme/widget/issues", params=query)
    assert len(full.json()) == 4
    assert "next" not in full.links
    clock.advance(days=10)  # after the demo seed's last activity
    sim.add_issue("acme/widget", title="on the next page")
    again = http.get(
        "/repos/acme/widget/issues", params=query, headers={"If-None-Match": full.headers["etag"]}
    )
    assert again.status_code == 304
    assert again.headers["etag"] == full.headers["etag"]
    assert again.links["next"]["url"].endswith("page=2")
    assert again.content == b""


def test_writes(http: httpx.Client, sim: GithubSimulator, clock: FakeClock) -> None:
    clock.advance(days=10)  # after the demo seed's last activity
    posted = http.post("/repos/acme/widget/issues/42/comments", json={"body": "Set HTTPS_PROXY."})
    assert posted.status_code == 201
    assert posted.json()["user"]["login"] == "hana"
    assert sim.issue("acme/widget", 42)["updated_at"] == posted.json()["created_at"]
    assert http.post("/repos/acme/widget/issues/42/comments", json={}).status_code == 422
    closed = http.patch(
        "/repos/acme/widget/issues/42", json={"state": "closed", "state_reason": "not_planned"}
    )
    assert (closed.json()["state"], closed.json()["state_reason"]) == ("closed", "not_planned")
    assert closed.json()["closed_at"]
    labels = http.post("/repos/acme/widget/issues/42/labels", json={"labels": ["proxy"]}).json()
    assert [x["name"] for x in labels] == ["question", "proxy"]
    assert http.delete("/repos/acme/widget/issues/42/labels/question").status_code == 200
    assert http.delete("/repos/acme/widget/issues/42/labels/absent").status_code == 404
    assigned = http.post("/repos/acme/widget/issues/42/assignees", json={"assignees": ["ravi"]})
    assert [a["login"] for a in assigned.json()["assignees"]] == ["ravi"]
    unassigned = http.request(
        "DELETE", "/repos/acme/widget/issues/42/assignees", json={"assignees": ["ravi"]}
    )
    assert unassigned.json()["assignees"] == []
    assert http.get("/user").json()["login"] == "hana"


def test_not_found_and_bad_credentials(http: httpx.Client, sim: GithubSimulator) -> None:
    missing = http.get("/repos/acme/nope/issues")
    assert missing.status_code == 404
    assert missing.json()["message"] == "Not Found"
    bad = httpx.get(f"{sim.url}/repos/acme/widget/issues", headers={"Authorization": "token nope"})
    assert bad.status_code == 401
    assert bad.json()["message"] == "Bad credentials"
    assert not sim.requests[-1].counted


def test_injected_faults(http: httpx.Client, sim: GithubSimulator, clock: FakeClock) -> None:
    sim.inject("primary_rate_limit", reset_in=120)
    primary = http.get("/repos/acme/widget/issues")
    assert primary.status_code == 403
    assert primary.headers["x-ratelimit-remaining"] == "0"
    assert int(primary.headers["x-ratelimit-reset"]) == int(clock.now().timestamp()) + 120
    sim.inject("secondary_rate_limit", status=429, retry_after=30)
    secondary = http.get("/repos/acme/widget/issues")
    assert (secondary.status_code, secondary.headers["retry-after"]) == (429, "30")
    assert "secondary rate limit" in secondary.json()["message"]
    assert secondary.headers["x-ratelimit-remaining"] != "0"  # the window itself is not spent
    sim.inject("secondary_rate_limit", remaining=0, reset_in=90)
    empty = http.get("/repos/acme/widget/issues")
    assert (empty.status_code, empty.headers["x-ratelimit-remaining"]) == (403, "0")
    assert int(empty.headers["x-ratelimit-reset"]) == int(clock.now().timestamp()) + 90
    assert "retry-after" not in empty.headers
    assert set(empty.json()) >= {"message", "documentation_url"}
    sim.inject("server_error", status=503, times=2, path=r"/comments$")
    assert http.get("/repos/acme/widget/issues").status_code == 200
    assert http.get("/repos/acme/widget/issues/41/comments").status_code == 503
    assert http.get("/repos/acme/widget/issues/41/comments").status_code == 503
    assert http.get("/repos/acme/widget/issues/41/comments").status_code == 200
    sim.inject("bad_credentials")
    assert http.get("/repos/acme/widget").status_code == 401
    sim.inject("not_found", method="GET")
    assert http.get("/repos/acme/widget").status_code == 404
    with pytest.raises(ValueError, match="unknown fault"):
        sim.inject("gremlins")


def test_org_repos(http: httpx.Client, sim: GithubSimulator) -> None:
    sim.add_repo("acme/attic", archived=True)
    repos = http.get("/orgs/acme/repos").json()
    assert [(r["full_name"], r["archived"]) for r in repos] == [
        ("acme/attic", True),
        ("acme/widget", False),
    ]
    assert http.get("/orgs/nobody/repos").status_code == 404


def test_graphql_open_issues_and_comment_pages(http: httpx.Client, sim: GithubSimulator) -> None:
    for n in range(3):
        sim.add_comment("acme/widget", 42, body=f"c{n}")
    variables = {"owner": "acme", "name": "widget", "first": 2, "commentsFirst": 1, "after": None}
    page = http.post("/graphql", json={"query": OPEN_ISSUES, "variables": variables}).json()
    issues = page["data"]["repository"]["issues"]
    assert issues["totalCount"] == 3  # no pull requests, no closed issues
    assert [n["number"] for n in issues["nodes"]] == [43, 41]
    assert issues["pageInfo"]["hasNextPage"]
    variables["after"] = issues["pageInfo"]["endCursor"]
    nxt = http.post("/graphql", json={"query": OPEN_ISSUES, "variables": variables}).json()
    [proxy] = nxt["data"]["repository"]["issues"]["nodes"]
    assert proxy["number"] == 42
    assert proxy["comments"]["totalCount"] == 3
    assert proxy["comments"]["pageInfo"]["hasNextPage"]
    more = http.post(
        "/graphql",
        json={
            "query": ISSUE_COMMENTS,
            "variables": {
                "owner": "acme",
                "name": "widget",
                "number": 42,
                "first": 100,
                "after": proxy["comments"]["pageInfo"]["endCursor"],
            },
        },
    ).json()
    assert [c["body"] for c in more["data"]["repository"]["issue"]["comments"]["nodes"]] == [
        "c1",
        "c2",
    ]
    assert sim.requests[-1].resource == "graphql"
    assert sim.requests[-1].operation == "HeroIssueComments"
    gone = http.post(
        "/graphql", json={"query": OPEN_ISSUES, "variables": {**variables, "name": "nope"}}
    ).json()
    assert gone["errors"][0]["type"] == "NOT_FOUND"

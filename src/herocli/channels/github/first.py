"""A repository's first sync: every open issue with its comments, resumable page by page.

* ``graphql``: 100 open issues a query with their first 100 comments nested,
  and a follow-up query only for issues with more comments. ``first.after``
  is the cursor to go on from.
* ``rest``: the open issues by key (``walk.py``), each second the walk read by
  page number read again until two reads agree (``again``: an issue that left
  the list meanwhile hid the one that moved up a page), then the repo-wide
  comment list by key from the oldest open issue's creation (older comments
  cannot belong to an open issue). ``first.phase`` and ``first.pos`` say where to go
  on from, so a sync killed half-way (or stopped by a rate limit) asks only
  for the pages it had not committed.

Both mark ``first.started`` by GitHub's clock; the incremental pass that
follows reads what changed from then on.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

from herocli.channels.github.client import GithubClient, GithubNotFound
from herocli.channels.github.convert import (
    comments_conversation,
    gql_conversation,
    gql_message,
    parse_time,
    rest_comment_message,
    rest_conversation,
    rest_issue_message,
)
from herocli.channels.github.issues import (
    OVERLAP,
    PAGE,
    IssueReader,
    Remember,
    issue_number,
    known_open,
    set_known,
)
from herocli.channels.github.queries import ISSUE_COMMENTS, OPEN_ISSUES
from herocli.channels.github.reconcile import left_open
from herocli.channels.github.walk import second_pages, start, walk
from herocli.errors import HeroError
from herocli.exchange import Conversation, FetchPage, SyncProgress
from herocli.models import JSON, Message

GraphqlData = Callable[[str, str, JSON, SyncProgress], Any]


class FirstSync:
    def __init__(
        self,
        client: GithubClient,
        reader: IssueReader,
        graphql_data: GraphqlData,
        not_found: Callable[[str], HeroError],
    ) -> None:
        self.client = client
        self.reader = reader
        self.graphql_data = graphql_data
        self.not_found = not_found

    def _started(self, first: JSON) -> None:
        """Mark the first sync's start by GitHub's clock, from its first answer."""
        first.setdefault("started", self.client.server_now().strftime("%Y-%m-%dT%H:%M:%SZ"))

    def _remember(self, rc: JSON) -> Remember:
        """What a first sync returns inside the catch-up window, so the catch-up skips it."""
        since = parse_time(rc["first"]["started"]) - OVERLAP
        return Remember(rc.setdefault("seen", {}), since)

    # ------------------------------------------------------------------ GraphQL
    def graphql(
        self, repo: str, rc: JSON, state: JSON, progress: SyncProgress
    ) -> Iterator[FetchPage]:
        first: JSON = rc["first"]
        known = known_open(rc)
        counts: JSON = rc.setdefault("counts", {})
        owner, name = repo.split("/")
        done = first.get("done", 0)
        while True:
            variables = {
                "owner": owner,
                "name": name,
                "first": PAGE,
                "commentsFirst": PAGE,
                "after": first.get("after"),
            }
            data = self.graphql_data(repo, OPEN_ISSUES, variables, progress)
            self._started(first)
            remember = self._remember(rc)
            issues = data["repository"]["issues"]
            conversations = []
            for node in issues["nodes"]:
                nodes = self._all_comments(repo, node, progress)
                labels = [x["name"] for x in node["labels"]["nodes"]]
                if not self.reader.in_scope(labels):
                    continue
                remember(f"issue:{node['databaseId']}", node["updatedAt"])
                for c in nodes:
                    remember(f"comment:{c['databaseId']}", c["updatedAt"])
                messages = [gql_message(node, "issue", self.reader.authors)]
                messages += [gql_message(c, "comment", self.reader.authors) for c in nodes]
                conversations.append(gql_conversation(repo, node, messages))
                known.add(node["number"])
                counts[str(node["number"])] = len(nodes)
            done += len(issues["nodes"])
            set_known(rc, known)
            first["done"] = done
            first["after"] = issues["pageInfo"]["endCursor"] or first.get("after")
            progress.update(
                f"GitHub {repo}: first sync", completed=done, total=issues["totalCount"]
            )
            if conversations or issues["pageInfo"]["hasNextPage"]:
                yield FetchPage(tuple(conversations), copy.deepcopy(state))
            if not issues["pageInfo"]["hasNextPage"]:
                return

    def _all_comments(self, repo: str, node: JSON, progress: SyncProgress) -> list[JSON]:
        owner, name = repo.split("/")
        comments = node["comments"]
        nodes = list(comments["nodes"])
        after = comments["pageInfo"]["endCursor"]
        more = comments["pageInfo"]["hasNextPage"]
        while more:
            variables = {
                "owner": owner,
                "name": name,
                "number": node["number"],
                "first": PAGE,
                "after": after,
            }
            extra = self.graphql_data(repo, ISSUE_COMMENTS, variables, progress)
            page = extra["repository"]["issue"]["comments"]
            nodes.extend(page["nodes"])
            after, more = page["pageInfo"]["endCursor"], page["pageInfo"]["hasNextPage"]
        return nodes

    # ------------------------------------------------------------------ REST
    def rest(self, repo: str, rc: JSON, state: JSON, progress: SyncProgress) -> Iterator[FetchPage]:
        first: JSON = rc["first"]
        if first.setdefault("phase", "issues") == "issues":
            try:
                yield from self._rest_issues(repo, rc, state, progress)
            except GithubNotFound:
                raise self.not_found(repo) from None
            seconds: JSON = first.pop("seconds", {})
            paged = (first.get("pos") or {}).get("paged") or []
            first["again"] = {second: seconds.get(second, []) for second in paged}
            first["phase"], first["pos"] = "again", None
        if first["phase"] == "again":
            yield from self._rest_again(repo, rc, state, progress)
            first["phase"] = "comments"
        if first["phase"] == "comments":
            if first.get("oldest"):
                yield from self._rest_comments(repo, rc, state, progress)
            first["phase"] = "short"
        yield from self._rest_short(repo, rc, state, progress)

    def _issues(self, repo: str) -> JSON:
        """The position before the open issue list's first page."""
        params = {"state": "open", "sort": "updated", "direction": "asc", "per_page": str(PAGE)}
        return start(f"/repos/{repo}/issues", params)

    def _take(self, repo: str, rc: JSON, issues: list[JSON]) -> list[Conversation]:
        """The conversations of ``issues`` (listed open), noted in ``rc`` as known."""
        first: JSON = rc["first"]
        known = known_open(rc)
        counts: JSON = rc.setdefault("counts", {})
        remember = self._remember(rc)
        conversations = []
        for issue in issues:
            if not first.get("oldest") or issue["created_at"] < first["oldest"]:
                first["oldest"] = issue["created_at"]
            if not self.reader.wanted(issue):
                continue
            known.add(issue["number"])
            # GitHub's count as the issue was listed; the catch-up pass
            # reads again the comments of any issue whose count moved since.
            counts[str(issue["number"])] = int(issue.get("comments") or 0)
            remember(f"issue:{issue['id']}", issue["updated_at"])
            messages = [rest_issue_message(issue, self.reader.authors)]
            conversations.append(rest_conversation(repo, issue, messages))
        set_known(rc, known)
        return conversations

    def _rest_issues(
        self, repo: str, rc: JSON, state: JSON, progress: SyncProgress
    ) -> Iterator[FetchPage]:
        first: JSON = rc["first"]
        # The numbers the walk listed, by second: a second it read by page number is read again.
        seconds: JSON = first.setdefault("seconds", {})
        position = first.get("pos") or self._issues(repo)
        for step in walk(self.client, position, progress):
            self._started(first)
            for issue in step.items:
                seconds.setdefault(issue["updated_at"], []).append(int(issue["number"]))
            conversations = self._take(repo, rc, step.items)
            first["pos"] = step.position
            progress.update(f"GitHub {repo}: issues", completed=len(known_open(rc)))
            yield FetchPage(tuple(conversations), copy.deepcopy(state))

    def _rest_again(
        self, repo: str, rc: JSON, state: JSON, progress: SyncProgress
    ) -> Iterator[FetchPage]:
        """Each second the walk read by page number, read again until two reads agree.

        An issue that leaves the open list (closed, deleted, transferred) between two
        pages of a second read by page number moves every later one up a place, and the
        one that moved onto a page already read is not returned. It changed in nothing,
        so no later pass would bring it. A read that skipped one had an issue leave after
        it was read, so the next read lacks that issue: two reads that agree (issues of
        an old second only ever leave it) skipped nothing. Each disagreement is an issue
        gone, so this ends; in a list that holds still it costs one read of each second.
        """
        first: JSON = rc["first"]
        pending: JSON = first["again"]
        url = str(self._issues(repo)["url"])
        while pending:
            second = min(pending)
            # Where this read of the second is, so a sync stopped half-way goes on from there.
            now: JSON = first.setdefault("reading", {"page": 1, "read": []})
            for items, more in second_pages(self.client, url, second, now["page"], progress):
                now["read"] += [int(issue["number"]) for issue in items]
                now["page"] += 1
                known = known_open(rc)
                fresh = [i for i in items if int(i["number"]) not in known]
                conversations = self._take(repo, rc, fresh)
                if not more:
                    read = set(first.pop("reading")["read"])
                    left = set(pending[second]) - read
                    if read == set(pending[second]):
                        del pending[second]
                    else:
                        pending[second] = sorted(read)
                    conversations += self._left(repo, rc, left, progress)
                yield FetchPage(tuple(conversations), copy.deepcopy(state))

    def _left(
        self, repo: str, rc: JSON, left: set[int], progress: SyncProgress
    ) -> list[Conversation]:
        """The issues seen leaving the open list during the first sync, closed when they are
        closed, deleted or transferred (no list would show the last two before the check)."""
        known = known_open(rc)
        conversations = []
        for number in sorted(left & known):
            gone = left_open(self.client, self.reader, repo, number, progress)
            if gone is not None:
                conversations.append(gone)
                known.discard(number)
        set_known(rc, known)
        return conversations

    def _rest_comments(
        self, repo: str, rc: JSON, state: JSON, progress: SyncProgress
    ) -> Iterator[FetchPage]:
        first: JSON = rc["first"]
        known = known_open(rc)
        params = {
            "since": first["oldest"],
            "sort": "updated",
            "direction": "asc",
            "per_page": str(PAGE),
        }
        position = first.get("pos") or start(f"/repos/{repo}/issues/comments", params)
        seen = first.get("comments_seen", 0)
        got: JSON = first.setdefault("got", {})
        for step in walk(self.client, position, progress):
            remember = self._remember(rc)
            by_issue: dict[int, list[Message]] = {}
            for comment in step.items:
                number = issue_number(comment)
                if number in known:
                    remember(f"comment:{comment['id']}", comment["updated_at"])
                    got[str(number)] = got.get(str(number), 0) + 1
                    message = rest_comment_message(comment, self.reader.authors)
                    by_issue.setdefault(number, []).append(message)
            seen += len(step.items)
            first["pos"], first["comments_seen"] = step.position, seen
            progress.update(f"GitHub {repo}: comments", completed=seen)
            conversations: list[Conversation] = [
                comments_conversation(repo, n, msgs) for n, msgs in by_issue.items()
            ]
            yield FetchPage(tuple(conversations), copy.deepcopy(state))

    def _rest_short(
        self, repo: str, rc: JSON, state: JSON, progress: SyncProgress
    ) -> Iterator[FetchPage]:
        """The comments of each issue the walk brought fewer of than its count said.

        The comment list is read by key, but a page read by number (a second holding
        more comments than a page) shifts when a comment before it goes (its issue
        deleted meanwhile), and the one that moved up is never returned. Its issue
        changed in nothing, so no later pass would look at it again: its count is the
        only sign. Such an issue (none, in a world that holds still) costs one request.
        """
        first: JSON = rc["first"]
        counts: JSON = rc.setdefault("counts", {})
        got: JSON = first.get("got") or {}
        for number in sorted(known_open(rc)):
            key = str(number)
            if got.get(key, 0) >= int(counts.get(key) or 0):
                continue
            try:
                messages = self.reader.all_comments(repo, number, rc, progress, self._remember(rc))
            except GithubNotFound:
                # Deleted (or moved away) meanwhile: the check for gone issues closes it.
                got[key] = int(counts.get(key) or 0)
                continue
            got[key] = len(messages)
            yield FetchPage((comments_conversation(repo, number, messages),), copy.deepcopy(state))

"""A repository's first sync: every open issue with its comments, resumable page by page.

* ``graphql``: 100 open issues a query with their first 100 comments nested,
  and a follow-up query only for issues with more comments. ``first.after``
  is the cursor to go on from.
* ``rest``: the open issues by key (``walk.py``), then the repo-wide comment
  list by key from the oldest open issue's creation (older comments cannot
  belong to an open issue). ``first.phase`` and ``first.pos`` say where to go
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
from herocli.channels.github.walk import start, walk
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
            first["phase"], first["pos"] = "comments", None
        if first["phase"] == "comments":
            if first.get("oldest"):
                yield from self._rest_comments(repo, rc, state, progress)
            first["phase"] = "short"
        yield from self._rest_short(repo, rc, state, progress)

    def _rest_issues(
        self, repo: str, rc: JSON, state: JSON, progress: SyncProgress
    ) -> Iterator[FetchPage]:
        first: JSON = rc["first"]
        known = known_open(rc)
        counts: JSON = rc.setdefault("counts", {})
        params = {"state": "open", "sort": "updated", "direction": "asc", "per_page": str(PAGE)}
        position = first.get("pos") or start(f"/repos/{repo}/issues", params)
        for step in walk(self.client, position, progress):
            self._started(first)
            remember = self._remember(rc)
            conversations = []
            for issue in step.items:
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
            first["pos"] = step.position
            progress.update(f"GitHub {repo}: issues", completed=len(known))
            yield FetchPage(tuple(conversations), copy.deepcopy(state))

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

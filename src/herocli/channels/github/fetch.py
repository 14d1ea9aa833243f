"""Fetching issues and comments with as few requests as GitHub allows.

Per repository the cursor holds ``since`` (the high-water mark of
``updated_at`` once a first sync finished), ``etags`` (URL -> [ETag, next URL])
and ``seen`` (ids and ``updated_at`` of what was returned inside the overlap
window, so the overlap never yields a message twice). A first sync that is
interrupted keeps ``first`` (where it started and, for GraphQL, the page to go
on from).

First sync, by ``strategy``:

* ``graphql``: 100 open issues a query with their first 100 comments nested,
  and a follow-up query only for issues with more comments.
* ``rest``: open issues at ``per_page=100``, then the repo-wide comment list
  with ``since`` = the oldest open issue's creation (older comments cannot
  belong to an open issue).

Either way it ends with one incremental pass from the time it started, which
picks up what changed meanwhile and records the ETags that make the next,
unchanged sync cost only ``304``s.

Issues transferred or deleted never show in those lists; ``reconciled`` holds
when the repository was last checked for them (see ``reconcile.py``).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from herocli.channels.github.client import GithubClient, GithubNotFound, Response
from herocli.channels.github.convert import (
    Authors,
    gql_conversation,
    gql_message,
    is_pull_request,
    labels_pass,
    parse_time,
    rest_comment_message,
    rest_conversation,
    rest_issue_message,
)
from herocli.channels.github.queries import ISSUE_COMMENTS, OPEN_ISSUES
from herocli.channels.github.reconcile import Reconciler, lookup_issue
from herocli.config import GithubSettings
from herocli.errors import ChannelError
from herocli.models import JSON, Conversation, FetchPage, Message, SyncProgress

# GitHub's `since` has one-second resolution and replicas can lag a little;
# asking again for the last minute costs nothing and `seen` drops repeats.
OVERLAP = timedelta(seconds=60)
PAGE = 100


def iso(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


class Fetcher:
    def __init__(self, client: GithubClient, settings: GithubSettings, authors: Authors) -> None:
        self.client = client
        self.settings = settings
        self.authors = authors
        self.reconciler = Reconciler(client, settings, authors, self._graphql_data)

    # ------------------------------------------------------------------ entry
    def fetch(self, cursor: JSON, progress: SyncProgress) -> Iterator[FetchPage]:
        state: JSON = copy.deepcopy(cursor) if cursor else {}
        state.setdefault("v", 1)
        state.setdefault("repos", {})
        repos = self._repos(state, progress)
        for index, repo in enumerate(repos):
            progress.update(f"GitHub {repo}", completed=index, total=len(repos))
            rc: JSON = state["repos"].setdefault(repo, {})
            if "since" not in rc:
                yield from self._first_sync(repo, rc, state, progress)
            yield from self._incremental(repo, rc, state, progress)
            if self.reconciler.due(rc, self.client.clock.now()):
                closed = self.reconciler.reconcile(repo, rc, progress)
                yield FetchPage(tuple(closed), copy.deepcopy(state))
        progress.update("GitHub", completed=len(repos), total=len(repos))

    def strategy(self) -> str:
        if self.settings.strategy != "auto":
            return self.settings.strategy
        # GraphQL's issues connection holds no pull requests, so REST when they are wanted.
        return "rest" if self.settings.include_pull_requests else "graphql"

    def _repos(self, state: JSON, progress: SyncProgress) -> list[str]:
        repos = list(self.settings.repos)
        orgs: JSON = state.setdefault("orgs", {})
        for org in self.settings.orgs:
            oc: JSON = orgs.setdefault(org, {})
            url = f"/orgs/{org}/repos?" + urlencode({"type": "all", "per_page": PAGE})
            try:
                found = self._conditional_list(url, oc.setdefault("etags", {}), progress)
            except GithubNotFound:
                raise ChannelError(
                    f"GitHub organisation {org!r} not found (or the token cannot see it)",
                    hint="check [github] orgs and the token's access to that organisation",
                ) from None
            if found is not None:
                oc["repos"] = [r["full_name"] for r in found if not r.get("archived")]
            repos.extend(oc.get("repos", []))
        return list(dict.fromkeys(repos))

    def _not_found(self, repo: str) -> ChannelError:
        return ChannelError(
            f"GitHub repository {repo} not found (or the token cannot see it)",
            hint="check [github] repos; a private repository needs a token with access to it",
        )

    # ------------------------------------------------------------------ conditional lists
    def _conditional_list(self, url: str, etags: JSON, progress: SyncProgress) -> list[Any] | None:
        """All pages of a list, or ``None`` when every page answered 304 (nothing changed).

        ``etags`` maps each page URL to ``[etag, next url]``; it is replaced by
        the pages seen this time.
        """
        items: list[Any] = []
        fresh: JSON = {}
        changed = False
        next_url: str | None = url
        while next_url:
            known = etags.get(next_url)
            resp: Response = self.client.request(
                "GET", next_url, etag=known[0] if known else None, progress=progress
            )
            if resp.status == 304 and known:
                fresh[next_url] = known
                page_next = known[1]
            else:
                changed = True
                items.extend(resp.data or [])
                page_next = resp.next_url
                if resp.headers.get("etag"):
                    fresh[next_url] = [resp.headers["etag"], page_next]
            next_url = page_next
        etags.clear()
        etags.update(fresh)
        return items if changed else None

    # ------------------------------------------------------------------ first sync
    def _first_sync(
        self, repo: str, rc: JSON, state: JSON, progress: SyncProgress
    ) -> Iterator[FetchPage]:
        rc.setdefault("first", {})
        if self.strategy() == "graphql":
            yield from self._first_graphql(repo, rc, state, progress)
        else:
            yield from self._first_rest(repo, rc, state, progress)
        first: JSON = rc.pop("first")
        rc["since"] = first["started"]
        rc["etags"] = {}
        # The first sync listed every open issue: as good as a reconciliation.
        rc["reconciled"] = iso(self.client.clock.now())

    def _started(self, first: JSON) -> None:
        """Mark the first sync's start by GitHub's clock, from its first answer."""
        first.setdefault("started", iso(self.client.server_now()))

    def _remember(self, rc: JSON, key: str, updated: str) -> None:
        """Note what a first sync returned inside the catch-up window, so the catch-up skips it."""
        started = parse_time(rc["first"]["started"])
        if parse_time(updated) >= started - OVERLAP:
            rc.setdefault("seen", {})[key] = updated

    def _first_graphql(
        self, repo: str, rc: JSON, state: JSON, progress: SyncProgress
    ) -> Iterator[FetchPage]:
        first: JSON = rc["first"]
        known: set[int] = set(rc.get("open", []))
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
            data = self._graphql_data(repo, OPEN_ISSUES, variables, progress)
            self._started(first)
            issues = data["repository"]["issues"]
            conversations = []
            for node in issues["nodes"]:
                comments = node["comments"]
                nodes = list(comments["nodes"])
                after = comments["pageInfo"]["endCursor"]
                more = comments["pageInfo"]["hasNextPage"]
                while more:
                    extra = self._graphql_data(
                        repo,
                        ISSUE_COMMENTS,
                        {
                            "owner": owner,
                            "name": name,
                            "number": node["number"],
                            "first": PAGE,
                            "after": after,
                        },
                        progress,
                    )["repository"]["issue"]["comments"]
                    nodes.extend(extra["nodes"])
                    after, more = extra["pageInfo"]["endCursor"], extra["pageInfo"]["hasNextPage"]
                labels = [x["name"] for x in node["labels"]["nodes"]]
                if not labels_pass(
                    labels, self.settings.labels_include, self.settings.labels_exclude
                ):
                    continue
                self._remember(rc, f"issue:{node['databaseId']}", node["updatedAt"])
                for c in nodes:
                    self._remember(rc, f"comment:{c['databaseId']}", c["updatedAt"])
                messages = [gql_message(node, "issue", self.authors)]
                messages += [gql_message(c, "comment", self.authors) for c in nodes]
                conversations.append(gql_conversation(repo, node, messages))
                known.add(node["number"])
            done += len(issues["nodes"])
            rc["open"] = sorted(known)
            first["done"] = done
            first["after"] = issues["pageInfo"]["endCursor"] or first.get("after")
            progress.update(
                f"GitHub {repo}: first sync", completed=done, total=issues["totalCount"]
            )
            if not issues["pageInfo"]["hasNextPage"]:
                # The last page's cursor is written by the incremental pass that follows.
                if conversations:
                    yield FetchPage(tuple(conversations), copy.deepcopy(state))
                return
            yield FetchPage(tuple(conversations), copy.deepcopy(state))

    def _graphql_data(self, repo: str, query: str, variables: JSON, progress: SyncProgress) -> Any:
        answer = self.client.graphql(query, variables, progress)
        errors = (answer or {}).get("errors") if isinstance(answer, dict) else None
        if errors:
            if any(
                e.get("type") == "NOT_FOUND" and e.get("path") == ["repository"] for e in errors
            ):
                raise self._not_found(repo)
            raise ChannelError(
                f"GitHub GraphQL error for {repo}: {errors[0].get('message', errors[0])}"
            )
        if not isinstance(answer, dict) or not isinstance(answer.get("data"), dict):
            raise ChannelError(f"GitHub GraphQL gave no data for {repo}")
        return answer["data"]

    def _first_rest(
        self, repo: str, rc: JSON, state: JSON, progress: SyncProgress
    ) -> Iterator[FetchPage]:
        # Pages of a first REST sync carry the cursor unchanged: the repo's
        # first sync restarts as a whole after an interruption (it is idempotent).
        url: str | None = f"/repos/{repo}/issues?" + urlencode(
            {"state": "open", "sort": "created", "direction": "asc", "per_page": PAGE}
        )
        issues: dict[int, JSON] = {}
        oldest: str | None = None
        try:
            while url:
                resp = self.client.request("GET", url, progress=progress)
                self._started(rc["first"])
                conversations = []
                for issue in resp.data or []:
                    if oldest is None or issue["created_at"] < oldest:
                        oldest = issue["created_at"]
                    if not self._wanted(issue):
                        continue
                    issues[issue["number"]] = issue
                    self._remember(rc, f"issue:{issue['id']}", issue["updated_at"])
                    conversations.append(
                        rest_conversation(repo, issue, [rest_issue_message(issue, self.authors)])
                    )
                progress.update(f"GitHub {repo}: issues", completed=len(issues))
                if conversations:
                    yield FetchPage(tuple(conversations), copy.deepcopy(state))
                url = resp.next_url
        except GithubNotFound:
            raise self._not_found(repo) from None
        rc["open"] = sorted(issues)
        if oldest is None:
            return
        url = f"/repos/{repo}/issues/comments?" + urlencode(
            {"since": oldest, "sort": "created", "direction": "asc", "per_page": PAGE}
        )
        seen = 0
        while url:
            resp = self.client.request("GET", url, progress=progress)
            by_issue: dict[int, list[Message]] = {}
            for comment in resp.data or []:
                number = _issue_number(comment)
                if number in issues:
                    self._remember(rc, f"comment:{comment['id']}", comment["updated_at"])
                    by_issue.setdefault(number, []).append(
                        rest_comment_message(comment, self.authors)
                    )
            seen += len(resp.data or [])
            progress.update(f"GitHub {repo}: comments", completed=seen)
            conversations = [
                rest_conversation(repo, issues[n], msgs) for n, msgs in by_issue.items()
            ]
            if conversations:
                yield FetchPage(tuple(conversations), copy.deepcopy(state))
            url = resp.next_url

    def _wanted(self, issue: JSON) -> bool:
        if is_pull_request(issue) and not self.settings.include_pull_requests:
            return False
        labels = [x["name"] for x in issue.get("labels") or ()]
        return labels_pass(labels, self.settings.labels_include, self.settings.labels_exclude)

    # ------------------------------------------------------------------ incremental
    def _incremental(
        self, repo: str, rc: JSON, state: JSON, progress: SyncProgress
    ) -> Iterator[FetchPage]:
        before = copy.deepcopy(state)
        hwm = parse_time(rc["since"])
        since = iso(hwm - OVERLAP)
        etags: JSON = rc.setdefault("etags", {})
        old_seen: dict[str, str] = rc.get("seen", {})
        issues_url = f"/repos/{repo}/issues?" + urlencode(
            {
                "state": "all",
                "since": since,
                "sort": "updated",
                "direction": "asc",
                "per_page": PAGE,
            }
        )
        comments_url = f"/repos/{repo}/issues/comments?" + urlencode(
            {"since": since, "sort": "updated", "direction": "asc", "per_page": PAGE}
        )
        issue_etags: JSON = {
            k: v for k, v in etags.items() if k.startswith(issues_url.split("?")[0] + "?")
        }
        comment_etags: JSON = {
            k: v for k, v in etags.items() if k.startswith(comments_url.split("?")[0] + "?")
        }
        try:
            issues = self._conditional_list(issues_url, issue_etags, progress)
        except GithubNotFound:
            raise self._not_found(repo) from None
        comments = self._conditional_list(comments_url, comment_etags, progress)
        rc["etags"] = {**issue_etags, **comment_etags}

        by_number: dict[int, JSON] = {i["number"]: i for i in issues or []}
        new_seen: dict[str, str] = {}
        newest = hwm
        window = hwm - OVERLAP

        def fresh(key: str, updated: str) -> bool:
            nonlocal newest
            when = parse_time(updated)
            newest = max(newest, when)
            if when >= window:
                new_seen[key] = updated
            return old_seen.get(key) != updated

        changed: dict[int, list[Message]] = {}
        for issue in issues or []:
            if fresh(f"issue:{issue['id']}", issue["updated_at"]):
                changed.setdefault(issue["number"], []).append(
                    rest_issue_message(issue, self.authors)
                )
        for comment in comments or []:
            if fresh(
                f"comment:{comment['id']}", comment.get("updated_at") or comment["created_at"]
            ):
                number = _issue_number(comment)
                changed.setdefault(number, []).append(rest_comment_message(comment, self.authors))
        conversations: list[Conversation] = []
        known: set[int] = set(rc.get("open", []))
        for number, messages in changed.items():
            issue = by_number.get(number)
            if issue is None and number in known:
                issue = self._issue(repo, number, progress)
            if issue is None or not self._wanted(issue):
                # Comments on issues never synced open (closed long ago, pull
                # requests, filtered out) have no item to join.
                continue
            if issue["state"] == "closed":
                if number not in known:
                    continue
                known.discard(number)
            else:
                known.add(number)
            if not any(m.external_id.startswith("issue:") for m in messages):
                messages.append(rest_issue_message(issue, self.authors))
            conversations.append(rest_conversation(repo, issue, messages))
        if issues is None and comments is None:
            new_seen = old_seen
        rc["since"] = iso(newest)
        rc["seen"] = new_seen
        rc["open"] = sorted(known)
        chunks = max(math.ceil(len(conversations) / PAGE), 1)
        for index in range(chunks):
            part = tuple(conversations[index * PAGE : (index + 1) * PAGE])
            last = index == chunks - 1
            # Only the last page moves the cursor: earlier pages repeat on a rerun.
            yield FetchPage(part, copy.deepcopy(state) if last else before)

    def _issue(self, repo: str, number: int, progress: SyncProgress) -> JSON | None:
        issue, why = lookup_issue(self.client, repo, number, progress)
        # Gone from this repository: the next reconciliation closes it.
        return issue if why is None else None


def _issue_number(comment: JSON) -> int:
    return int(str(comment["issue_url"]).rstrip("/").rsplit("/", 1)[1])

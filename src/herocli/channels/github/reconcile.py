"""Noticing issues that left a repository's open list without showing up as changed.

An issue transferred to another repository, or deleted, vanishes from the
"changed since" lists, so the incremental pass never sees it close. At most
once per ``reconcile_hours`` the open issue numbers are listed (GraphQL: 100
numbers a query; REST, 100 issues a page, when pull requests are wanted, as
GraphQL's issues hold none, or when the strategy is REST) and compared with
the ones the cursor knows open. Each number missing upstream is fetched once:
``301`` (followed to the issue's new repository) means transferred,
``410``/``404`` deleted or out of the token's sight, a closed issue closed.
Each of these comes back as a closed conversation. Open issues (in the label
filter) that the cursor does not know, which a sync must have missed, come
back whole.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from herocli.channels.github.client import GithubClient, GithubGone, GithubNotFound
from herocli.channels.github.convert import (
    conversation_gone,
    parse_time,
    rest_conversation,
    rest_issue_message,
)
from herocli.channels.github.issues import (
    OVERLAP,
    PAGE,
    IssueReader,
    Remember,
    known_open,
    set_known,
)
from herocli.channels.github.queries import OPEN_NUMBERS
from herocli.exchange import Conversation, SyncProgress
from herocli.models import JSON

GraphqlData = Callable[[str, str, JSON, SyncProgress], Any]
# How long an issue closed upstream, whose item a customer's comment woke, is still
# looked up for a deletion or a transfer.
WOKEN_WATCH = timedelta(days=30)


def lookup_issue(
    client: GithubClient, repo: str, number: int, progress: SyncProgress
) -> tuple[JSON | None, str | None]:
    """The issue and, when it is no longer this repository's, why: transferred, deleted or gone."""
    try:
        resp = client.request("GET", f"/repos/{repo}/issues/{number}", progress=progress)
    except GithubGone:
        return None, "deleted"
    except GithubNotFound:
        return None, "gone"  # deleted, or transferred where the token cannot see it
    issue = resp.data if isinstance(resp.data, dict) else None
    if issue is None:
        return None, "gone"
    if issue_repo(issue).casefold() != repo.casefold() or issue.get("number") != number:
        # GitHub answered 301 for the old URL and the request followed it.
        return issue, "transferred"
    return issue, None


def left_open(
    client: GithubClient, reader: IssueReader, repo: str, number: int, progress: SyncProgress
) -> Conversation | None:
    """The closed conversation of an issue missing from the open list, or ``None`` when
    it is still open: it was closed, transferred or deleted (``lookup_issue``)."""
    issue, why = lookup_issue(client, repo, number, progress)
    if why is not None:
        return conversation_gone(repo, number, why, issue)
    if issue is not None and issue.get("state") == "closed":
        return rest_conversation(repo, issue, [rest_issue_message(issue, reader.authors)])
    return None


def issue_repo(issue: JSON) -> str:
    """``owner/name`` from an issue's ``repository_url``."""
    url = str(issue.get("repository_url") or "")
    return "/".join(url.rstrip("/").split("/")[-2:])


class Reconciler:
    def __init__(
        self, client: GithubClient, reader: IssueReader, graphql_data: GraphqlData
    ) -> None:
        self.client = client
        self.reader = reader
        self.settings = reader.settings
        self.graphql_data = graphql_data

    def due(self, rc: JSON, now: datetime) -> bool:
        """Whether ``reconcile_hours`` have passed since the repository's last check."""
        last = rc.get("reconciled")
        if not last or self.settings.reconcile_hours <= 0:
            return True
        return now - parse_time(last) >= timedelta(hours=self.settings.reconcile_hours)

    def reconcile(self, repo: str, rc: JSON, progress: SyncProgress) -> list[Conversation]:
        """Closed conversations for the known open issues missing upstream, and whole
        ones for the open issues (in the filter) it did not know; updates ``rc``."""
        started = self.client.clock.now()
        known = known_open(rc)
        upstream = self.open_numbers(repo, progress)
        missing = sorted(known - set(upstream))
        unknown = sorted(n for n, wanted in upstream.items() if wanted and n not in known)
        conversations: list[Conversation] = []
        for index, number in enumerate(missing):
            progress.update(
                f"GitHub {repo}: issues gone from the open list",
                completed=index,
                total=len(missing),
            )
            left = left_open(self.client, self.reader, repo, number, progress)
            if left is None:
                continue  # still open: the list lagged behind
            conversations.append(left)
            known.discard(number)
        since = parse_time(str(rc.get("csince") or rc["since"])) - OVERLAP
        remember = Remember(rc.setdefault("seen", {}), since)
        for number in unknown:
            # Open upstream, not in the queue: a sync missed it. Bring it whole.
            issue, why = lookup_issue(self.client, repo, number, progress)
            if why is None and issue and issue.get("state") == "open" and self.reader.wanted(issue):
                conversations.append(self.reader.whole(repo, issue, rc, progress, remember))
                known.add(number)
        conversations += self._woken_gone(repo, rc, known, started, progress)
        set_known(rc, known)
        rc["reconciled"] = started.strftime("%Y-%m-%dT%H:%M:%SZ")
        return conversations

    def _woken_gone(
        self, repo: str, rc: JSON, known: set[int], now: datetime, progress: SyncProgress
    ) -> list[Conversation]:
        """Closed conversations for the issues closed upstream whose items a comment woke,
        and that have since been deleted or transferred away (the open list never shows them).

        Each is watched for ``WOKEN_WATCH`` after its last comment; one still closed stays open
        in the queue, as the customer's comment left it.
        """
        woken: dict[str, str] = rc.get("woken", {})
        gone: list[Conversation] = []
        for key, at in sorted(woken.items(), key=lambda kv: int(kv[0])):
            number = int(key)
            if number in known or parse_time(at) < now - WOKEN_WATCH:
                del woken[key]
                continue
            issue, why = lookup_issue(self.client, repo, number, progress)
            if why is not None:
                gone.append(conversation_gone(repo, number, why, issue))
                del woken[key]
        if not woken:
            rc.pop("woken", None)
        return gone

    def open_numbers(self, repo: str, progress: SyncProgress) -> dict[int, bool]:
        """Numbers of the repository's open issues (and pull requests, when listed by REST),
        each with whether it passes the label filter."""
        progress.update(f"GitHub {repo}: checking the open issues")
        if self.settings.include_pull_requests or self.settings.strategy == "rest":
            url = f"/repos/{repo}/issues?" + urlencode(
                {"state": "open", "sort": "created", "direction": "asc", "per_page": PAGE}
            )
            return {
                int(i["number"]): self.reader.wanted(i)
                for i in self.client.get_pages(url, progress)
            }
        owner, name = repo.split("/")
        numbers: dict[int, bool] = {}
        after: str | None = None
        while True:
            variables = {"owner": owner, "name": name, "first": PAGE, "after": after}
            data = self.graphql_data(repo, OPEN_NUMBERS, variables, progress)
            issues = data["repository"]["issues"]
            for node in issues["nodes"]:
                labels = [x["name"] for x in (node.get("labels") or {}).get("nodes") or ()]
                numbers[int(node["number"])] = self.reader.in_scope(labels)
            if not issues["pageInfo"]["hasNextPage"]:
                return numbers
            after = issues["pageInfo"]["endCursor"]

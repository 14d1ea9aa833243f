"""What the first and the incremental sync share: which issues count, and an issue in full.

Per repository the cursor keeps ``open`` (the issue numbers the queue holds
open), ``counts`` (how many comments hero holds for each, by GitHub's
``comments`` count when it last read them all) and ``out`` (issues that left
the label filter, whose comments must not wake their item).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from herocli.channels.github.client import GithubClient
from herocli.channels.github.convert import (
    Authors,
    is_pull_request,
    labels_pass,
    parse_time,
    rest_comment_message,
    rest_conversation,
    rest_issue_message,
)
from herocli.config_github import GithubSettings
from herocli.exchange import Conversation, SyncProgress
from herocli.models import JSON, Message

PAGE = 100
# GitHub's `since` has one-second resolution and replicas can lag a little;
# asking again for the last minute costs nothing and `seen` drops repeats.
OVERLAP = timedelta(seconds=60)


def issue_number(comment: JSON) -> int:
    """The number of the issue a comment belongs to, from its ``issue_url``."""
    return int(str(comment["issue_url"]).rstrip("/").rsplit("/", 1)[1])


class IssueReader:
    """Filters and whole-issue reads, for one channel's settings."""

    def __init__(self, client: GithubClient, settings: GithubSettings, authors: Authors) -> None:
        self.client = client
        self.settings = settings
        self.authors = authors

    def listed(self, issue: JSON) -> bool:
        """Whether an issue or pull request is one the channel follows at all."""
        return self.settings.include_pull_requests or not is_pull_request(issue)

    def in_scope(self, labels: list[str]) -> bool:
        """Whether labels pass ``labels_include`` / ``labels_exclude``."""
        return labels_pass(labels, self.settings.labels_include, self.settings.labels_exclude)

    def wanted(self, issue: JSON) -> bool:
        """Listed, and its labels pass the filter."""
        labels = [str(x["name"]) for x in issue.get("labels") or ()]
        return self.listed(issue) and self.in_scope(labels)

    def comments(self, repo: str, number: int, progress: SyncProgress) -> list[JSON]:
        """Every comment of one issue, oldest first."""
        url = f"/repos/{repo}/issues/{number}/comments?" + urlencode({"per_page": PAGE})
        return [c for c in self.client.get_pages(url, progress) if isinstance(c, dict)]

    def all_comments(
        self, repo: str, number: int, rc: JSON, progress: SyncProgress, remember: Remember
    ) -> list[Message]:
        """Every comment of one issue as messages, each remembered; the issue's count in
        ``rc["counts"]`` becomes how many there are."""
        comments = self.comments(repo, number, progress)
        rc.setdefault("counts", {})[str(number)] = len(comments)
        for c in comments:
            remember(f"comment:{c['id']}", str(c.get("updated_at") or c["created_at"]))
        return [rest_comment_message(c, self.authors) for c in comments]

    def whole(
        self, repo: str, issue: JSON, rc: JSON, progress: SyncProgress, remember: Remember
    ) -> Conversation:
        """The issue with all its comments; its count in ``rc["counts"]`` becomes GitHub's."""
        messages = [rest_issue_message(issue, self.authors)]
        if issue.get("comments"):
            messages += self.all_comments(repo, issue["number"], rc, progress, remember)
        else:
            rc.setdefault("counts", {})[str(issue["number"])] = 0
        return rest_conversation(repo, issue, messages)


class Remember:
    """Notes ids and ``updated_at`` inside an overlap window, so the next pass skips them."""

    def __init__(self, seen: dict[str, str], since: datetime) -> None:
        self.seen = seen
        self.since = since

    def __call__(self, key: str, updated: str) -> None:
        if parse_time(updated) >= self.since:
            self.seen[key] = updated


def known_open(rc: JSON) -> set[int]:
    """The issue numbers the queue holds open for this repository."""
    return {int(n) for n in rc.get("open", [])}


def set_known(rc: JSON, numbers: set[int], out: set[int] | None = None) -> None:
    """Store the open numbers (and the filtered-out ones); drop counts of the others."""
    rc["open"] = sorted(numbers)
    counts: dict[str, Any] = rc.setdefault("counts", {})
    for key in [k for k in counts if int(k) not in numbers]:
        del counts[key]
    if out is not None:
        rc["out"] = sorted(out)

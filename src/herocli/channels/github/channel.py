"""The GitHub channel: open issues and their comments in, comments and edits out."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

from herocli.channels.base import Capabilities, Channel, Markup, PostFormat
from herocli.channels.github.client import GithubClient, GithubNotFound
from herocli.channels.github.convert import (
    Authors,
    has_marker,
    parse_time,
    split_external_id,
    with_marker,
)
from herocli.channels.github.fetch import Fetcher
from herocli.config_github import GithubSettings
from herocli.errors import ChannelError, NotFoundError, UsageError
from herocli.exchange import (
    CloseReason,
    FetchPage,
    OutgoingReply,
    SecretSource,
    Sent,
    SyncProgress,
    Thread,
)
from herocli.models import JSON, Clock, TeamMember


class GithubChannel(Channel):
    """Issues of the configured repositories (and orgs) as conversations."""

    name = "github"
    capabilities = Capabilities(
        remote_close=True,
        labels=True,
        assignees=True,
        mentions=True,
        post=True,
        close_reasons=True,
    )
    # A comment holds 65,536 characters.
    post_format = PostFormat(Markup.GITHUB, limit=60_000)

    def __init__(
        self,
        settings: GithubSettings,
        secrets: SecretSource,
        clock: Clock,
        team_logins: frozenset[str] = frozenset(),
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.client = GithubClient(settings, secrets, clock)
        authors = Authors(
            frozenset(x.casefold() for x in team_logins), settings.trust_author_association
        )
        self.fetcher = Fetcher(self.client, settings, authors)

    def fetch(self, cursor: JSON, progress: SyncProgress) -> Iterator[FetchPage]:
        """Open issues on the first sync, then everything updated since the last one.

        Raises ``AuthError`` for a missing or rejected token, ``ChannelError``
        naming a repository GitHub does not show, ``RateLimitedError`` when a
        wait would exceed ``max_rate_limit_wait`` (pages already yielded keep
        their cursor).
        """
        return self.fetcher.fetch(cursor, progress)

    # ------------------------------------------------------------------ writes
    def _issue_path(self, external_id: str) -> str:
        repo, number = split_external_id(external_id)
        return f"/repos/{repo}/issues/{number}"

    def _write(self, method: str, path: str, body: Any, what: str) -> Any:
        try:
            return self.client.request(method, path, body=body).data
        except GithubNotFound:
            raise NotFoundError(
                f"GitHub has no {what} (deleted, transferred, or the token cannot see it)",
                hint="check the issue on GitHub; a private repository needs a token with access to it",
            ) from None

    def _comment(self, external_id: str, body: str, key: str) -> Sent:
        data = self._write(
            "POST",
            self._issue_path(external_id) + "/comments",
            {"body": with_marker(body, key)},
            f"issue {external_id}",
        )
        return _sent(data)

    def _find_comment(self, external_id: str, key: str) -> Sent | None:
        """Look for the marker among the issue's most recent comments (last two pages)."""
        base = self._issue_path(external_id) + "/comments?"
        first = self.client.request("GET", base + urlencode({"per_page": 100}))
        pages = [first.data or []]
        last = _last_page(first.headers.get("link", ""))
        if last and last > 1:
            pages = [
                self.client.request("GET", base + urlencode({"per_page": 100, "page": n})).data
                or []
                for n in range(max(last - 1, 2), last + 1)
            ] + pages
        for page in pages:
            for comment in page:
                if has_marker(comment.get("body"), key):
                    return _sent(comment)
        return None

    def send_reply(self, thread: Thread, reply: OutgoingReply) -> Sent:
        """Post an issue comment that ends with a hidden marker carrying ``reply.key``."""
        return self._comment(thread.external_id, reply.body, reply.key)

    def find_sent(self, thread: Thread, reply: OutgoingReply) -> Sent | None:
        """The comment carrying ``reply.key``'s marker, if a previous attempt posted it."""
        try:
            return self._find_comment(thread.external_id, reply.key)
        except GithubNotFound:
            return None

    def close(self, thread: Thread, reason: CloseReason) -> None:
        """Close the issue with ``state_reason`` (completed or not_planned)."""
        self._write(
            "PATCH",
            self._issue_path(thread.external_id),
            {"state": "closed", "state_reason": reason.value},
            f"issue {thread.external_id}",
        )

    def reopen(self, thread: Thread) -> None:
        """Reopen the issue."""
        self._write(
            "PATCH",
            self._issue_path(thread.external_id),
            {"state": "open", "state_reason": "reopened"},
            f"issue {thread.external_id}",
        )

    def assign(self, thread: Thread, member: TeamMember) -> None:
        """Add ``member``'s GitHub login as assignee; members without a login are skipped."""
        if not member.github:
            return
        self._write(
            "POST",
            self._issue_path(thread.external_id) + "/assignees",
            {"assignees": [member.github]},
            f"issue {thread.external_id}",
        )

    def set_labels(self, thread: Thread, add: tuple[str, ...], remove: tuple[str, ...]) -> None:
        """Add and remove labels; removing a label the issue lacks is not an error."""
        path = self._issue_path(thread.external_id) + "/labels"
        if add:
            self._write("POST", path, {"labels": list(add)}, f"issue {thread.external_id}")
        for label in remove:
            try:
                self.client.request("DELETE", f"{path}/{quote(label, safe='')}")
            except GithubNotFound:
                continue

    def post_target(self, target: str) -> str:
        """``owner/repo#N``: the issue a post is a comment on."""
        return issue_target(target)

    def post(self, target: str, body: str, key: str) -> Sent:
        """Comment on ``owner/repo#N``."""
        return self._comment(target, body, key)

    def find_posted(self, target: str, key: str, since: datetime | None = None) -> Sent | None:
        """The comment on ``owner/repo#N`` carrying ``key`` (all its comments are read)."""
        del since
        try:
            return self._find_comment(target, key)
        except GithubNotFound:
            return None

    def mention(self, member: TeamMember) -> str | None:
        return f"@{member.github}" if member.github else None

    def shutdown(self) -> None:
        self.client.close()


def issue_target(text: str) -> str:
    """``text`` when it names an issue as ``owner/repo#N``; else ``UsageError``."""
    target = text.strip()
    repo, _, number = target.partition("#")
    if (
        repo.count("/") != 1
        or not all(repo.split("/"))
        or not (number.isascii() and number.isdigit())
        or len(number) > 18
    ):
        raise UsageError(f"{target[:60]!r} is not an issue like owner/repo#12")
    return target


def _sent(comment: Any) -> Sent:
    if not isinstance(comment, dict) or "id" not in comment:
        raise ChannelError("GitHub accepted the comment but did not return it")
    return Sent(
        external_id=f"comment:{comment['id']}",
        sent_at=parse_time(comment["created_at"]),
        url=comment.get("html_url"),
    )


def _last_page(link: str) -> int | None:
    match = re.search(r'[?&]page=(\d+)[^>]*>;\s*rel="last"', link)
    return int(match.group(1)) if match else None

"""What the GitHub simulator holds: repositories, issues, comments, and the edits to them."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from herocli.models import Clock, SystemClock
from herocli.simulators.github.wire import (
    JSON,
    HttpFailure,
    api_label,
    api_user,
    iso,
    node_id,
    public,
    to_time,
)


@dataclass
class RepoState:
    meta: JSON
    issues: dict[int, JSON] = field(default_factory=dict)
    comments: dict[int, JSON] = field(default_factory=dict)  # id -> comment (with _number)
    by_issue: dict[int, list[int]] = field(default_factory=dict)  # number -> comment ids
    moved: dict[int, tuple[str, int]] = field(default_factory=dict)  # number -> (repo, number)
    deleted: set[int] = field(default_factory=set)

    def comments_of(self, number: int) -> list[JSON]:
        return [self.comments[c] for c in self.by_issue.get(number, ()) if c in self.comments]


class GithubState:
    """Seedable, inspectable GitHub state; every change takes the one lock."""

    def __init__(
        self,
        tokens: Mapping[str, str] | Iterable[str] = ("test-token",),
        clock: Clock | None = None,
        html_base: str = "https://github.com",
    ) -> None:
        self.clock: Clock = clock or SystemClock()
        self.html_base = html_base.rstrip("/")
        if isinstance(tokens, Mapping):
            self.tokens = dict(tokens)
        else:
            self.tokens = {t: "hero-bot" for t in tokens}
        self.repos: dict[str, RepoState] = {}
        self._lock = threading.RLock()
        self._next_id = 1000

    # ------------------------------------------------------------------ seeding
    def load(self, seed: Mapping[str, Any] | Path | str) -> None:
        """Add repositories from a seed: ``{"repos": [{"full_name", "issues": [...]}]}``.

        Issues and comments are shaped like API responses; omitted fields get
        sensible values. Comments may be nested in an issue's ``comments`` list.
        """
        if not isinstance(seed, Mapping):
            seed = json.loads(Path(seed).read_text(encoding="utf-8"))
        assert isinstance(seed, Mapping)
        for login, token in dict(seed.get("tokens", {})).items():
            self.tokens[token] = login
        for repo in seed.get("repos", []):
            self.add_repo(repo["full_name"], archived=repo.get("archived", False))
            for issue in repo.get("issues", []):
                comments = issue.get("comments", [])
                data = {k: v for k, v in issue.items() if k != "comments"}
                self.add_issue(repo["full_name"], **data)
                for comment in comments if isinstance(comments, list) else []:
                    self.add_comment(repo["full_name"], data["number"], **comment)

    def _id(self) -> int:
        with self._lock:
            self._next_id += 1
            return self._next_id

    def add_repo(self, full_name: str, *, archived: bool = False, private: bool = False) -> None:
        owner, name = full_name.split("/")
        with self._lock:
            self.repos[full_name] = RepoState(
                meta={
                    "id": self._id(),
                    "node_id": node_id("R", full_name),
                    "name": name,
                    "full_name": full_name,
                    "owner": api_user(owner, "Organization"),
                    "private": private,
                    "archived": archived,
                    "html_url": f"{self.html_base}/{full_name}",
                    "has_issues": True,
                }
            )

    def _repo(self, full_name: str) -> RepoState:
        try:
            return self.repos[full_name]
        except KeyError:
            raise HttpFailure(404, "Not Found") from None

    def add_issue(
        self,
        full_name: str,
        number: int | None = None,
        title: str = "",
        body: str | None = "",
        user: Mapping[str, Any] | str = "octocat",
        author_association: str = "NONE",
        state: str = "open",
        state_reason: str | None = None,
        labels: Iterable[Mapping[str, Any] | str] = (),
        assignees: Iterable[Mapping[str, Any] | str] = (),
        created_at: str | datetime | None = None,
        updated_at: str | datetime | None = None,
        closed_at: str | datetime | None = None,
        pull_request: Mapping[str, Any] | None = None,
        is_pull_request: bool = False,
        **extra: Any,
    ) -> JSON:
        """Open (or seed) an issue and return it as the API shows it."""
        with self._lock:
            repo = self._repo(full_name)
            if number is None:
                # GitHub never gives a number twice, not even one of a deleted issue.
                number = max([*repo.issues, *repo.deleted, *repo.moved], default=0) + 1
            created = to_time(created_at, self.clock)
            issue_id = extra.pop("id", None) or self._id()
            api = f"/repos/{full_name}/issues/{number}"
            html = (
                f"{self.html_base}/{full_name}/{'pull' if is_pull_request else 'issues'}/{number}"
            )
            issue: JSON = {
                "id": issue_id,
                "node_id": node_id("I", issue_id),
                "url": api,
                "repository_url": f"/repos/{full_name}",
                "comments_url": f"{api}/comments",
                "html_url": html,
                "number": number,
                "state": state,
                "state_reason": state_reason,
                "title": title,
                "body": body,
                "user": api_user(user),
                "labels": [api_label(x) for x in labels],
                "assignees": [api_user(a) for a in assignees],
                "comments": 0,
                "created_at": iso(created),
                "updated_at": iso(to_time(updated_at, self.clock) if updated_at else created),
                "closed_at": iso(to_time(closed_at, self.clock)) if closed_at else None,
                "author_association": author_association,
                "locked": False,
            }
            issue["assignee"] = issue["assignees"][0] if issue["assignees"] else None
            if pull_request is not None or is_pull_request:
                issue["pull_request"] = dict(pull_request or {}) or {
                    "url": f"/repos/{full_name}/pulls/{number}",
                    "html_url": html,
                }
            issue.update(extra)
            repo.issues[number] = issue
            return issue

    def add_comment(
        self,
        full_name: str,
        number: int,
        body: str = "",
        user: Mapping[str, Any] | str = "octocat",
        author_association: str = "NONE",
        created_at: str | datetime | None = None,
        updated_at: str | datetime | None = None,
        touch_issue: bool = True,
        **extra: Any,
    ) -> JSON:
        """Add a comment (as a customer or anyone) and bump the issue's ``updated_at``."""
        with self._lock:
            repo = self._repo(full_name)
            issue = repo.issues.get(number)
            if issue is None:
                raise HttpFailure(404, "Not Found")
            created = to_time(created_at, self.clock)
            comment_id = extra.pop("id", None) or self._id()
            comment: JSON = {
                "id": comment_id,
                "node_id": node_id("IC", comment_id),
                "url": f"/repos/{full_name}/issues/comments/{comment_id}",
                "html_url": f"{issue['html_url']}#issuecomment-{comment_id}",
                "issue_url": issue["url"],
                "body": body,
                "user": api_user(user),
                "created_at": iso(created),
                "updated_at": iso(to_time(updated_at, self.clock) if updated_at else created),
                "author_association": author_association,
                "_number": number,
            }
            comment.update(extra)
            repo.comments[comment_id] = comment
            repo.by_issue.setdefault(number, []).append(comment_id)
            issue["comments"] += 1
            if touch_issue:
                issue["updated_at"] = max(issue["updated_at"], comment["updated_at"])
            return public(comment)

    def edit_comment(self, full_name: str, comment_id: int, body: str) -> JSON:
        with self._lock:
            comment = self._repo(full_name).comments[comment_id]
            comment["body"] = body
            comment["updated_at"] = iso(self.clock.now())
            return public(comment)

    def edit_issue(self, full_name: str, number: int, **changes: Any) -> JSON:
        """Change an issue as someone on github.com would (state, title, body, labels...)."""
        with self._lock:
            issue = self._repo(full_name).issues[number]
            self._apply_issue_patch(issue, changes)
            return issue

    def close_issue(self, full_name: str, number: int, reason: str = "completed") -> JSON:
        return self.edit_issue(full_name, number, state="closed", state_reason=reason)

    def reopen_issue(self, full_name: str, number: int) -> JSON:
        return self.edit_issue(full_name, number, state="open", state_reason="reopened")

    def transfer_issue(self, full_name: str, number: int, to: str) -> JSON:
        """Move an issue and its comments to repository ``to`` (created if needed), as GitHub does.

        The issue leaves this repository's lists; its old URL answers ``301
        Moved Permanently`` with a ``Location`` at the new issue. Returns the new issue.
        """
        with self._lock:
            repo = self._repo(full_name)
            if to not in self.repos:
                self.add_repo(to)
            issue = repo.issues.pop(number)
            comments = [repo.comments.pop(c) for c in repo.by_issue.pop(number, [])]
            kept = ("title", "body", "user", "author_association", "state", "state_reason")
            moved = self.add_issue(
                to,
                **{k: issue[k] for k in kept},
                labels=issue["labels"],
                assignees=issue["assignees"],
                created_at=issue["created_at"],
                closed_at=issue["closed_at"],
                updated_at=self.clock.now(),
            )
            for c in comments:
                self.add_comment(
                    to,
                    moved["number"],
                    body=c["body"],
                    user=c["user"],
                    author_association=c["author_association"],
                    created_at=c["created_at"],
                    updated_at=c["updated_at"],
                    touch_issue=False,
                    id=c["id"],
                )
            repo.moved[number] = (to, moved["number"])
            return dict(moved)

    def delete_issue(self, full_name: str, number: int) -> None:
        """Delete an issue: it leaves the lists and its URL answers ``410 Gone``."""
        with self._lock:
            repo = self._repo(full_name)
            repo.issues.pop(number)
            for cid in repo.by_issue.pop(number, []):
                repo.comments.pop(cid, None)
            repo.deleted.add(number)

    def comments_of(self, full_name: str, number: int) -> list[JSON]:
        """Comments of one issue, oldest first, as the API shows them."""
        with self._lock:
            found = self._repo(full_name).comments_of(number)
            return [public(c) for c in sorted(found, key=lambda c: (c["created_at"], c["id"]))]

    def issue(self, full_name: str, number: int) -> JSON:
        with self._lock:
            return dict(self._repo(full_name).issues[number])

    def _apply_issue_patch(self, issue: JSON, changes: Mapping[str, Any]) -> None:
        now = iso(self.clock.now())
        for key, value in changes.items():
            if key == "state":
                if value not in ("open", "closed"):
                    raise HttpFailure(422, "Validation Failed")
                if value != issue["state"]:
                    issue["closed_at"] = now if value == "closed" else None
                    issue["state_reason"] = "completed" if value == "closed" else "reopened"
                issue["state"] = value
            elif key == "state_reason":
                if value not in ("completed", "not_planned", "reopened", None):
                    raise HttpFailure(422, "Validation Failed")
                issue["state_reason"] = value
            elif key == "labels":
                issue["labels"] = [api_label(x) for x in value]
            elif key == "assignees":
                issue["assignees"] = [api_user(a) for a in value]
                issue["assignee"] = issue["assignees"][0] if issue["assignees"] else None
            elif key in ("title", "body"):
                issue[key] = value
            elif key == "updated_at":
                continue
            else:
                raise HttpFailure(422, f"Validation Failed: unknown field {key}")
        issue["updated_at"] = changes.get("updated_at") or now

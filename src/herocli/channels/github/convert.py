"""GitHub's JSON (REST and GraphQL) to the queue's messages and conversations."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from herocli.errors import ChannelError
from herocli.exchange import Conversation
from herocli.models import Message, RemoteState, utc

CHANNEL = "github"
TEAM_ASSOCIATIONS = frozenset({"MEMBER", "OWNER", "COLLABORATOR"})
_MARKER = re.compile(r"\s*<!-- hero:[A-Za-z0-9._:@/+=-]{1,200} -->\s*\Z")
_KEY_CHARS = re.compile(r"[^A-Za-z0-9._:@/+=-]")


def marker(key: str) -> str:
    """The hidden marker that ties a posted comment to its outbox key."""
    return f"<!-- hero:{_KEY_CHARS.sub('-', key)[:200]} -->"


def with_marker(body: str, key: str) -> str:
    return f"{body.rstrip()}\n\n{marker(key)}"


def strip_marker(body: str) -> str:
    return _MARKER.sub("", body)


def has_marker(body: str | None, key: str) -> bool:
    return bool(body) and marker(key) in (body or "")


def parse_time(value: str) -> datetime:
    return utc(datetime.fromisoformat(value.replace("Z", "+00:00")))


def split_external_id(external_id: str) -> tuple[str, int]:
    """``"owner/repo#12"`` -> ``("owner/repo", 12)``."""
    repo, sep, number = external_id.rpartition("#")
    if not sep or repo.count("/") != 1 or not number.isdigit():
        raise ChannelError(f"{external_id!r} is not a GitHub issue reference (owner/repo#number)")
    return repo, int(number)


@dataclass(frozen=True)
class Authors:
    """Decides ``team_hint`` from team logins and, when trusted, author_association."""

    team_logins: frozenset[str]
    trust_association: bool

    def hint(self, login: str, association: str | None) -> bool | None:
        if login.casefold() in self.team_logins:
            return True
        if self.trust_association and (association or "").upper() in TEAM_ASSOCIATIONS:
            return True
        return None


def _login(user: Mapping[str, Any] | None) -> str:
    # Deleted accounts come back as null; GitHub shows them as "ghost".
    if not user or not user.get("login"):
        return "ghost"
    login = str(user["login"])
    # GraphQL names a bot without the "[bot]" REST gives it; one bot, one login.
    if user.get("__typename") == "Bot" and not login.endswith("[bot]"):
        login += "[bot]"
    return login


def is_pull_request(issue: Mapping[str, Any]) -> bool:
    """PRs come back from the issues endpoint; only a non-null pull_request.url marks one."""
    pr = issue.get("pull_request")
    return isinstance(pr, Mapping) and bool(pr.get("url"))


def _message(prefix: str, data: Mapping[str, Any], authors: Authors, edited: str | None) -> Message:
    """An issue or comment in REST shape as a message; ``edited`` is when it was last edited."""
    login = _login(data.get("user"))
    return Message(
        external_id=f"{prefix}:{data['id']}",
        author_id=login,
        author_name=login,
        sent_at=parse_time(data["created_at"]),
        body=strip_marker(data.get("body") or ""),
        url=data.get("html_url"),
        team_hint=authors.hint(login, data.get("author_association")),
        edited_at=parse_time(edited) if edited else None,
    )


def rest_issue_message(issue: Mapping[str, Any], authors: Authors) -> Message:
    return _message("issue", issue, authors, None)


def rest_comment_message(comment: Mapping[str, Any], authors: Authors) -> Message:
    created, updated = comment["created_at"], comment.get("updated_at") or comment["created_at"]
    return _message("comment", comment, authors, updated if updated != created else None)


def rest_conversation(
    repo: str, issue: Mapping[str, Any], messages: Iterable[Message], *, in_scope: bool = True
) -> Conversation:
    """An issue as a conversation. Out of scope (it lost an included label, say), it
    reads as closed with ``why = "filtered"``; back in scope it reopens."""
    closed = issue.get("state") == "closed"
    why = None
    if closed:
        why = issue.get("state_reason") or "completed"
    elif not in_scope:
        why = "filtered"
    return Conversation(
        channel=CHANNEL,
        external_id=f"{repo}#{issue['number']}",
        title=issue.get("title") or "",
        messages=tuple(sorted(messages, key=lambda m: (m.sent_at, m.external_id))),
        url=issue.get("html_url"),
        remote_state=RemoteState.CLOSED if closed or not in_scope else RemoteState.OPEN,
        labels=tuple(str(x["name"]) for x in issue.get("labels") or ()),
        assignees=tuple(_login(a) for a in issue.get("assignees") or ()),
        meta={"repo": repo, "number": issue["number"], "issue_id": issue["id"], "why": why},
        closed_at=parse_time(issue["closed_at"]) if closed and issue.get("closed_at") else None,
    )


def comments_conversation(repo: str, number: int, messages: Iterable[Message]) -> Conversation:
    """Comments for an issue's item, if the queue has one; its other fields stay as they are."""
    return Conversation(
        channel=CHANNEL,
        external_id=f"{repo}#{number}",
        title="",
        messages=tuple(sorted(messages, key=lambda m: (m.sent_at, m.external_id))),
        join_only=True,
    )


def gql_message(node: Mapping[str, Any], prefix: str, authors: Authors) -> Message:
    """A GraphQL issue or comment node, read as the REST object it describes."""
    data = {
        "id": node["databaseId"],
        "user": node.get("author"),
        "created_at": node["createdAt"],
        "body": node.get("body"),
        "html_url": node.get("url"),
        "author_association": node.get("authorAssociation"),
    }
    return _message(prefix, data, authors, node.get("lastEditedAt"))


def conversation_gone(
    repo: str, number: int, why: str, moved: Mapping[str, Any] | None = None
) -> Conversation:
    """A closed conversation for an issue that left ``repo`` (``moved``: where it lives now).

    A deleted issue takes its title with it (the item reads ``owner/repo#N (deleted
    on GitHub)``); one gone where the token cannot see keeps the queue's title (an
    empty one). ``meta["why"]`` says what happened.
    """
    meta: dict[str, Any] = {"repo": repo, "number": number, "why": why}
    title = f"{repo}#{number} (deleted on GitHub)" if why == "deleted" else ""
    url = None
    if moved is not None:
        title = str(moved.get("title") or "")
        url = moved.get("html_url")
        where = str(moved.get("repository_url") or "").rstrip("/").split("/")[-2:]
        meta["moved_to"] = f"{'/'.join(where)}#{moved.get('number')}"
    return Conversation(
        channel=CHANNEL,
        external_id=f"{repo}#{number}",
        title=title,
        url=url,
        remote_state=RemoteState.CLOSED,
        meta=meta,
    )


def gql_conversation(
    repo: str, node: Mapping[str, Any], messages: Iterable[Message]
) -> Conversation:
    """A GraphQL issue node, read as the REST issue it describes."""
    issue = {
        "id": node["databaseId"],
        "number": node["number"],
        "title": node.get("title"),
        "html_url": node.get("url"),
        "state": str(node.get("state") or "").lower(),
        "closed_at": node.get("closedAt"),
        "labels": (node.get("labels") or {}).get("nodes"),
        "assignees": (node.get("assignees") or {}).get("nodes"),
    }
    return rest_conversation(repo, issue, messages)


def labels_pass(labels: Iterable[str], include: tuple[str, ...], exclude: tuple[str, ...]) -> bool:
    """Include: any listed label; exclude: none of them (case-insensitive, like GitHub's)."""
    have = {x.casefold() for x in labels}
    if include and not have & {x.casefold() for x in include}:
        return False
    return not have & {x.casefold() for x in exclude}

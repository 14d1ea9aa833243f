"""The GitHub simulator's GraphQL: exactly the operations the channel sends."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from herocli.simulators.github.limits import RateLimits
from herocli.simulators.github.state import RepoState
from herocli.simulators.github.wire import (
    JSON,
    HttpFailure,
    cursor_key,
    gql_actor,
    page_cursor,
)


class GraphqlApi(RateLimits):
    """Answers GraphQL queries by ``operationName``."""

    def graphql(self, body: Any) -> JSON:
        """Answer the GraphQL operations the channel sends (matched by operationName)."""
        if not isinstance(body, dict) or not isinstance(body.get("query"), str):
            raise HttpFailure(400, "Problems parsing JSON")
        variables = body.get("variables") or {}
        op = body.get("operationName") or operation_name(body["query"])
        with self._lock:
            rate = self._graphql_rate()
            full = f"{variables.get('owner')}/{variables.get('name')}"
            repo = self.repos.get(full)
            if repo is None:
                return {
                    "data": {"repository": None},
                    "errors": [
                        {
                            "type": "NOT_FOUND",
                            "path": ["repository"],
                            "message": f"Could not resolve to a Repository with the name '{full}'.",
                        }
                    ],
                }
            first = min(int(variables.get("first", 100)), 100, self.page_cap)
            if op == "HeroOpenIssues":
                return {
                    "data": {
                        "repository": {"issues": self._gql_issues(repo, variables, first)},
                        "rateLimit": rate,
                    }
                }
            if op == "HeroOpenNumbers":
                numbers = connection(open_issues(repo), variables.get("after"), first, _number_node)
                return {"data": {"repository": {"issues": numbers}, "rateLimit": rate}}
            if op == "HeroIssueComments":
                issue = repo.issues.get(int(variables.get("number", 0)))
                if issue is None or "pull_request" in issue:
                    return {
                        "data": {"repository": {"issue": None}},
                        "errors": [
                            {
                                "type": "NOT_FOUND",
                                "path": ["repository", "issue"],
                                "message": "Could not resolve to an Issue.",
                            }
                        ],
                    }
                comments = self._gql_comments(repo, issue, variables.get("after"), first)
                return {
                    "data": {"repository": {"issue": {"comments": comments}}, "rateLimit": rate}
                }
        return {"errors": [{"message": f"unknown operation {op!r}"}]}

    def _gql_issues(self, repo: RepoState, variables: Mapping[str, Any], first: int) -> JSON:
        comments_first = min(int(variables.get("commentsFirst", 100)), 100, self.page_cap)

        def node(issue: JSON) -> JSON:
            return {
                "databaseId": issue["id"],
                "number": issue["number"],
                "title": issue["title"],
                "body": issue["body"] or "",
                "url": issue["html_url"],
                "state": issue["state"].upper(),
                "createdAt": issue["created_at"],
                "updatedAt": issue["updated_at"],
                "lastEditedAt": None,
                "author": gql_actor(issue["user"]),
                "closedAt": issue.get("closed_at"),
                "authorAssociation": issue["author_association"],
                "labels": {"nodes": [{"name": lab["name"]} for lab in issue["labels"]]},
                "assignees": {"nodes": [{"login": a["login"]} for a in issue["assignees"]]},
                "comments": self._gql_comments(repo, issue, None, comments_first),
            }

        return connection(open_issues(repo), variables.get("after"), first, node)

    def _gql_comments(self, repo: RepoState, issue: JSON, after: str | None, first: int) -> JSON:
        mine = sorted(
            repo.comments_of(issue["number"]),
            key=lambda c: (c["created_at"], c["id"]),
        )
        return connection(mine, after, first, _comment_node)


def open_issues(repo: RepoState) -> list[JSON]:
    """Open issues, oldest first; the GraphQL issues connection holds no pull requests."""
    found = [i for i in repo.issues.values() if "pull_request" not in i and i["state"] == "open"]
    found.sort(key=lambda i: (i["created_at"], i["number"]))
    return found


def connection(
    found: list[JSON], after: str | None, first: int, node: Callable[[JSON], JSON]
) -> JSON:
    """One page of a GraphQL connection over ``found``, starting after the cursor ``after``.

    A cursor names the last node by its ordering key, so the connection
    changing in between (an issue closed) skips nothing, as on GitHub.
    """
    after_key = cursor_key(after)
    rest = [x for x in found if after_key is None or _key(x) > after_key]
    chunk = rest[:first]
    return {
        "totalCount": len(found),
        "pageInfo": {
            "hasNextPage": len(rest) > len(chunk),
            "endCursor": page_cursor(_key(chunk[-1])) if chunk else None,
        },
        "nodes": [node(x) for x in chunk],
    }


def _comment_node(c: JSON) -> JSON:
    return {
        "databaseId": c["id"],
        "body": c["body"],
        "url": c["html_url"],
        "createdAt": c["created_at"],
        "updatedAt": c["updated_at"],
        "lastEditedAt": c["updated_at"] if c["updated_at"] != c["created_at"] else None,
        "author": gql_actor(c["user"]),
        "authorAssociation": c["author_association"],
    }


def operation_name(query: str) -> str | None:
    match = re.search(r"\b(?:query|mutation)\s+(\w+)", query)
    return match.group(1) if match else None


def _number_node(issue: JSON) -> JSON:
    return {
        "number": issue["number"],
        "labels": {"nodes": [{"name": lab["name"]} for lab in issue["labels"]]},
    }


def _key(node: JSON) -> str:
    """Issues and comments are ordered by creation, then number or id."""
    return f"{node['created_at']}|{node.get('number', node['id']):012d}"

"""A local GitHub API server, built from the public REST and GraphQL docs.

It serves what the GitHub channel uses: repositories and org listings, issues
and issue comments (lists with ``state``/``since``/``sort``/``direction``/
``per_page``/``page`` and ``Link`` headers), writes (comments, issue edits,
labels, assignees), ``/rate_limit``, ``/user`` and the two GraphQL queries the
channel sends. Lists carry an ``ETag``; a matching ``If-None-Match`` answers
``304`` without spending rate limit, as GitHub does. Faults (rate limits, bad
credentials, 404, 5xx) can be queued with :meth:`GithubSimulator.inject`, and
every request lands in :attr:`GithubSimulator.requests`.

Only the standard library is used, so ``hero demo`` and the tests need nothing
else.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import socket
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

from herocli.models import Clock, SystemClock
from herocli.simulators.server import LocalServer

JSON = dict[str, Any]
DEMO_SEED = Path(__file__).parent / "data" / "github_demo.json"
DOCS = "https://docs.github.com/rest"
RATE_LIMIT = 5000
GRAPHQL_LIMIT = 5000


def iso(value: datetime) -> str:
    """GitHub's timestamp form: ISO 8601, UTC, whole seconds, ``Z``."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


@dataclass(frozen=True)
class Request:
    """One request as the server saw it."""

    method: str
    path: str
    query: Mapping[str, str]
    status: int
    counted: bool  # spent one unit of rate limit
    resource: str = "core"
    operation: str | None = None  # GraphQL operationName


@dataclass
class Fault:
    kind: str
    times: int = 1
    path: re.Pattern[str] | None = None
    method: str | None = None
    status: int | None = None
    retry_after: int | None = None
    reset_in: int = 60


@dataclass
class _Repo:
    meta: JSON
    issues: dict[int, JSON] = field(default_factory=dict)
    comments: dict[int, JSON] = field(default_factory=dict)  # id -> comment (with _number)
    by_issue: dict[int, list[int]] = field(default_factory=dict)  # number -> comment ids

    def comments_of(self, number: int) -> list[JSON]:
        return [self.comments[c] for c in self.by_issue.get(number, ()) if c in self.comments]


class HttpFailure(Exception):
    def __init__(
        self,
        status: int,
        message: str,
        headers: Mapping[str, str] | None = None,
        body: JSON | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})
        self.body = body


class GithubSimulator(LocalServer):
    """A GitHub API server on 127.0.0.1 with state you can seed, change and inspect."""

    def __init__(
        self,
        seed: Mapping[str, Any] | Path | str | None = None,
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
        self.repos: dict[str, _Repo] = {}
        self.requests: list[Request] = []
        self._faults: list[Fault] = []
        self._lock = threading.RLock()
        self._next_id = 1000
        self._used: dict[tuple[str, str], int] = {}  # (token, resource) -> used this window
        self._window_start = self.clock.now()
        if seed is not None:
            self.load(seed)

    # ------------------------------------------------------------------ lifecycle
    def _handler(self) -> type[BaseHTTPRequestHandler]:
        simulator = self

        class Handler(_Handler):
            sim = simulator

        return Handler

    @property
    def url(self) -> str:
        return self.base_url

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
            self.repos[full_name] = _Repo(
                meta={
                    "id": self._id(),
                    "node_id": _node("R", full_name),
                    "name": name,
                    "full_name": full_name,
                    "owner": _user(owner, "Organization"),
                    "private": private,
                    "archived": archived,
                    "html_url": f"{self.html_base}/{full_name}",
                    "has_issues": True,
                }
            )

    def _repo(self, full_name: str) -> _Repo:
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
                number = max(repo.issues, default=0) + 1
            created = _when(created_at, self.clock)
            issue_id = extra.pop("id", None) or self._id()
            api = f"/repos/{full_name}/issues/{number}"
            html = (
                f"{self.html_base}/{full_name}/{'pull' if is_pull_request else 'issues'}/{number}"
            )
            issue: JSON = {
                "id": issue_id,
                "node_id": _node("I", issue_id),
                "url": api,
                "repository_url": f"/repos/{full_name}",
                "comments_url": f"{api}/comments",
                "html_url": html,
                "number": number,
                "state": state,
                "state_reason": state_reason,
                "title": title,
                "body": body,
                "user": _user(user),
                "labels": [_label(x) for x in labels],
                "assignees": [_user(a) for a in assignees],
                "comments": 0,
                "created_at": iso(created),
                "updated_at": iso(_when(updated_at, self.clock) if updated_at else created),
                "closed_at": iso(_when(closed_at, self.clock)) if closed_at else None,
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
            created = _when(created_at, self.clock)
            comment_id = extra.pop("id", None) or self._id()
            comment: JSON = {
                "id": comment_id,
                "node_id": _node("IC", comment_id),
                "url": f"/repos/{full_name}/issues/comments/{comment_id}",
                "html_url": f"{issue['html_url']}#issuecomment-{comment_id}",
                "issue_url": issue["url"],
                "body": body,
                "user": _user(user),
                "created_at": iso(created),
                "updated_at": iso(_when(updated_at, self.clock) if updated_at else created),
                "author_association": author_association,
                "_number": number,
            }
            comment.update(extra)
            repo.comments[comment_id] = comment
            repo.by_issue.setdefault(number, []).append(comment_id)
            issue["comments"] += 1
            if touch_issue:
                issue["updated_at"] = max(issue["updated_at"], comment["updated_at"])
            return _public(comment)

    def edit_comment(self, full_name: str, comment_id: int, body: str) -> JSON:
        with self._lock:
            comment = self._repo(full_name).comments[comment_id]
            comment["body"] = body
            comment["updated_at"] = iso(self.clock.now())
            return _public(comment)

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

    def transfer_issue(self, full_name: str, number: int) -> None:
        """The issue moves to another repository: it leaves this one's lists."""
        with self._lock:
            repo = self._repo(full_name)
            repo.issues.pop(number)
            for cid in repo.by_issue.pop(number, []):
                repo.comments.pop(cid, None)

    def comments_of(self, full_name: str, number: int) -> list[JSON]:
        """Comments of one issue, oldest first, as the API shows them."""
        with self._lock:
            found = self._repo(full_name).comments_of(number)
            return [_public(c) for c in sorted(found, key=lambda c: (c["created_at"], c["id"]))]

    def issue(self, full_name: str, number: int) -> JSON:
        with self._lock:
            return dict(self._repo(full_name).issues[number])

    # ------------------------------------------------------------------ faults
    def inject(
        self,
        kind: str,
        *,
        times: int = 1,
        path: str | None = None,
        method: str | None = None,
        status: int | None = None,
        retry_after: int | None = None,
        reset_in: int = 60,
    ) -> None:
        """Queue a fault for the next matching request(s).

        ``kind`` is ``primary_rate_limit`` (403, remaining 0, reset in
        ``reset_in`` s), ``secondary_rate_limit`` (``status`` 403 or 429, with
        ``retry-after`` when given), ``bad_credentials`` (401), ``not_found``
        (404) or ``server_error`` (``status`` 5xx, 502 by default). ``path`` is
        a regular expression searched in the request path.
        """
        kinds = {
            "primary_rate_limit",
            "secondary_rate_limit",
            "bad_credentials",
            "not_found",
            "server_error",
        }
        if kind not in kinds:
            raise ValueError(f"unknown fault {kind!r}; one of {sorted(kinds)}")
        with self._lock:
            self._faults.append(
                Fault(
                    kind,
                    times=times,
                    path=re.compile(path) if path else None,
                    method=method,
                    status=status,
                    retry_after=retry_after,
                    reset_in=reset_in,
                )
            )

    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.path is not None and not fault.path.search(path):
                    continue
                if fault.method is not None and fault.method != method:
                    continue
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    # ------------------------------------------------------------------ rate limits
    def _reset_epoch(self) -> int:
        now = self.clock.now()
        if now - self._window_start >= timedelta(hours=1):
            self._window_start = now
            self._used.clear()
        return int((self._window_start + timedelta(hours=1)).timestamp())

    def rate_headers(self, token: str, resource: str, spend: int) -> dict[str, str]:
        with self._lock:
            reset = self._reset_epoch()
            limit = GRAPHQL_LIMIT if resource == "graphql" else RATE_LIMIT
            used = self._used.get((token, resource), 0) + spend
            self._used[(token, resource)] = used
            return {
                "x-ratelimit-limit": str(limit),
                "x-ratelimit-remaining": str(max(limit - used, 0)),
                "x-ratelimit-used": str(used),
                "x-ratelimit-reset": str(reset),
                "x-ratelimit-resource": resource,
            }

    def counted(self, **match: str) -> int:
        """How many logged requests spent rate limit (optionally filtered by method/path)."""
        return sum(
            1
            for r in self.requests
            if r.counted and all(getattr(r, k) == v for k, v in match.items())
        )

    def clear_log(self) -> None:
        with self._lock:
            self.requests.clear()

    # ------------------------------------------------------------------ REST
    def handle(
        self, method: str, path: str, query: Mapping[str, str], body: Any, login: str = "hero-bot"
    ) -> tuple[int, Any, dict[str, str]]:
        """Answer one authenticated request: (status, JSON body, extra headers)."""
        with self._lock:
            self._current_login = login
            return self._route(method, path, query, body)

    def _route(
        self, method: str, path: str, query: Mapping[str, str], body: Any
    ) -> tuple[int, Any, dict[str, str]]:
        parts = [unquote(p) for p in path.strip("/").split("/")]
        if method == "GET" and parts == ["user"]:
            return 200, _user(self._current_login), {}
        if method == "GET" and parts == ["rate_limit"]:
            return 200, self._rate_limit_body(), {}
        if method == "GET" and len(parts) == 3 and parts[0] == "orgs" and parts[2] == "repos":
            repos = [
                r.meta for name, r in sorted(self.repos.items()) if name.split("/")[0] == parts[1]
            ]
            if not repos:
                raise HttpFailure(404, "Not Found")
            return self._page(path, query, repos)
        if len(parts) < 3 or parts[0] != "repos":
            raise HttpFailure(404, "Not Found")
        full = f"{parts[1]}/{parts[2]}"
        repo = self._repo(full)
        rest = parts[3:]
        if method == "GET" and not rest:
            return 200, repo.meta, {}
        if rest == ["issues"] and method == "GET":
            return self._page(path, query, self._list_issues(repo, query))
        if rest == ["issues", "comments"] and method == "GET":
            return self._page(path, query, self._list_comments(repo.comments.values(), query))
        if len(rest) >= 2 and rest[0] == "issues" and rest[1].isdigit():
            issue = repo.issues.get(int(rest[1]))
            if issue is None:
                raise HttpFailure(404, "Not Found")
            return self._issue_route(full, issue, method, rest[2:], query, body)
        raise HttpFailure(404, "Not Found")

    def _issue_route(
        self,
        full: str,
        issue: JSON,
        method: str,
        rest: list[str],
        query: Mapping[str, str],
        body: Any,
    ) -> tuple[int, Any, dict[str, str]]:
        data = body if isinstance(body, dict) else {}
        if not rest:
            if method == "GET":
                return 200, issue, {}
            if method == "PATCH":
                self._apply_issue_patch(issue, data)
                return 200, issue, {}
        elif rest == ["comments"]:
            if method == "GET":
                mine = [c for c in self.repos[full].comments_of(issue["number"])]
                return self._page(
                    f"/repos/{full}/issues/{issue['number']}/comments",
                    query,
                    self._list_comments(mine, query),
                )
            if method == "POST":
                text = data.get("body")
                if not isinstance(text, str) or not text:
                    raise HttpFailure(422, "Validation Failed")
                comment = self.add_comment(
                    full,
                    issue["number"],
                    body=text,
                    user=self._current_login,
                    author_association="MEMBER",
                )
                return 201, comment, {"location": comment["url"]}
        elif rest[0] == "labels":
            if method == "POST" and len(rest) == 1:
                names = data.get("labels", [])
                have = [lab["name"] for lab in issue["labels"]]
                self._apply_issue_patch(
                    issue, {"labels": have + [n for n in names if n not in have]}
                )
                return 200, issue["labels"], {}
            if method == "DELETE" and len(rest) == 2:
                have = [lab["name"] for lab in issue["labels"]]
                if rest[1] not in have:
                    raise HttpFailure(404, "Label does not exist")
                self._apply_issue_patch(issue, {"labels": [n for n in have if n != rest[1]]})
                return 200, issue["labels"], {}
            if method == "DELETE" and len(rest) == 1:
                self._apply_issue_patch(issue, {"labels": []})
                return 204, None, {}
        elif rest == ["assignees"]:
            names = data.get("assignees", [])
            have = [a["login"] for a in issue["assignees"]]
            if method == "POST":
                self._apply_issue_patch(
                    issue, {"assignees": have + [n for n in names if n not in have]}
                )
                return 201, issue, {}
            if method == "DELETE":
                self._apply_issue_patch(issue, {"assignees": [n for n in have if n not in names]})
                return 200, issue, {}
        raise HttpFailure(404, "Not Found")

    _current_login = "hero-bot"

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
                issue["labels"] = [_label(x) for x in value]
            elif key == "assignees":
                issue["assignees"] = [_user(a) for a in value]
                issue["assignee"] = issue["assignees"][0] if issue["assignees"] else None
            elif key in ("title", "body"):
                issue[key] = value
            elif key == "updated_at":
                continue
            else:
                raise HttpFailure(422, f"Validation Failed: unknown field {key}")
        issue["updated_at"] = changes.get("updated_at") or now

    def _list_issues(self, repo: _Repo, query: Mapping[str, str]) -> list[JSON]:
        state = query.get("state", "open")
        if state not in ("open", "closed", "all"):
            raise HttpFailure(422, "Validation Failed")
        found = [i for i in repo.issues.values() if state == "all" or i["state"] == state]
        if "since" in query:
            # Stored timestamps share one form, so they compare as strings.
            since = iso(_since(query["since"]))
            found = [i for i in found if i["updated_at"] >= since]
        if query.get("labels"):
            wanted = set(query["labels"].split(","))
            found = [i for i in found if wanted <= {lab["name"] for lab in i["labels"]}]
        sort = query.get("sort", "created")
        key = {"created": "created_at", "updated": "updated_at", "comments": "comments"}.get(sort)
        if key is None:
            raise HttpFailure(422, "Validation Failed")
        reverse = query.get("direction", "desc") == "desc"
        return sorted(found, key=lambda i: (i[key], i["number"]), reverse=reverse)

    def _list_comments(self, comments: Iterable[JSON], query: Mapping[str, str]) -> list[JSON]:
        found = list(comments)
        if "since" in query:
            since = iso(_since(query["since"]))
            found = [c for c in found if c["updated_at"] >= since]
        sort = query.get("sort")
        if sort is None:
            return sorted(found, key=lambda c: c["id"])
        key = {"created": "created_at", "updated": "updated_at"}.get(sort)
        if key is None:
            raise HttpFailure(422, "Validation Failed")
        reverse = query.get("direction", "desc") == "desc"
        return sorted(found, key=lambda c: (c[key], c["id"]), reverse=reverse)

    def _page(
        self, path: str, query: Mapping[str, str], items: list[JSON]
    ) -> tuple[int, Any, dict[str, str]]:
        try:
            per_page = min(max(int(query.get("per_page", "30")), 1), 100)
            page = max(int(query.get("page", "1")), 1)
        except ValueError:
            raise HttpFailure(422, "Validation Failed") from None
        last = max((len(items) + per_page - 1) // per_page, 1)
        chunk = [_public(x) for x in items[(page - 1) * per_page : page * per_page]]
        links = []

        def link(n: int, rel: str) -> str:
            q = dict(query)
            q["page"] = str(n)
            return f'<{self.url}{path}?{urlencode(q)}>; rel="{rel}"'

        if page > 1:
            links += [link(page - 1, "prev"), link(1, "first")]
        if page < last:
            links += [link(page + 1, "next"), link(last, "last")]
        return 200, chunk, {"link": ", ".join(links)} if links else {}

    def _rate_limit_body(self) -> JSON:
        reset = self._reset_epoch()

        def res(limit: int, resource: str) -> JSON:
            used = sum(v for (_t, r), v in self._used.items() if r == resource)
            return {"limit": limit, "used": used, "remaining": max(limit - used, 0), "reset": reset}

        core = res(RATE_LIMIT, "core")
        return {"resources": {"core": core, "graphql": res(GRAPHQL_LIMIT, "graphql")}, "rate": core}

    # ------------------------------------------------------------------ GraphQL
    def graphql(self, body: Any) -> JSON:
        """Answer the GraphQL operations the channel sends (matched by operationName)."""
        if not isinstance(body, dict) or not isinstance(body.get("query"), str):
            raise HttpFailure(400, "Problems parsing JSON")
        variables = body.get("variables") or {}
        op = body.get("operationName") or _operation_name(body["query"])
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
            first = min(int(variables.get("first", 100)), 100)
            if op == "HeroOpenIssues":
                return {
                    "data": {
                        "repository": {"issues": self._gql_issues(repo, variables, first)},
                        "rateLimit": rate,
                    }
                }
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

    def _graphql_rate(self) -> JSON:
        reset = datetime.fromtimestamp(self._reset_epoch(), UTC)
        return {"cost": 1, "remaining": GRAPHQL_LIMIT, "resetAt": iso(reset)}

    def _gql_issues(self, repo: _Repo, variables: Mapping[str, Any], first: int) -> JSON:
        # The GraphQL issues connection holds no pull requests.
        found = [
            i for i in repo.issues.values() if "pull_request" not in i and i["state"] == "open"
        ]
        found.sort(key=lambda i: (i["created_at"], i["number"]))
        start = _cursor_index(variables.get("after"))
        chunk = found[start : start + first]
        comments_first = min(int(variables.get("commentsFirst", 100)), 100)
        nodes = []
        for issue in chunk:
            nodes.append(
                {
                    "databaseId": issue["id"],
                    "number": issue["number"],
                    "title": issue["title"],
                    "body": issue["body"] or "",
                    "url": issue["html_url"],
                    "state": issue["state"].upper(),
                    "createdAt": issue["created_at"],
                    "updatedAt": issue["updated_at"],
                    "lastEditedAt": None,
                    "author": {"login": issue["user"]["login"]},
                    "authorAssociation": issue["author_association"],
                    "labels": {"nodes": [{"name": lab["name"]} for lab in issue["labels"]]},
                    "assignees": {"nodes": [{"login": a["login"]} for a in issue["assignees"]]},
                    "comments": self._gql_comments(repo, issue, None, comments_first),
                }
            )
        end = start + len(chunk)
        return {
            "totalCount": len(found),
            "pageInfo": {
                "hasNextPage": end < len(found),
                "endCursor": _cursor(end) if chunk else None,
            },
            "nodes": nodes,
        }

    def _gql_comments(self, repo: _Repo, issue: JSON, after: str | None, first: int) -> JSON:
        mine = sorted(
            repo.comments_of(issue["number"]),
            key=lambda c: (c["created_at"], c["id"]),
        )
        start = _cursor_index(after)
        chunk = mine[start : start + first]
        end = start + len(chunk)
        return {
            "totalCount": len(mine),
            "pageInfo": {
                "hasNextPage": end < len(mine),
                "endCursor": _cursor(end) if chunk else None,
            },
            "nodes": [
                {
                    "databaseId": c["id"],
                    "body": c["body"],
                    "url": c["html_url"],
                    "createdAt": c["created_at"],
                    "updatedAt": c["updated_at"],
                    "lastEditedAt": c["updated_at"] if c["updated_at"] != c["created_at"] else None,
                    "author": {"login": c["user"]["login"]},
                    "authorAssociation": c["author_association"],
                }
                for c in chunk
            ],
        }


class _Handler(BaseHTTPRequestHandler):
    sim: GithubSimulator
    protocol_version = "HTTP/1.1"
    server_version = "GitHub.com-simulator"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes; without this, Nagle's
        # algorithm and delayed ACKs add ~40 ms to every keep-alive request.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def date_time_string(self, timestamp: float | None = None) -> str:
        # The Date header follows the simulated clock, as GitHub's follows its own.
        return format_datetime(self.sim.clock.now().astimezone(UTC), usegmt=True)

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PATCH(self) -> None:
        self._serve("PATCH")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def _serve(self, method: str) -> None:
        sim = self.sim
        split = urlsplit(self.path)
        path = split.path.rstrip("/") or "/"
        query = {k: v[-1] for k, v in parse_qs(split.query).items()}
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        is_graphql = path in ("/graphql", "/api/graphql")
        resource = "graphql" if is_graphql else "core"
        token = _token(self.headers.get("authorization", ""))
        operation: str | None = None
        headers: dict[str, str] = {}
        counted = True
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        if is_graphql and isinstance(body, dict):
            operation = body.get("operationName") or _operation_name(str(body.get("query", "")))
        try:
            if token not in sim.tokens:
                counted = False
                raise HttpFailure(401, "Bad credentials")
            fault = sim._take_fault(method, path)
            if fault is not None:
                raise _fault_failure(sim, fault, token, resource)
            if is_graphql:
                if method != "POST":
                    raise HttpFailure(404, "Not Found")
                extra: dict[str, str] = {}
                status, payload = 200, sim.graphql(body)
            else:
                status, payload, extra = sim.handle(method, path, query, body, sim.tokens[token])
            data = b"" if payload is None else json.dumps(payload).encode()
            headers.update(extra)
            if method == "GET" and status == 200:
                etag = (
                    'W/"'
                    + hashlib.sha256(data + extra.get("link", "").encode()).hexdigest()[:40]
                    + '"'
                )
                headers["etag"] = etag
                if etag in [t.strip() for t in self.headers.get("if-none-match", "").split(",")]:
                    status, data, counted = 304, b"", False
            headers.update(sim.rate_headers(token, resource, 1 if counted else 0))
        except HttpFailure as failure:
            status = failure.status
            data = json.dumps(
                failure.body
                or {"message": failure.message, "documentation_url": DOCS, "status": str(status)}
            ).encode()
            if status == 401:
                counted = False
            else:
                headers.update(sim.rate_headers(token, resource, 1 if counted else 0))
            headers.update(failure.headers)
        with sim._lock:
            sim.requests.append(Request(method, path, query, status, counted, resource, operation))
        self.send_response(status)
        if status != 304 and data:
            self.send_header("content-type", "application/json; charset=utf-8")
        self.send_header("content-length", str(len(data)))
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        if data:
            self.wfile.write(data)


def _fault_failure(sim: GithubSimulator, fault: Fault, token: str, resource: str) -> HttpFailure:
    if fault.kind == "primary_rate_limit":
        reset = int(sim.clock.now().timestamp()) + fault.reset_in
        headers = sim.rate_headers(token, resource, 0)
        headers.update({"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)})
        message = "API rate limit exceeded for user ID 1."
        if resource == "graphql":
            # GraphQL answers its primary limit with a 200 and an error in the body.
            body = {"errors": [{"type": "RATE_LIMITED", "message": message}]}
            return HttpFailure(fault.status or 200, message, headers, body)
        return HttpFailure(fault.status or 403, message, headers)
    if fault.kind == "secondary_rate_limit":
        headers = {"retry-after": str(fault.retry_after)} if fault.retry_after is not None else {}
        return HttpFailure(
            fault.status or 403,
            "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
            headers,
        )
    if fault.kind == "bad_credentials":
        return HttpFailure(401, "Bad credentials")
    if fault.kind == "not_found":
        return HttpFailure(404, "Not Found")
    return HttpFailure(fault.status or 502, "Server Error")


def _token(header: str) -> str:
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() in ("token", "bearer") else ""


def _operation_name(query: str) -> str | None:
    match = re.search(r"\b(?:query|mutation)\s+(\w+)", query)
    return match.group(1) if match else None


def _cursor(index: int) -> str:
    return base64.b64encode(f"cursor:v2:{index}".encode()).decode()


def _cursor_index(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        return int(base64.b64decode(cursor).decode().rsplit(":", 1)[1])
    except (ValueError, IndexError):
        raise HttpFailure(422, "invalid cursor") from None


def _since(value: str) -> datetime:
    try:
        return parse_iso(value)
    except ValueError:
        raise HttpFailure(422, "Validation Failed: since is not an ISO 8601 timestamp") from None


def _when(value: str | datetime | None, clock: Clock) -> datetime:
    if value is None:
        return clock.now()
    if isinstance(value, datetime):
        return value
    return parse_iso(value)


def _node(kind: str, value: object) -> str:
    return base64.b64encode(f"{kind}_{value}".encode()).decode()


def _user(value: Mapping[str, Any] | str, kind: str = "User") -> JSON:
    login = value if isinstance(value, str) else str(value["login"])
    digest = int(hashlib.sha256(login.encode()).hexdigest()[:8], 16)
    user: JSON = {
        "login": login,
        "id": digest,
        "type": kind,
        "html_url": f"https://github.com/{login}",
    }
    if not isinstance(value, str):
        user.update(value)
    return user


def _label(value: Mapping[str, Any] | str) -> JSON:
    name = value if isinstance(value, str) else str(value["name"])
    digest = int(hashlib.sha256(name.encode()).hexdigest()[:8], 16)
    return {"id": digest, "name": name, "color": f"{digest & 0xFFFFFF:06x}"}


def _public(comment: JSON) -> JSON:
    return {k: v for k, v in comment.items() if not k.startswith("_")}


def main() -> None:
    """Serve the demo seed until interrupted: ``python -m herocli.simulators.github``."""
    import time

    with GithubSimulator(seed=DEMO_SEED, tokens={"demo-token": "hana"}) as sim:
        print(f'api_url = "{sim.url}"  (token: demo-token)', flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()

"""The GitHub simulator's REST routes: repositories, issues, comments and their writes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import unquote, urlencode

from herocli.simulators.github.limits import RateLimits
from herocli.simulators.github.state import RepoState
from herocli.simulators.github.wire import (
    DOCS,
    JSON,
    HttpFailure,
    api_user,
    iso,
    public,
    since_time,
)


class RestApi(RateLimits):
    """Answers authenticated REST requests from the state."""

    _current_login = "hero-bot"

    @property
    def url(self) -> str:
        raise NotImplementedError

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
            return 200, api_user(self._current_login), {}
        if method == "GET" and parts == ["rate_limit"]:
            return 200, self._rate_limit_body(), {}
        if method == "GET" and len(parts) == 3 and parts[0] == "orgs" and parts[2] == "repos":
            repos = [
                r.meta for name, r in sorted(self.repos.items()) if name.split("/")[0] == parts[1]
            ]
            if not repos:
                raise HttpFailure(404, "Not Found")
            return self._page(path, query, repos)
        if len(parts) >= 2 and parts[0] == "repositories" and parts[1].isdigit():
            # GitHub's id-based URLs, where redirects for moved issues point.
            found = [n for n, r in self.repos.items() if r.meta["id"] == int(parts[1])]
            if not found:
                raise HttpFailure(404, "Not Found")
            return self._route(method, "/".join(["/repos", found[0], *parts[2:]]), query, body)
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
                raise self._missing_issue(repo, int(rest[1]), rest[2:])
            return self._issue_route(full, issue, method, rest[2:], query, body)
        raise HttpFailure(404, "Not Found")

    def _missing_issue(self, repo: RepoState, number: int, rest: list[str]) -> HttpFailure:
        """301 to where a transferred issue lives now, 410 for a deleted one, else 404."""
        if number in repo.moved:
            full, new = repo.moved[number]
            target = self.repos[full].meta["id"]
            location = "/".join([f"{self.url}/repositories/{target}/issues/{new}", *rest])
            body = {"message": "Moved Permanently", "url": location, "documentation_url": DOCS}
            return HttpFailure(301, "Moved Permanently", {"location": location}, body)
        if number in repo.deleted:
            return HttpFailure(410, "This issue was deleted")
        return HttpFailure(404, "Not Found")

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

    def _list_issues(self, repo: RepoState, query: Mapping[str, str]) -> list[JSON]:
        state = query.get("state", "open")
        if state not in ("open", "closed", "all"):
            raise HttpFailure(422, "Validation Failed")
        found = [i for i in repo.issues.values() if state == "all" or i["state"] == state]
        if "since" in query:
            # Stored timestamps share one form, so they compare as strings.
            since = iso(since_time(query["since"]))
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
            since = iso(since_time(query["since"]))
            found = [c for c in found if c["updated_at"] >= since]
        sort = query.get("sort")
        if sort is None:
            return sorted(found, key=lambda c: c["id"])
        key = {"created": "created_at", "updated": "updated_at"}.get(sort)
        if key is None:
            raise HttpFailure(422, "Validation Failed")
        reverse = query.get("direction", "desc") == "desc"
        return sorted(found, key=lambda c: (c[key], c["id"]), reverse=reverse)

    def _link_path(self, path: str) -> str:
        """Where a page's Link points: GitHub names a repository by its id there
        (``/repositories/1300192/issues?page=2`` for ``/repos/octocat/Spoon-Knife/issues``)."""
        parts = path.strip("/").split("/")
        if len(parts) >= 3 and parts[0] == "repos":
            repo = self.repos.get(f"{unquote(parts[1])}/{unquote(parts[2])}")
            if repo is not None:
                return "/" + "/".join(["repositories", str(repo.meta["id"]), *parts[3:]])
        return path

    def _page(
        self, path: str, query: Mapping[str, str], items: list[JSON]
    ) -> tuple[int, Any, dict[str, str]]:
        try:
            per_page = min(max(int(query.get("per_page", "30")), 1), 100, self.page_cap)
            page = max(int(query.get("page", "1")), 1)
        except ValueError:
            raise HttpFailure(422, "Validation Failed") from None
        last = max((len(items) + per_page - 1) // per_page, 1)
        chunk = [public(x) for x in items[(page - 1) * per_page : page * per_page]]
        links = []

        where = self._link_path(path)

        def link(n: int, rel: str) -> str:
            q = dict(query)
            q["page"] = str(n)
            return f'<{self.url}{where}?{urlencode(q)}>; rel="{rel}"'

        if page > 1:
            links += [link(page - 1, "prev"), link(1, "first")]
        if page < last:
            links += [link(page + 1, "next"), link(last, "last")]
        return 200, chunk, {"link": ", ".join(links)} if links else {}

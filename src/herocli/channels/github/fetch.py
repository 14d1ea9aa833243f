"""Fetching issues and comments with as few requests as GitHub allows, and missing none.

Per repository the cursor holds ``since`` and ``csince`` (the high-water
marks of ``updated_at`` in the issue list and in the comment list, once a
first sync finished), ``etags`` (URL -> [ETag, next URL]), ``seen`` (ids and
``updated_at`` of what was returned inside the overlap window, so the overlap
never yields a message twice), ``read`` (GitHub's second when the last pass
began reading) and what ``issues.py`` describes (``open``, ``counts``,
``out``). A first sync that is interrupted keeps ``first`` (see ``first.py``);
an incremental pass keeps ``inc`` (its position in each list).

**The second of the read.** ``updated_at`` has one-second resolution: what
changes again in the second hero read it keeps its ``updated_at``. So an
entry of ``seen`` counts as seen only when its ``updated_at`` is older than
``read``; anything newer is followed again (ingest is idempotent, and the
list page that returns it is read anyway), and the high-water marks never
pass ``read``, so it stays inside the next pass's window.

**Later syncs** walk, by key (``walk.py``), ``issues/comments?since=…`` and
then ``issues?state=all&since=…``, each from its own mark minus a minute.
A comment is filed with its issue's item when the queue has one (an item
closed in the queue wakes on a customer's comment). An issue seen changed is
followed: title, labels, assignees, open or closed, in or out of the label
filter. One that enters the queue after the first sync (new, reopened,
relabelled, transferred in), or whose ``comments`` count disagrees with what
hero holds, has all its comments read.

Issues transferred or deleted never show in those lists; ``reconciled`` holds
when the repository was last checked for them (see ``reconcile.py``).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

from herocli.channels.github.client import GithubClient, GithubNotFound
from herocli.channels.github.convert import (
    Authors,
    comments_conversation,
    parse_time,
    rest_comment_message,
    rest_conversation,
    rest_issue_message,
)
from herocli.channels.github.first import FirstSync
from herocli.channels.github.issues import (
    OVERLAP,
    PAGE,
    IssueReader,
    Remember,
    issue_number,
    known_open,
    set_known,
)
from herocli.channels.github.reconcile import Reconciler
from herocli.channels.github.walk import start, walk
from herocli.config_github import GithubSettings
from herocli.errors import (
    AuthError,
    ChannelError,
    HeroError,
    NotFoundError,
    RateLimitedError,
    UnreachableError,
)
from herocli.exchange import Conversation, FetchPage, SyncProgress
from herocli.models import JSON, Message


def iso(value: Any) -> str:
    return str(value.strftime("%Y-%m-%dT%H:%M:%SZ"))


def _when(value: str) -> Any:
    """A timestamp's sort key, the empty string first."""
    return parse_time(value) if value else parse_time("1970-01-01T00:00:00Z")


def _mark(old: str, newest: str, read: str) -> str:
    """The next high-water mark: the newest ``updated_at`` read, but never past the
    second the pass began reading (a change in that second may come unseen), nor back."""
    return max(old, min(newest, read, key=_when), key=_when)


class RepositoryFailures(ChannelError):
    """Some repositories failed (each named); the others synced. Its exit code is theirs
    when they agree (5 when each was not found), else 1."""

    def __init__(self, failures: list[tuple[str, HeroError]]) -> None:
        super().__init__("; ".join(e.message for _r, e in failures), hint=failures[0][1].hint)
        self.failures = failures
        codes = {e.exit_code for _r, e in failures}
        if len(codes) == 1:
            self.exit_code = codes.pop()


class Fetcher:
    def __init__(self, client: GithubClient, settings: GithubSettings, authors: Authors) -> None:
        self.client = client
        self.settings = settings
        self.authors = authors
        self.reader = IssueReader(client, settings, authors)
        self.reconciler = Reconciler(client, self.reader, self._graphql_data)
        self.first = FirstSync(client, self.reader, self._graphql_data, self._not_found)

    # ------------------------------------------------------------------ entry
    def fetch(self, cursor: JSON, progress: SyncProgress) -> Iterator[FetchPage]:
        state: JSON = copy.deepcopy(cursor) if cursor else {}
        state.setdefault("v", 1)
        state.setdefault("repos", {})
        repos = self._repos(state, progress)
        failures: list[tuple[str, HeroError]] = []
        moved_in: set[str] = set()  # repos where an old issue entered: maybe a transfer
        checked: set[str] = set()
        for index, repo in enumerate(repos):
            progress.update(f"GitHub {repo}", completed=index, total=len(repos))
            try:
                pages = self._repo(repo, state, progress, moved_in, checked, due=None)
                yield from self._isolated(repo, state, pages)
            except HeroError as exc:
                failures.append((repo, exc))
        # An issue transferred between two watched repositories would be in the
        # queue twice until the next check: check the others now.
        if moved_in and len(repos) > 1:
            for repo in repos:
                if repo in checked or repo in {r for r, _e in failures}:
                    continue
                try:
                    pages = self._repo(repo, state, progress, set(), checked, due=True)
                    yield from self._isolated(repo, state, pages)
                except HeroError as exc:
                    failures.append((repo, exc))
        progress.update("GitHub", completed=len(repos), total=len(repos))
        if failures:
            raise failures[0][1] if len(failures) == 1 else RepositoryFailures(failures)

    def _isolated(self, repo: str, state: JSON, pages: Iterator[FetchPage]) -> Iterator[FetchPage]:
        """One repository's ``pages``; on their failure its cursor goes back to the last page kept.

        A credential, reach or rate-limit failure would fail every repository:
        it stops the fetch. Anything else is this repository's alone.
        """
        kept = copy.deepcopy(state["repos"].get(repo, {}))
        try:
            for page in pages:
                yield page
                # The page's cursor is a copy of the state, and nobody changes it.
                kept = page.cursor["repos"].get(repo, {})
        except (AuthError, RateLimitedError, UnreachableError):
            raise
        except HeroError:
            state["repos"][repo] = copy.deepcopy(kept)
            raise

    def _repo(
        self,
        repo: str,
        state: JSON,
        progress: SyncProgress,
        moved_in: set[str],
        checked: set[str],
        due: bool | None,
    ) -> Iterator[FetchPage]:
        rc: JSON = state["repos"].setdefault(repo, {})
        if due is None:
            if "since" not in rc:
                yield from self._first_sync(repo, rc, state, progress)
            # A pass left half-done by an earlier sync is finished first; its lists
            # were partly read before this sync began, so a fresh pass follows.
            for _ in range(2 if "inc" in rc else 1):
                incremental = Incremental(self, repo, rc, state, progress)
                try:
                    yield from incremental.run()
                except GithubNotFound:
                    raise self._not_found(repo) from None
                if incremental.moved_in:
                    moved_in.add(repo)
            due = self.reconciler.due(rc, self.client.clock.now())
        if due:
            found = self.reconciler.reconcile(repo, rc, progress)
            checked.add(repo)
            yield FetchPage(tuple(found), copy.deepcopy(state))

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
                raise NotFoundError(
                    f"GitHub organisation {org!r} not found (or the token cannot see it)",
                    hint="check [github] orgs and the token's access to that organisation",
                ) from None
            if found is not None:
                oc["repos"] = [r["full_name"] for r in found if not r.get("archived")]
            repos.extend(oc.get("repos", []))
        return list(dict.fromkeys(repos))

    def _not_found(self, repo: str) -> HeroError:
        return NotFoundError(
            f"GitHub repository {repo} not found (or the token cannot see it)",
            hint="check [github] repos; a private repository needs a token with access to it",
        )

    def _conditional_list(self, url: str, etags: JSON, progress: SyncProgress) -> list[Any] | None:
        """All pages of a small list (an org's repositories), or ``None`` when all were 304."""
        items: list[Any] = []
        fresh: JSON = {}
        changed = False
        next_url: str | None = url
        while next_url:
            known = etags.get(next_url)
            resp = self.client.request(
                "GET", next_url, etag=known[0] if known else None, progress=progress
            )
            if resp.status == 304 and known:
                # The 304's Link is of now: a full last page keeps its ETag as the list grows.
                page_next = resp.next_url or known[1]
                fresh[next_url] = [known[0], page_next]
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

    # ------------------------------------------------------------------ first sync
    def _first_sync(
        self, repo: str, rc: JSON, state: JSON, progress: SyncProgress
    ) -> Iterator[FetchPage]:
        rc.setdefault("first", {})
        if self.strategy() == "graphql":
            yield from self.first.graphql(repo, rc, state, progress)
        else:
            yield from self.first.rest(repo, rc, state, progress)
        first: JSON = rc.pop("first")
        rc["since"] = rc["csince"] = rc["read"] = first["started"]
        rc["etags"] = {}
        # The first sync listed every open issue: as good as a reconciliation.
        rc["reconciled"] = iso(self.client.clock.now())


class Incremental:
    """One incremental pass over a repository: comments, then issues, each walked by key."""

    def __init__(
        self, fetcher: Fetcher, repo: str, rc: JSON, state: JSON, progress: SyncProgress
    ) -> None:
        self.client = fetcher.client
        self.reader = fetcher.reader
        self.repo = repo
        self.rc = rc
        self.state = state
        self.progress = progress
        if "inc" in rc:
            # A pass begun by an older hero did not note its second: nothing it read is settled.
            rc["inc"].setdefault("read", "")
        self.inc: JSON = rc.setdefault("inc", {})
        # What the last pass read in or after this second may have changed again unseen.
        self.read = _when(str(rc.get("read", "")))
        self.old_seen: dict[str, str] = rc.get("seen", {})
        self.new_seen: dict[str, str] = self.inc.setdefault("seen", {})
        self.etags: JSON = rc.get("etags", {})
        self.fresh_etags: JSON = self.inc.setdefault("etags", {})
        self.known = known_open(rc)
        self.out = {int(n) for n in rc.get("out", [])}
        self.counts: JSON = rc.setdefault("counts", {})
        self.issue_window = parse_time(rc["since"]) - OVERLAP
        self.comment_window = parse_time(str(rc.get("csince") or rc["since"])) - OVERLAP
        self.moved_in = False
        self.commented: dict[int, str] = {}  # issue number -> its newest comment read this pass

    def _page(self, conversations: list[Conversation]) -> FetchPage:
        set_known(self.rc, self.known, self.out)
        return FetchPage(tuple(conversations), copy.deepcopy(self.state))

    def run(self) -> Iterator[FetchPage]:
        if self.inc.get("phase", "comments") == "comments":
            yield from self._comments()
            self.inc["phase"], self.inc["pos"] = "issues", None
        yield from self._issues()
        rc = self.rc
        read = str(self.inc.get("read", ""))
        csince = str(rc.get("csince") or rc["since"])
        rc["since"] = _mark(rc["since"], str(self.inc.get("newest_issue", "")), read)
        rc["csince"] = _mark(csince, str(self.inc.get("newest_comment", "")), read)
        rc["read"] = read
        issues_from = parse_time(rc["since"]) - OVERLAP
        comments_from = parse_time(rc["csince"]) - OVERLAP
        merged = {**self.old_seen, **self.new_seen}
        rc["seen"] = {
            k: v
            for k, v in merged.items()
            if parse_time(v) >= (issues_from if k.startswith("issue:") else comments_from)
        }
        rc["etags"] = self.fresh_etags
        del rc["inc"]
        yield self._page([])

    def _seen(self, key: str, updated: str) -> bool:
        """Whether the last passes returned this item as it is now, after the second it changed."""
        return self.old_seen.get(key) == updated and parse_time(updated) < self.read

    def _note_read(self) -> None:
        """Note GitHub's second of the pass's first answer (by its ``Date`` header)."""
        self.inc.setdefault("read", iso(self.client.server_now()))

    def _comments(self) -> Iterator[FetchPage]:
        params = {
            "since": iso(self.comment_window),
            "sort": "updated",
            "direction": "asc",
            "per_page": str(PAGE),
        }
        position = self.inc.get("pos") or start(f"/repos/{self.repo}/issues/comments", params)
        remember = Remember(self.new_seen, self.comment_window)
        for step in walk(self.client, position, self.progress, self.etags, self.fresh_etags):
            self._note_read()
            by_issue: dict[int, list[Message]] = {}
            for comment in step.items:
                key = f"comment:{comment['id']}"
                updated = str(comment.get("updated_at") or comment["created_at"])
                self.inc["newest_comment"] = max(self.inc.get("newest_comment", ""), updated)
                remember(key, updated)
                if self._seen(key, updated):
                    continue
                number = issue_number(comment)
                if number in self.out:
                    continue  # out of the label filter: its item stays closed
                self.commented[number] = max(self.commented.get(number, ""), updated)
                if number not in self.known:
                    # Closed here (or new): a customer's comment wakes its item, which
                    # the check for issues gone upstream must then look at too.
                    self.rc.setdefault("woken", {})[str(number)] = updated
                if (
                    number in self.known
                    and key not in self.old_seen
                    and parse_time(comment["created_at"]) >= self.comment_window
                ):
                    self.counts[str(number)] = self.counts.get(str(number), 0) + 1
                message = rest_comment_message(comment, self.reader.authors)
                by_issue.setdefault(number, []).append(message)
            self.inc["pos"] = step.position
            if by_issue or not step.unchanged:
                yield self._page(
                    [comments_conversation(self.repo, n, m) for n, m in by_issue.items()]
                )

    def _issues(self) -> Iterator[FetchPage]:
        params = {
            "state": "all",
            "since": iso(self.issue_window),
            "sort": "updated",
            "direction": "asc",
            "per_page": str(PAGE),
        }
        position = self.inc.get("pos") or start(f"/repos/{self.repo}/issues", params)
        remember = Remember(self.new_seen, self.issue_window)
        for step in walk(self.client, position, self.progress, self.etags, self.fresh_etags):
            self._note_read()
            conversations = []
            for issue in step.items:
                key = f"issue:{issue['id']}"
                updated = str(issue["updated_at"])
                self.inc["newest_issue"] = max(self.inc.get("newest_issue", ""), updated)
                remember(key, updated)
                if self._seen(key, updated):
                    continue
                conversation = self._follow(issue)
                if conversation is not None:
                    conversations.append(conversation)
            self.inc["pos"] = step.position
            if conversations or not step.unchanged:
                yield self._page(conversations)

    def _follow(self, issue: JSON) -> Conversation | None:
        """What a changed issue means for the queue, or ``None`` when it has no item."""
        number = int(issue["number"])
        if not self.reader.listed(issue):
            return None
        message = rest_issue_message(issue, self.reader.authors)
        if issue["state"] == "closed":
            if number not in self.known:
                return None  # never synced open, or already closed here
            self.known.discard(number)
            commented = self.commented.get(number, "")
            if commented and commented >= str(issue.get("closed_at") or ""):
                # Read before its close (this pass reads comments first): a comment after
                # the close may wake the item, which the check for gone issues must then watch.
                self.rc.setdefault("woken", {})[str(number)] = commented
            return rest_conversation(self.repo, issue, [message])
        if not self.reader.wanted(issue):
            if number not in self.known:
                return None
            self.known.discard(number)
            self.out.add(number)
            return rest_conversation(self.repo, issue, [message], in_scope=False)
        remember = Remember(self.new_seen, self.comment_window)
        if number not in self.known:
            # New, reopened, relabelled into the filter or transferred in: its whole history.
            self.known.add(number)
            self.out.discard(number)
            if parse_time(issue["created_at"]) < self.issue_window:
                self.moved_in = True
            return self.reader.whole(self.repo, issue, self.rc, self.progress, remember)
        if int(issue.get("comments") or 0) != self.counts.get(str(number)):
            return self.reader.whole(self.repo, issue, self.rc, self.progress, remember)
        return rest_conversation(self.repo, issue, [message])

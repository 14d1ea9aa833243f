"""One way to talk to GitHub: PyGithub's requester, our pacing, our rate-limit waits.

Every call goes through :meth:`GithubClient.request` rather than PyGithub's
objects, because the channel needs what those objects hide: ``If-None-Match``
on list requests (an unchanged list costs a free ``304``), the ``Link`` and
``x-ratelimit-*`` headers of each answer, GraphQL, and rate-limit waits that
go through the injected clock and show in the progress display. PyGithub's own
retrying and throttling sleep on the wall clock, so they are switched off
(``retry=None``: requests then mounts no urllib3 ``Retry``, so no layer below
repeats a request; ``seconds_between_*=None``) and done here instead. Only
reads are retried after a 5xx; a write never is.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

from github import Auth, Github

from herocli.config_github import GithubSettings
from herocli.errors import AuthError, ChannelError, RateLimitedError, UnreachableError
from herocli.exchange import SecretSource, SilentProgress, SyncProgress
from herocli.models import Clock

# GitHub's documented secondary limits (docs.github.com, "Rate limits for the REST API"):
# at most 900 points a minute on REST (a GET costs 1 point, a write 5), 2,000 on
# GraphQL (a query costs 1), and at least one second between writes.
REST_POINTS_PER_MINUTE = 900
GRAPHQL_POINTS_PER_MINUTE = 2000
WRITE_POINTS = 5
SECONDS_BETWEEN_WRITES = 1.0
# Without retry-after or a reset time, GitHub asks to wait at least a minute.
DEFAULT_SECONDARY_WAIT = 60.0
SERVER_ERROR_RETRIES = 3
RATE_LIMIT_RETRIES = 5
SCOPES_HINT = (
    "create a token with the `repo` scope (classic) or Issues read/write "
    "(fine-grained) and export it"
)


class GithubNotFound(ChannelError):
    """GitHub answered 404; callers reword it to name what was missing."""


class GithubGone(GithubNotFound):
    """GitHub answered 410: the thing existed and was deleted."""


@dataclass(frozen=True)
class Response:
    status: int
    headers: Mapping[str, str]
    data: Any = None

    @property
    def next_url(self) -> str | None:
        match = re.search(r'<([^>]+)>;\s*rel="next"', self.headers.get("link", ""))
        return match.group(1) if match else None


@dataclass
class _Window:
    """Points spent in the last minute, to stay under a per-minute secondary limit."""

    limit: int
    spent: deque[tuple[datetime, int]] = field(default_factory=deque)

    def wait_for(self, now: datetime, points: int) -> float:
        while self.spent and now - self.spent[0][0] >= timedelta(minutes=1):
            self.spent.popleft()
        total = sum(p for _t, p in self.spent)
        if total + points <= self.limit or not self.spent:
            return 0.0
        return (self.spent[0][0] + timedelta(minutes=1) - now).total_seconds()


class GithubClient:
    """Sends requests through PyGithub's requester with pacing, waits and clear errors."""

    def __init__(self, settings: GithubSettings, secrets: SecretSource, clock: Clock) -> None:
        self.settings = settings
        self.secrets = secrets
        self.clock = clock
        self._gh: Github | None = None
        self._token_source = f"${settings.token_env[0]}" if settings.token_env else "$GH_TOKEN"
        self._rest = _Window(REST_POINTS_PER_MINUTE)
        self._graphql = _Window(GRAPHQL_POINTS_PER_MINUTE)
        self._last_write: datetime | None = None
        self.rate: dict[str, str] = {}  # the last x-ratelimit-* headers seen
        # Per resource (core, graphql): points left and the window's reset (epoch seconds).
        self._budget: dict[str, tuple[int, float]] = {}
        self._cost: dict[str, int] = {}  # what the last GraphQL query cost
        self._last_date: str | None = None

    def _github(self) -> Github:
        if self._gh is None:
            secret = self.secrets.secret(self.settings.token_env, "GitHub token")
            self._token_source = secret.source
            # PyGithub logs each 301 it follows at INFO on its own stderr handler;
            # a transferred issue's redirect is expected and must not break the progress display.
            logging.getLogger("github.Requester").setLevel(logging.WARNING)
            self._gh = Github(
                auth=Auth.Token(secret.value),
                base_url=self.settings.api_url,
                # PyGithub takes one whole number of seconds, for connect and each read.
                timeout=math.ceil(self.settings.read_timeout),
                per_page=100,
                retry=None,
                seconds_between_requests=None,
                seconds_between_writes=None,
            )
        return self._gh

    @property
    def graphql_url(self) -> str:
        return self._github().requester.graphql_url

    def close(self) -> None:
        if self._gh is not None:
            self._gh.close()
            self._gh = None

    def request(
        self,
        method: str,
        url: str,
        *,
        body: Any = None,
        etag: str | None = None,
        progress: SyncProgress | None = None,
    ) -> Response:
        """Send one request; wait out rate limits, retry a read's 5xx, map failures to our errors.

        A write (POST, PATCH, DELETE) is sent exactly once: after a 5xx, a timeout
        or a dropped connection it may or may not have happened, which only the
        caller can find out (the outbox looks for the comment's marker).
        """
        progress = progress or SilentProgress()
        requester = self._github().requester
        headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
        if etag:
            headers["If-None-Match"] = etag
        where = f"{method} {_path(url)}"
        is_graphql = url == self.graphql_url
        # A read can be sent again after a dropped connection, like after a 5xx;
        # a write cannot: it may have reached GitHub.
        idempotent = method == "GET" or (is_graphql and _is_query(body))
        server_errors = 0
        rate_waits = 0
        while True:
            self._pace(method, is_graphql, progress)
            self._wait_for_budget("graphql" if is_graphql else "core", progress)
            try:
                status, raw_headers, text = requester.requestJson(
                    method, url, headers=headers, input=body
                )
            except OSError as exc:
                # A timeout is not retried: a server silent for read_timeout stays silent,
                # and four waits would hold the sync for minutes. (requests' Timeout is
                # told by name: requests comes with PyGithub and is not imported here.)
                timed_out = isinstance(exc, TimeoutError) or any(
                    k.__name__ == "Timeout" for k in type(exc).__mro__
                )
                if idempotent and server_errors < SERVER_ERROR_RETRIES and not timed_out:
                    delay = 2.0**server_errors
                    server_errors += 1
                    progress.waiting(delay, "the connection to GitHub dropped, retrying")
                    self.clock.sleep(delay)
                    continue
                raise UnreachableError(
                    f"cannot reach GitHub at {self.settings.api_url}: {type(exc).__name__}",
                    hint="check the network and [github] api_url (and read_timeout)",
                ) from None
            finally:
                if method != "GET" and not is_graphql:
                    self._last_write = self.clock.now()
            resp_headers = {k.lower(): str(v) for k, v in raw_headers.items()}
            self._last_date = resp_headers.get("date")
            self.rate = {k: v for k, v in resp_headers.items() if k.startswith("x-ratelimit-")}
            self._note_budget(resp_headers)
            if status == 304:
                return Response(304, resp_headers)
            data = _json(text)
            if 200 <= status < 300:
                return Response(status, resp_headers, data)
            message = data.get("message", "") if isinstance(data, dict) else ""
            if status == 401:
                raise AuthError(
                    f"GitHub rejected the token in {self._token_source} ({message or 'Bad credentials'})",
                    hint=SCOPES_HINT,
                )
            wait = self._rate_limit_wait(status, resp_headers, message)
            if wait is not None:
                rate_waits += 1
                self._wait_out(wait, rate_waits, progress)
                continue
            # A write is never sent again here: GitHub may have done it before failing
            # (a 502 after the comment was created). The outbox looks first, then retries.
            if status >= 500 and server_errors < SERVER_ERROR_RETRIES and idempotent:
                delay = 2.0**server_errors
                server_errors += 1
                progress.waiting(delay, f"GitHub answered {status}, retrying")
                self.clock.sleep(delay)
                continue
            if status == 404:
                raise GithubNotFound(f"GitHub has no {_path(url)} (404)")
            if status == 410:
                raise GithubGone(f"GitHub deleted {_path(url)} (410)")
            if status >= 500 and not idempotent:
                raise ChannelError(
                    f"GitHub answered {status} to {where}; it may have been done anyway",
                    hint="`hero outbox retry` looks for it on GitHub before trying again",
                )
            if status >= 500:
                raise ChannelError(
                    f"GitHub answered {status} to {where} {server_errors + 1} times",
                    hint="GitHub may be having trouble (https://www.githubstatus.com); try again later",
                )
            if status == 403:
                raise AuthError(
                    f"GitHub refused {where} with the token in {self._token_source}: {message}",
                    hint=SCOPES_HINT,
                )
            raise ChannelError(f"GitHub refused {where}: {status} {message}".rstrip())

    def _wait_out(self, wait: float, attempt: int, progress: SyncProgress) -> None:
        if wait > self.settings.max_rate_limit_wait:
            raise RateLimitedError(
                f"GitHub rate limit: it asks to wait {wait:.0f} s, more than "
                f"max_rate_limit_wait = {self.settings.max_rate_limit_wait:.0f} s",
                retry_after=wait,
                hint="run the sync again later; it resumes where it stopped",
            )
        if attempt > RATE_LIMIT_RETRIES:
            raise RateLimitedError(
                f"GitHub kept answering with a rate limit after {RATE_LIMIT_RETRIES} waits",
                retry_after=wait,
                hint="run the sync again later; it resumes where it stopped",
            )
        progress.waiting(wait, "GitHub rate limit")
        self.clock.sleep(wait)

    def _note_budget(self, headers: Mapping[str, str]) -> None:
        """Remember the points left in the answer's rate-limit window, and when it resets."""
        resource = headers.get("x-ratelimit-resource", "core")
        try:
            remaining = int(headers["x-ratelimit-remaining"])
            reset = float(headers["x-ratelimit-reset"])
        except (KeyError, ValueError):
            return
        self._budget[resource] = (remaining, reset)

    def _wait_for_budget(self, resource: str, progress: SyncProgress) -> None:
        """Before sending, wait out a window whose points left do not cover the request.

        A request sent with no points left is refused and still counted, so
        when the last answer said the window is spent, wait for its reset
        first (or stop at once when that is longer than the maximum).
        """
        known = self._budget.get(resource)
        if known is None:
            return
        remaining, reset = known
        cost = self._cost.get(resource, 1)
        if remaining >= cost:
            return
        wait = reset - self.clock.now().timestamp()
        if wait <= 0:
            return
        self._wait_out(wait + 1.0, 1, progress)
        self._budget.pop(resource, None)

    def server_now(self) -> datetime:
        """GitHub's time by its last ``Date`` header (our clock before any answer).

        ``since`` is compared with GitHub's clock, so high-water marks come from it.
        """
        date = self._last_date
        if date:
            try:
                return parsedate_to_datetime(date).astimezone(UTC)
            except (TypeError, ValueError):
                pass
        return self.clock.now()

    def _rate_limit_wait(
        self, status: int, headers: Mapping[str, str], message: str
    ) -> float | None:
        if status not in (403, 429):
            return None
        if "retry-after" in headers:
            return max(float(headers["retry-after"]), 0.0)
        if headers.get("x-ratelimit-remaining") == "0" and "x-ratelimit-reset" in headers:
            return self._until_reset(headers)
        if status == 429 or "rate limit" in message.lower():
            return DEFAULT_SECONDARY_WAIT
        return None

    def _until_reset(self, headers: Mapping[str, str]) -> float:
        reset = datetime.fromtimestamp(float(headers["x-ratelimit-reset"]), UTC)
        return max((reset - self.clock.now()).total_seconds(), 0.0) + 1.0

    def _pace(self, method: str, graphql: bool, progress: SyncProgress) -> None:
        now = self.clock.now()
        points = 1 if method == "GET" or graphql else WRITE_POINTS
        window = self._graphql if graphql else self._rest
        wait = window.wait_for(now, points)
        if wait > 0:
            progress.waiting(wait, "staying under GitHub's per-minute limit")
        if method != "GET" and not graphql and self._last_write is not None:
            gap = SECONDS_BETWEEN_WRITES - (now - self._last_write).total_seconds()
            wait = max(wait, gap)
        if wait > 0:
            self.clock.sleep(wait)
        window.spent.append((self.clock.now(), points))

    def get_pages(self, url: str, progress: SyncProgress | None = None) -> list[Any]:
        """Every item of a paginated list, following ``Link: rel=next``."""
        items: list[Any] = []
        next_url: str | None = url
        while next_url:
            resp = self.request("GET", next_url, progress=progress)
            items.extend(resp.data or [])
            next_url = resp.next_url
        return items

    def graphql(self, query: str, variables: Mapping[str, Any], progress: SyncProgress) -> Any:
        operation = re.search(r"query\s+(\w+)", query)
        body = {"query": query, "variables": dict(variables)}
        if operation:
            body["operationName"] = operation.group(1)
        for attempt in range(1, RATE_LIMIT_RETRIES + 2):
            resp = self.request("POST", self.graphql_url, body=body, progress=progress)
            rate = resp.data.get("data") if isinstance(resp.data, dict) else None
            if isinstance(rate, dict) and isinstance(rate.get("rateLimit"), dict):
                cost = rate["rateLimit"].get("cost")
                if isinstance(cost, int) and cost > 0:
                    self._cost["graphql"] = cost
            errors = resp.data.get("errors") if isinstance(resp.data, dict) else None
            # GraphQL reports its primary limit in the body, often with a 200, and
            # sometimes with points still left: the reset time is what counts.
            if not errors or not any(e.get("type") == "RATE_LIMITED" for e in errors):
                return resp.data
            if "retry-after" in resp.headers:
                wait = max(float(resp.headers["retry-after"]), 0.0)
            elif "x-ratelimit-reset" in resp.headers:
                wait = self._until_reset(resp.headers)
            else:
                wait = DEFAULT_SECONDARY_WAIT
            self._wait_out(wait, attempt, progress)
        return resp.data


def _is_query(body: Any) -> bool:
    """A GraphQL body that only reads (no ``mutation``)."""
    query = body.get("query") if isinstance(body, dict) else None
    return isinstance(query, str) and not re.match(r"\s*mutation\b", query)


def _json(text: str) -> Any:
    try:
        return json.loads(text) if text else None
    except ValueError:
        return None


def _path(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url).split("?")[0]

"""A small Slack Web API client over httpx: envelope errors, 429 waits, retries and pacing.

Slack rates each method on its own, per workspace ("Tier 3: 50+ per minute" for
``conversations.history`` and, separately, for ``conversations.replies``), so
each method has its own token bucket. Reads, and writes that only set state,
are retried on HTTP 5xx and dropped connections with exponential backoff on the
injected clock; ``chat.postMessage`` is never retried here (the outbox asks
``find_sent`` before sending again).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from herocli.errors import (
    AuthError,
    ChannelError,
    ExitCode,
    RateLimitedError,
    UnreachableError,
)
from herocli.exchange import Secret, SecretSource, SilentProgress, SyncProgress
from herocli.models import JSON, Clock

if TYPE_CHECKING:
    import httpx

    from herocli.config_slack import SlackSettings

# Requests per minute Slack documents for each method's tier (chat.postMessage is
# "special": about one per second per channel, with short bursts allowed).
TIER_PER_MINUTE = {1: 1, 2: 20, 3: 50, 4: 100}
METHOD_TIER = {
    "auth.test": 4,
    "conversations.list": 2,
    "conversations.info": 3,
    "conversations.history": 3,
    "conversations.replies": 3,
    "users.info": 4,
    "users.list": 2,
    "team.info": 3,
    "chat.update": 3,
    "reactions.add": 3,
    "reactions.get": 3,
    "reactions.remove": 2,
}
SPECIAL_PER_MINUTE = 60
# Write methods take JSON bodies; read methods are documented with form arguments.
JSON_METHODS = frozenset({"chat.postMessage", "chat.update", "reactions.add", "reactions.remove"})
AUTH_ERRORS = frozenset(
    {"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired"}
)
# Sending one of these twice would post twice; every other method may be repeated.
NOT_IDEMPOTENT = frozenset({"chat.postMessage"})
TRANSIENT_RETRIES = 3  # waits of 1, 2 and 4 seconds before giving up
APP_HELP = "see docs/slack.md for the Slack app to create and the scopes it needs"


class SlackCallError(ChannelError):
    """A method answered ``ok: false`` with an error code the caller may handle."""

    def __init__(self, method: str, code: str, message: str, *, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.method = method
        self.code = code


class SlackNotFoundError(SlackCallError):
    """The channel, thread or message named in the call does not exist (or is hidden)."""

    exit_code = ExitCode.NOT_FOUND


class _Bucket:
    """Token bucket for one tier, refilled from the injected clock."""

    def __init__(self, per_minute: int, now: float) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.tokens = self.capacity
        self.stamp = now

    def wait_needed(self, now: float) -> float:
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def take(self) -> None:
        self.tokens -= 1


class SlackApi:
    """Calls Slack Web API methods with the bot token from the configured variable."""

    def __init__(self, settings: SlackSettings, secrets: SecretSource, clock: Clock) -> None:
        self.settings = settings
        self._secrets = secrets
        self._clock = clock
        self._secret: Secret | None = None
        self._client: httpx.Client | None = None
        self._buckets: dict[str, _Bucket] = {}
        self._identity: JSON | None = None
        self.requests = 0

    @property
    def secret(self) -> Secret:
        if self._secret is None:
            self._secret = self._secrets.secret(self.settings.token_env, "Slack token")
        return self._secret

    def identity(self, progress: SyncProgress | None = None) -> JSON:
        """``auth.test``'s answer (the app's user id, the workspace's URL), asked once per client.

        The sync, the mirror's read and every write need it; one client serves a
        whole process, so a process asks at most once.
        """
        if self._identity is None:
            self._identity = self.call("auth.test", {}, progress)
        return self._identity

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def _http(self) -> httpx.Client:
        if self._client is None:
            import httpx

            self._client = httpx.Client(
                timeout=httpx.Timeout(
                    self.settings.read_timeout, connect=self.settings.connect_timeout
                ),
                headers={"User-Agent": "herocli"},
            )
        return self._client

    def _pace(self, method: str, progress: SyncProgress) -> None:
        now = self._clock.now().timestamp()
        bucket = self._buckets.get(method)
        if bucket is None:
            bucket = self._buckets[method] = _Bucket(per_minute(method), now)
        wait = bucket.wait_needed(now)
        if wait > 0:
            progress.waiting(wait, f"Slack allows {bucket.capacity:g} {method} calls a minute")
            self._clock.sleep(wait)
            bucket.wait_needed(self._clock.now().timestamp())
        bucket.take()

    def call(
        self,
        method: str,
        params: Mapping[str, Any],
        progress: SyncProgress | None = None,
        *,
        allow: frozenset[str] = frozenset(),
    ) -> JSON:
        """Call ``method``; wait out rate limits; raise herocli errors for ``ok: false``.

        Error codes in ``allow`` are returned in the body instead of raised.
        """
        import httpx

        progress = progress or SilentProgress()
        waited = 0.0
        failures = 0
        retry = method not in NOT_IDEMPOTENT
        while True:
            self._pace(method, progress)
            try:
                response = self._send(method, params)
            except httpx.TransportError as exc:
                # A timeout is not retried: a server silent for read_timeout stays
                # silent, and four waits would hold the sync for minutes.
                timed_out = isinstance(exc, httpx.TimeoutException)
                if retry and failures < TRANSIENT_RETRIES and not timed_out:
                    failures = self._back_off(failures, f"{method}: {type(exc).__name__}", progress)
                    continue
                raise UnreachableError(
                    f"cannot reach Slack at {self.settings.api_url}: {type(exc).__name__} {exc}",
                    hint="check the network connection and [slack] api_url",
                ) from None
            self.requests += 1
            status = response.status_code
            if status >= 500:
                if retry and failures < TRANSIENT_RETRIES:
                    failures = self._back_off(
                        failures, f"Slack answered HTTP {status} to {method}", progress
                    )
                    continue
                times = f" {failures + 1} times" if failures else ""
                raise ChannelError(
                    f"Slack answered HTTP {status} to {method}{times}",
                    hint="Slack may be having trouble; try again later (https://slack-status.com)",
                )
            body = _decode(method, response)
            error = body.get("error") if body.get("ok") is not True else None
            if status == 429 or error in ("ratelimited", "rate_limited"):
                wait = _retry_after(response)
                waited += wait
                if waited > self.settings.max_rate_limit_wait:
                    raise RateLimitedError(
                        f"Slack rate-limited {method} and asks to wait {wait:g}s",
                        retry_after=wait,
                        hint="run `hero sync` again later, or raise [slack] max_rate_limit_wait",
                    )
                progress.waiting(wait, f"Slack rate limit on {method}")
                self._clock.sleep(wait)
                continue
            if status >= 400:
                raise ChannelError(f"Slack answered HTTP {status} to {method}")
            if error is None or error in allow:
                return body
            raise self._error(method, str(error), params, body)

    def _send(self, method: str, params: Mapping[str, Any]) -> httpx.Response:
        url = f"{self.settings.api_url}/{method}"
        headers = {"Authorization": f"Bearer {self.secret.value}"}
        if method in JSON_METHODS:
            return self._http().post(url, json=dict(params), headers=headers)
        form = {k: _form_value(v) for k, v in params.items() if v is not None}
        return self._http().post(url, data=form, headers=headers)

    def _back_off(self, failures: int, reason: str, progress: SyncProgress) -> int:
        delay = 2.0**failures
        progress.waiting(delay, f"{reason}; retrying")
        self._clock.sleep(delay)
        return failures + 1

    def _error(self, method: str, code: str, params: Mapping[str, Any], body: JSON) -> Exception:
        variable = self.secret.source
        if code in AUTH_ERRORS:
            return AuthError(
                f"Slack rejected the token in {variable} ({code})",
                hint=f"set {variable} to the app's bot token (xoxb-...); {APP_HELP}",
            )
        if code == "missing_scope":
            needed = body.get("needed") or "a scope"
            return AuthError(
                f"the Slack token in {variable} lacks the {needed} scope needed for {method}",
                hint="add the scope under OAuth & Permissions, reinstall the app, update the token",
            )
        channel = params.get("channel") or ""
        if code == "not_in_channel":
            return SlackCallError(
                method,
                code,
                f"the Slack app is not a member of channel {channel}",
                hint="invite it: type `/invite @<your app's name>` in that channel",
            )
        if code == "channel_not_found":
            return SlackNotFoundError(
                method,
                code,
                f"Slack channel {channel} was not found or is not visible to the app",
                hint="check [slack] channels; for a private channel, `/invite @<app>` first",
            )
        return SlackCallError(method, code, f"Slack {method} failed: {code}")

    def pages(
        self, method: str, params: Mapping[str, Any], progress: SyncProgress | None = None
    ) -> Iterator[JSON]:
        """Yield each page of a cursor-paginated method."""
        cursor: str | None = None
        while True:
            body = self.call(method, {**params, "cursor": cursor}, progress)
            yield body
            cursor = (body.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                return


def per_minute(method: str) -> int:
    """The requests a minute Slack documents for ``method``'s tier."""
    return TIER_PER_MINUTE.get(METHOD_TIER.get(method, 0), SPECIAL_PER_MINUTE)


def _form_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _retry_after(response: httpx.Response) -> float:
    try:
        return max(0.0, float(response.headers.get("Retry-After", "1")))
    except ValueError:
        return 1.0


def _decode(method: str, response: httpx.Response) -> JSON:
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        if response.status_code == 429:
            return {"ok": False, "error": "ratelimited"}
        raise ChannelError(
            f"Slack answered {method} with HTTP {response.status_code} and no JSON body",
            hint="check [slack] api_url points at the Web API (https://slack.com/api)",
        )
    return body

"""The GitHub simulator's wire forms: timestamps, users, labels, cursors, failures."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from herocli.models import Clock

JSON = dict[str, Any]
DOCS = "https://docs.github.com/rest"


def iso(value: datetime) -> str:
    """GitHub's timestamp form: ISO 8601, UTC, whole seconds, ``Z``."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


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


def page_cursor(key: str) -> str:
    """A GraphQL cursor: the ordering key of the last node, as GitHub's cursors are."""
    return base64.b64encode(f"cursor:v2:{key}".encode()).decode()


def cursor_key(cursor: str | None) -> str | None:
    if not cursor:
        return None
    try:
        text = base64.b64decode(cursor).decode()
    except ValueError:
        raise HttpFailure(422, "invalid cursor") from None
    if not text.startswith("cursor:v2:"):
        raise HttpFailure(422, "invalid cursor")
    return text.removeprefix("cursor:v2:")


def since_time(value: str) -> datetime:
    try:
        return parse_iso(value)
    except ValueError:
        raise HttpFailure(422, "Validation Failed: since is not an ISO 8601 timestamp") from None


def to_time(value: str | datetime | None, clock: Clock) -> datetime:
    if value is None:
        return clock.now()
    if isinstance(value, datetime):
        return value
    return parse_iso(value)


def node_id(kind: str, value: object) -> str:
    return base64.b64encode(f"{kind}_{value}".encode()).decode()


def api_user(value: Mapping[str, Any] | str, kind: str = "User") -> JSON:
    login = value if isinstance(value, str) else str(value["login"])
    digest = int(hashlib.sha256(login.encode()).hexdigest()[:8], 16)
    if kind == "User" and login.endswith("[bot]"):
        kind = "Bot"
    user: JSON = {
        "login": login,
        "id": digest,
        "type": kind,
        "html_url": f"https://github.com/{login}",
    }
    if not isinstance(value, str):
        user.update(value)
    return user


def api_label(value: Mapping[str, Any] | str) -> JSON:
    name = value if isinstance(value, str) else str(value["name"])
    digest = int(hashlib.sha256(name.encode()).hexdigest()[:8], 16)
    return {"id": digest, "name": name, "color": f"{digest & 0xFFFFFF:06x}"}


def public(comment: JSON) -> JSON:
    return {k: v for k, v in comment.items() if not k.startswith("_")}


def gql_actor(user: JSON | None) -> JSON | None:
    """A user as GraphQL's ``author { login __typename }``: a bot's login has no "[bot]"."""
    if not user:
        return None
    if user.get("type") == "Bot":
        return {"login": str(user["login"]).removesuffix("[bot]"), "__typename": "Bot"}
    return {"login": user["login"], "__typename": "User"}

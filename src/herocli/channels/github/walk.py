"""Walking a ``since``-ordered GitHub list by key, so a list that changes meanwhile skips nothing.

``issues?sort=updated&direction=asc`` and the repo-wide comment list change
while they are read: an item that changes again moves to the end, and page
numbers then shift every later item left, so the one at a page boundary is
never returned. So the next page is asked by key: ``since`` = the last
``updated_at`` seen, with the items at that second already returned
(``ids``) dropped from the answer. Only when a whole page shares one second
(a bulk edit) is the next page of that same ``since`` asked by number: the
items of that second can only leave it by changing, which puts them at the end.

A position is JSON (``url`` of the next request or ``None`` at the end,
``at`` and ``ids`` of the key), so a walk resumes from a stored cursor.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from herocli.channels.github.client import GithubClient
from herocli.models import JSON, SyncProgress


def start(path: str, params: Mapping[str, str]) -> JSON:
    """The position before the first page of ``path?params``."""
    return {"url": f"{path}?{urlencode(dict(params))}", "at": None, "ids": []}


@dataclass(frozen=True)
class Step:
    """One page: the items not returned before, and where to go on from."""

    items: list[Any]
    position: JSON
    unchanged: bool = False  # the page answered 304


def walk(
    client: GithubClient,
    position: JSON,
    progress: SyncProgress,
    etags: JSON | None = None,
    fresh_etags: JSON | None = None,
) -> Iterator[Step]:
    """Pages from ``position`` to the end of the list.

    With ``etags`` (URL -> [ETag, next URL]) each page is asked conditionally;
    a ``304`` goes on where it went last time. The ETags of the pages seen
    are put in ``fresh_etags``.
    """
    pos = dict(position)
    while pos.get("url"):
        url = str(pos["url"])
        known = etags.get(url) if etags is not None else None
        resp = client.request("GET", url, etag=known[0] if known else None, progress=progress)
        if resp.status == 304 and known:
            if fresh_etags is not None:
                fresh_etags[url] = known
            pos = {**pos, "url": known[1]}
            yield Step([], dict(pos), unchanged=True)
            continue
        page = [x for x in resp.data or [] if isinstance(x, dict)]
        at: str | None = pos.get("at")
        ids: list[Any] = list(pos.get("ids") or [])
        new = []
        for item in page:
            updated = str(item.get("updated_at") or item.get("created_at") or "")
            if at is not None and (updated < at or (updated == at and item["id"] in ids)):
                continue
            new.append(item)
            if at is None or updated > at:
                at, ids = updated, [item["id"]]
            else:
                ids.append(item["id"])
        following = resp.next_url
        if following and page:
            last = str(page[-1].get("updated_at") or "")
            if last and last != _since(url):
                following = _with_since(url, last)
                if len(ids) == len(page) and at == last:
                    # The whole page is one second: its first page from that
                    # second is this one, so go on with the second.
                    following = _with_since(url, last, page=2)
        if fresh_etags is not None and resp.headers.get("etag"):
            fresh_etags[url] = [resp.headers["etag"], following]
        pos = {"url": following, "at": at, "ids": ids}
        yield Step(new, dict(pos))


def _since(url: str) -> str | None:
    return dict(parse_qsl(urlsplit(url).query)).get("since")


def _with_since(url: str, since: str, page: int = 1) -> str:
    """Page ``page`` of ``url``'s list from ``since`` on."""
    parts = urlsplit(url)
    query = {k: v for k, v in parse_qsl(parts.query) if k != "page"}
    query["since"] = since
    if page > 1:
        query["page"] = str(page)
    return urlunsplit(("", "", parts.path, urlencode(query), ""))

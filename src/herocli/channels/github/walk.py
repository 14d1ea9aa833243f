"""Walking a ``since``-ordered GitHub list by key, so a list that changes meanwhile skips nothing.

``issues?sort=updated&direction=asc`` and the repo-wide comment list change
while they are read: an item that changes again moves to the end, and page
numbers then shift every later item left, so the one at a page boundary is
never returned. So the next page is asked by key: ``since`` = the last
``updated_at`` seen, with the items at that second already returned
(``ids``) dropped from the answer. Only when a whole page shares one second
(a bulk edit) is the next page of that same ``since`` asked by number: the
items of that second can only leave it by changing, which puts them at the end.
When the list's first page is that page, nothing in the list is older than its
second, so the list from that second is the same list: it goes on at page 2 of
that second rather than asking for the page it just read again.

A position is JSON (``url`` of the next request or ``None`` at the end,
``at`` and ``ids`` of the key, and ``paged``: every second it read by page
number), so a walk resumes from a stored cursor.

A second read by page number can still skip an item: when one read before
it changes, everything after it moves up a place. Such an item shows up again
later in the walk, newer; then, at the end of the list, the walk goes again
from that second (``rescan``; repeats are dropped by the reader). One that
leaves the list without coming back (an open issue closed, deleted or
transferred) leaves no such sign: the reader of such a list reads the seconds
in ``paged`` again (``first.py``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from herocli.channels.github.client import GithubClient
from herocli.exchange import SyncProgress
from herocli.models import JSON

REWALKS = 3


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
    a ``304`` goes on where it went last time. GitHub's ETag covers the body, not
    the Link header: a full page that ended the list last time still answers 304
    once the list grows past it, and only its Link says so; that page is then read
    again, unconditionally, to learn where the next one starts. The ETags of the
    pages seen are put in ``fresh_etags``.
    """
    pos = dict(position)
    while pos.get("url"):
        url = str(pos["url"])
        known = etags.get(url) if etags is not None else None
        resp = client.request("GET", url, etag=known[0] if known else None, progress=progress)
        if resp.status == 304 and known and not known[1] and resp.next_url:
            resp = client.request("GET", url, progress=progress)
        if resp.status == 304 and known:
            if fresh_etags is not None:
                fresh_etags[url] = known
            pos = {**pos, "url": known[1] or _rescan(pos, url)}
            yield Step([], dict(pos), unchanged=True)
            continue
        page = [x for x in resp.data or [] if isinstance(x, dict)]
        new, following = _read(pos, page, url, resp.next_url)
        if fresh_etags is not None and resp.headers.get("etag"):
            fresh_etags[url] = [resp.headers["etag"], following]
        pos["url"] = following or _rescan(pos, url)
        yield Step(new, dict(pos))


def second_pages(
    client: GithubClient, url: str, second: str, page: int, progress: SyncProgress
) -> Iterator[tuple[list[Any], bool]]:
    """The items of ``second`` in ``url``'s list (``since``-ordered), page by page, read by
    page number from page ``page`` of the second to its end; each with whether more follow."""
    while True:
        resp = client.request("GET", _with_since(url, second, page=page), progress=progress)
        items = [x for x in resp.data or [] if isinstance(x, dict)]
        more = bool(resp.next_url and items and _updated(items[-1]) == second)
        yield [x for x in items if _updated(x) == second], more
        if not more:
            return
        page += 1


def _updated(item: JSON) -> str:
    return str(item.get("updated_at") or item.get("created_at") or "")


def _read(pos: JSON, page: list[JSON], url: str, following: str | None) -> tuple[list[JSON], Any]:
    """The new items of a page, updating the key in ``pos``; and the next page's URL."""
    at: str | None = pos.get("at")
    ids: list[Any] = list(pos.get("ids") or [])
    groups: dict[str, list[Any]] = pos.setdefault("groups", {})
    rescan: list[str] = pos.setdefault("rescan", [])
    new = []
    for item in page:
        updated = _updated(item)
        if at is not None and (updated < at or (updated == at and item["id"] in ids)):
            continue
        new.append(item)
        if at is None or updated > at:
            at, ids = updated, [item["id"]]
        else:
            ids.append(item["id"])
        for second, members in groups.items():
            if updated > second and item["id"] in members and second not in rescan:
                # It left a second read by page number: later ones moved up a place.
                rescan.append(second)
    if at is not None and at in groups:
        groups[at] = list(ids)
    if following and page:
        last = _updated(page[-1])
        if last and last != _since(url) and _first_page(url) and _updated(page[0]) == last:
            # The list's first page holds one second only: nothing in it is older, so the
            # list from that second is this list. On by page number in it, from page 2
            # (asking that second's first page would bring this page again).
            groups[last] = list(ids)
            _paged(pos, last)
            following = _with_since(url, last, page=2)
        elif last and last != _since(url):
            following = _with_since(url, last)
        elif last:
            # The whole page is the second asked for: on by page number.
            groups[last] = list(ids)
            _paged(pos, last)
    pos["at"], pos["ids"] = at, ids
    return new, following


def _paged(pos: JSON, second: str) -> None:
    """Note that ``second`` was read by page number (kept for the whole walk)."""
    paged: list[str] = pos.setdefault("paged", [])
    if second not in paged:
        paged.append(second)


def _rescan(pos: JSON, url: str) -> str | None:
    """At the end of the list: where to walk again from, when a second read by page
    number lost an item meanwhile (at most a few times: the next sync goes on)."""
    pending: list[str] = pos.get("rescan") or []
    groups: dict[str, list[Any]] = pos.get("groups") or {}
    pos["groups"], pos["rescan"] = {}, []
    if not pending or pos.get("rewalks", 0) >= REWALKS:
        return None
    second = min(pending)
    pos["rewalks"] = pos.get("rewalks", 0) + 1
    pos["at"], pos["ids"] = second, list(groups.get(second, []))
    return _with_since(url, second)


def _since(url: str) -> str | None:
    return dict(parse_qsl(urlsplit(url).query)).get("since")


def _first_page(url: str) -> bool:
    return dict(parse_qsl(urlsplit(url).query)).get("page", "1") == "1"


def _with_since(url: str, since: str, page: int = 1) -> str:
    """Page ``page`` of ``url``'s list from ``since`` on."""
    parts = urlsplit(url)
    query = {k: v for k, v in parse_qsl(parts.query) if k != "page"}
    query["since"] = since
    if page > 1:
        query["page"] = str(page)
    return urlunsplit(("", "", parts.path, urlencode(query), ""))

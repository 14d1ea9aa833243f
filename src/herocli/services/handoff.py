"""The week-end handoff: what the next hero starts from, and the changes that hand the queue over.

``build_report`` only reads. ``plan`` says what carrying out the handoff would
change; ``carry_out`` does it: handed-off events, local reassignments (and
upstream ones when asked), the Markdown file, and posts through the outbox,
one outbox entry per part, delivered in order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from herocli.channels.base import Channel, PostFormat
from herocli.config import Config
from herocli.errors import HeroError, NotFoundError, UsageError
from herocli.events import EventKind
from herocli.models import Item, ItemState, Note, Waiting, iso
from herocli.services import rota as rota_service
from herocli.services import stats as stats_service
from herocli.services.outbox import Delivery, deliver_batch, enqueue_batch
from herocli.services.team import TeamDirectory
from herocli.services.triage import Actor, assign
from herocli.store import Store, log, reports
from herocli.store.outbox import Op

GROUPS = ("waiting_on_us", "waiting_on_them", "snoozed")
POST_HINT = "`hero handoff --help` names the channels that can post, and their targets"


@dataclass(frozen=True)
class HandoffItem:
    item: Item
    group: str  # one of GROUPS
    age_seconds: float  # waiting on us: since the unanswered message; else since the last message
    last: reports.LastMessage | None
    last_author: str | None  # the team member's name when one of ours wrote last
    notes: tuple[Note, ...]
    reassign_to: str | None  # who it goes to, when the handoff reassigns it


@dataclass(frozen=True)
class HandoffReport:
    window: stats_service.Window
    now: datetime
    from_hero: str | None
    to_hero: str | None
    stats: stats_service.Stats
    items: list[HandoffItem]
    closed: list[reports.ClosedItem]

    def group(self, name: str) -> list[HandoffItem]:
        return [i for i in self.items if i.group == name]


@dataclass(frozen=True)
class Reassignment:
    item_id: int
    channel: str
    previous: str | None
    to: str


@dataclass(frozen=True)
class PostTarget:
    channel: str
    target: str
    format: PostFormat  # how the channel wants the report written

    def __str__(self) -> str:
        return f"{self.channel}:{self.target}"


@dataclass(frozen=True)
class HandoffPlan:
    report: HandoffReport
    reassign: list[Reassignment]
    upstream: bool
    output: Path | None = None
    post: PostTarget | None = None
    parts: tuple[str, ...] = ()  # the Markdown to post, split to fit the target
    file_text: str | None = None


@dataclass
class HandoffOutcome:
    reassigned: list[Reassignment] = field(default_factory=list)
    handed_off: int = 0
    written: Path | None = None
    deliveries: list[Delivery] = field(default_factory=list)
    errors: list[HeroError] = field(default_factory=list)


def parse_post_target(text: str, channel_for: Callable[[str], Channel]) -> PostTarget:
    """``CHANNEL:TARGET``, the target read by that channel (``channel_for`` gives it).

    ``UsageError`` when it is not of that form, when the channel cannot post, or when
    the target is not one of the channel's; ``NotFoundError`` for a channel not configured.
    """
    name, sep, target = text.partition(":")
    name = name.strip().lower()
    if not sep or not name or not target.strip():
        raise UsageError(f"--post {text[:60]!r}: give it as CHANNEL:TARGET", hint=POST_HINT)
    channel = channel_for(name)
    if not channel.capabilities.post or channel.post_format is None:
        raise UsageError(f"--post {text[:60]!r}: the {name} channel cannot post", hint=POST_HINT)
    try:
        return PostTarget(name, channel.post_target(target), channel.post_format)
    except UsageError as exc:
        raise UsageError(f"--post: {exc.message}", hint=exc.hint) from None


def _member_name(directory: TeamDirectory, name: str | None, what: str) -> str | None:
    if name is None:
        return None
    member = directory.find(name)
    if member is None:
        names = ", ".join(m.name for m in directory.team.members) or "none configured"
        raise NotFoundError(f"{what} {name!r} is not a team member", hint=f"members: {names}")
    return member.name


def build_report(
    store: Store,
    config: Config,
    directory: TeamDirectory,
    window: stats_service.Window,
    now: datetime,
    *,
    to: str | None = None,
    channels: tuple[str, ...] = (),
) -> HandoffReport:
    """The week's stats, every item carried over, and the week's closes. Changes nothing."""
    today: date = rota_service.today(now, window.zone)
    from_hero = rota_service.hero_on(config.rota, today) or config.hero.me
    to_hero = _member_name(directory, to or rota_service.next_hero(config.rota, today), "--to")
    open_now = stats_service.open_items(store, now, channels)
    stats = stats_service.compute(
        store,
        window,
        now,
        team=directory,
        target_minutes=config.hero.response_target_minutes,
        channels=channels,
        open_now=open_now,
    )
    ids = [i.id for i in open_now]
    last = reports.last_messages(store.conn, ids)
    notes = log.notes(store.conn, ids)
    items = []
    for item in open_now:
        group = _group(item)
        since = item.waiting_since if group == "waiting_on_us" else item.last_message_at
        message = last.get(item.id)
        author = None
        if message is not None:
            member = directory.member_for(item.channel, message.author_id)
            author = member.name if member else message.author_name or message.author_id
        keeps = item.assignee is not None and (
            from_hero is None or item.assignee.casefold() != from_hero.casefold()
        )
        items.append(
            HandoffItem(
                item=item,
                group=group,
                age_seconds=(now - since).total_seconds() if since else 0.0,
                last=message,
                last_author=author,
                notes=tuple(notes.get(item.id, ())),
                reassign_to=None
                if keeps or to_hero is None or item.assignee == to_hero
                else to_hero,
            )
        )
    order = {g: n for n, g in enumerate(GROUPS)}
    items.sort(key=lambda h: (order[h.group], -h.age_seconds, h.item.id))
    return HandoffReport(window, now, from_hero, to_hero, stats, items, stats.closed)


def _group(item: Item) -> str:
    if item.state is ItemState.SNOOZED:
        return "snoozed"
    return "waiting_on_us" if item.waiting is Waiting.US else "waiting_on_them"


def plan(
    report: HandoffReport,
    *,
    reassign_upstream: bool = False,
    output: Path | None = None,
    file_text: str | None = None,
    post: PostTarget | None = None,
    parts: tuple[str, ...] = (),
) -> HandoffPlan:
    """Everything carrying out the handoff would change, for --dry-run to show or carry_out to do."""
    moves = [
        Reassignment(h.item.id, h.item.channel, h.item.assignee, h.reassign_to)
        for h in report.items
        if h.reassign_to is not None
    ]
    return HandoffPlan(report, moves, reassign_upstream, output, post, parts, file_text)


def carry_out(
    store: Store, actor: Actor, directory: TeamDirectory, p: HandoffPlan
) -> HandoffOutcome:
    """Write the file, then record the handoff, reassign and post through the outbox.

    The file comes first: when it cannot be written this raises ``HeroError``
    and nothing is recorded or reassigned, so the handoff can simply be run again.
    """
    out = HandoffOutcome()
    report = p.report
    if p.output is not None and p.file_text is not None:
        _write_whole(p.output, p.file_text)
        out.written = p.output
    now = actor.clock.now()
    with store.transaction() as db:
        detail = {"from": report.from_hero, "to": report.to_hero}
        for h in report.items:
            log.record(db, h.item.id, EventKind.HANDED_OFF, now, actor.name, detail)
        log.record(
            db,
            None,
            EventKind.HANDED_OFF,
            now,
            actor.name,
            {
                **detail,
                "first_day": report.window.first_day.isoformat(),
                "last_day": report.window.last_day.isoformat(),
                "items": len(report.items),
                "posted_to": str(p.post) if p.post else None,
            },
        )
    out.handed_off = len(report.items)
    for move in p.reassign:
        member = directory.find(move.to)
        assert member is not None  # checked when the report was built
        delivery = assign(store, actor, move.item_id, member, upstream=p.upstream, why="handoff")
        out.reassigned.append(move)
        if delivery is not None:
            out.deliveries.append(delivery)
            if delivery.error is not None:
                out.errors.append(delivery.error)
    if p.post is not None:
        out.deliveries.extend(_post(store, actor, p.post, p.parts, out))
    return out


def _write_whole(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` all at once: a full disk leaves the old file, not half a new one."""
    import os
    import tempfile

    try:
        mode = path.stat().st_mode & 0o777 if path.is_file() else 0o644
        fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
            os.chmod(temp, mode)
            os.replace(temp, path)
        except BaseException:
            os.unlink(temp)
            raise
    except OSError as exc:
        raise HeroError(
            f"cannot write {path}: {exc.strerror or exc}",
            hint="nothing was recorded or reassigned; fix the path or pick another --output",
        ) from None


def _post(
    store: Store, actor: Actor, target: PostTarget, parts: tuple[str, ...], out: HandoffOutcome
) -> list[Delivery]:
    """All parts are written to the outbox as one ordered batch first; a failed part stops
    the rest, which `hero outbox retry` then sends in order."""
    entries = enqueue_batch(
        store,
        actor.clock,
        channel=target.channel,
        op=Op.POST,
        payloads=[
            {"target": target.target, "body": body, "part": n + 1, "parts": len(parts)}
            for n, body in enumerate(parts)
        ],
    )
    done = deliver_batch(store, entries, actor.channel_for, actor.clock, me=actor.name)
    out.errors.extend(d.error for d in done if d.error is not None)
    return done


def report_json(report: HandoffReport) -> dict[str, object]:
    """The stable `--json` shape of the handoff report."""

    def entry(h: HandoffItem) -> dict[str, object]:
        i = h.item
        return {
            "id": i.id,
            "channel": i.channel,
            "title": i.title,
            "url": i.url,
            "group": h.group,
            "age_s": h.age_seconds,
            "waiting_since": iso(i.waiting_since),
            "snoozed_until": iso(i.snoozed_until),
            "assignee": i.assignee,
            "reassign_to": h.reassign_to,
            "labels": list(i.labels),
            # A team reply whose send is uncertain (see `hero outbox`): it is no answer yet.
            "reply_uncertain": i.reply_uncertain,
            "last_message": None
            if h.last is None
            else {
                "author": h.last_author,
                "from_team": h.last.from_team,
                "at": iso(h.last.sent_at),
                "body": h.last.body,
            },
            "notes": [{"at": iso(n.at), "author": n.author, "body": n.body} for n in h.notes],
        }

    return {
        "from": report.from_hero,
        "to": report.to_hero,
        "stats": stats_service.stats_json(report.stats),
        "items": {g: [entry(h) for h in report.group(g)] for g in GROUPS},
        "closed": [
            {
                "id": c.id,
                "channel": c.channel,
                "title": c.title,
                "url": c.url,
                "closed_at": iso(c.closed_at),
                "closed_by": c.closed_by,
            }
            for c in report.closed
        ],
    }


def plan_json(p: HandoffPlan) -> dict[str, object]:
    return {
        "record_handed_off": len(p.report.items),
        "reassign": [
            {"id": m.item_id, "channel": m.channel, "from": m.previous, "to": m.to}
            for m in p.reassign
        ],
        "reassign_upstream": p.upstream,
        "write": str(p.output) if p.output else None,
        "post": None if p.post is None else {"to": str(p.post), "parts": list(p.parts)},
    }

"""The main screen: its layout and its keys. Each key asks, then hands the work to a service."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container
from textual.screen import Screen
from textual.widgets import Footer

from herocli.errors import HeroError
from herocli.models import iso
from herocli.render.outbox import describe_delivery, outbox_table
from herocli.render.text import safe
from herocli.services import triage
from herocli.services.inbox import VIEWS, thread_links
from herocli.services.outbox import Delivery
from herocli.services.when import FORMS, parse_until
from herocli.store import Store
from herocli.store import outbox as rows
from herocli.tui import reply
from herocli.tui.conversation import ConversationView
from herocli.tui.prompts import Ask, Pick, Sheet
from herocli.tui.queue import Fetch, QueueList
from herocli.tui.status import StatusLine

if TYPE_CHECKING:
    from herocli.tui.app import HeroApp

NARROW = 120  # below this many columns the conversation goes under the queue
_VIEW_ORDER = list(VIEWS)
NOBODY = "nobody"


class QueueScreen(Screen[None]):
    BINDINGS = [
        Binding("question_mark", "keys", "Keys", tooltip="this list of keys"),
        Binding("r", "reply", "Reply", tooltip="reply in $EDITOR, then confirm (as hero reply)"),
        Binding("a", "assign", "Assign", tooltip="assign to a teammate, or nobody"),
        Binding("p", "ping", "Ping", tooltip="assign and @mention a teammate in the thread"),
        Binding(
            "s",
            "snooze",
            "Snooze",
            tooltip="snooze: the times hero snooze reads (2h, friday 3pm, ...)",
        ),
        Binding("c", "close", "Close", tooltip="close here and at the source"),
        Binding("C", "reopen", "Reopen", tooltip="reopen a closed or snoozed item"),
        Binding("l", "label", "Label", tooltip="+name adds a label, -name removes one"),
        Binding("n", "note", "Note", tooltip="a private note, kept here, never sent"),
        Binding("o", "open_link", "Open", tooltip="open the item in the browser"),
        Binding("u", "links", "Links", tooltip="pick a link in the conversation to open"),
        Binding("slash", "search", "Search", tooltip="search; mine, @member, channel:, label:"),
        Binding("m", "mine", "Mine", tooltip="only items assigned to me, or all again"),
        Binding("1", "view('on us')", "On us", show=False, tooltip="view: waiting on us"),
        Binding("2", "view('on them')", "On them", show=False, tooltip="view: waiting on them"),
        Binding("3", "view('snoozed')", "Snoozed", show=False, tooltip="view: snoozed"),
        Binding("4", "view('closed')", "Closed", show=False, tooltip="view: closed"),
        Binding("5", "view('all')", "All", show=False, tooltip="view: every item"),
        Binding("tab", "next_view", "Next view", show=False, tooltip="the next view"),
        Binding("S", "sync", "Sync", tooltip="sync every channel now (in the background)"),
        Binding("O", "outbox", "Outbox", tooltip="the outbox: pending, failed and sent writes"),
        Binding("H", "handoff", "Handoff", tooltip="preview the week's handoff (sends nothing)"),
        Binding("q", "quit", "Quit", tooltip="quit"),
    ]
    DEFAULT_CSS = """
    QueueScreen #main { layout: horizontal; height: 1fr; }
    QueueScreen QueueList { width: 50%; height: 1fr; border-right: vkey $panel-lighten-2; }
    QueueScreen ConversationView { width: 1fr; height: 1fr; }
    QueueScreen.-narrow #main { layout: vertical; }
    QueueScreen.-narrow QueueList { width: 100%; height: 45%; border-right: none;
        border-bottom: hkey $panel-lighten-2; }
    QueueScreen.-narrow ConversationView { width: 100%; }
    """

    def __init__(self, fetch: Fetch, now: Callable[[], datetime], target_minutes: int) -> None:
        super().__init__()
        self.queue = QueueList(fetch, now, target_minutes, id="queue")
        self.conversation = ConversationView(id="conversation")
        self.status = StatusLine(id="status")
        self._now = now

    @property
    def hero_app(self) -> HeroApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        with Container(id="main"):
            yield self.queue
            yield self.conversation
        yield self.status
        yield Footer()

    def on_mount(self) -> None:
        self.queue.focus()

    # --- the open item ------------------------------------------------------------------------

    def on_queue_list_moved(self, message: QueueList.Moved) -> None:
        # The same item read again (after a reload) keeps where the reader was.
        self.conversation.show(self.hero_app.detail(message.item_id), self._now(), keep_scroll=True)

    def on_queue_list_opened(self, message: QueueList.Opened) -> None:
        self.conversation.focus()

    def refresh_conversation(self) -> None:
        """Show the open item as it is now (after a change or a sync), keeping the scroll."""
        self.conversation.show(
            self.hero_app.detail(self.queue.current), self._now(), keep_scroll=True
        )

    def _current(self) -> int | None:
        item_id = self.queue.current
        if item_id is None:
            self.status.error("no item here")
        return item_id

    # --- acting on it -------------------------------------------------------------------------

    def _act(self, what: str, work: Callable[[Store], Delivery | None], said: str) -> None:
        """Run a triage service in the background; say ``said`` and how its delivery went."""

        def done(delivery: Delivery | None) -> None:
            line = safe(said)
            if delivery is not None:
                line.append("  ")
                line.append_text(describe_delivery(delivery))
            self.status.say(line)

        self.hero_app.run_job(what, work, done)

    def action_reply(self) -> None:
        reply.start(self)

    def action_assign(self) -> None:
        self._assign(ping=False)

    def action_ping(self) -> None:
        self._assign(ping=True)

    def _assign(self, *, ping: bool) -> None:
        """Pick a teammate for the current item; ``ping`` also @mentions them (so no "nobody")."""
        item_id = self._current()
        if item_id is None:
            return
        app = self.hero_app
        team = app.hero.config.team
        names = [m.name for m in team.members] + ([] if ping else [NOBODY])
        if not names:
            self.status.error("no team members in the config ([[team.members]])")
            return

        def picked(name: str | None) -> None:
            if not name:
                return
            member = None if name == NOBODY else app.hero.team.find(name)
            self._act(
                "pinging" if ping else "assigning",
                lambda store: triage.assign(store, app.actor, item_id, member, ping=ping),
                f"#{item_id} assigned to {member.name if member else 'nobody'}"
                + (", pinged" if ping else ""),
            )

        item = self.queue.item(item_id)
        question = f"Ping a teammate on #{item_id}" if ping else f"Assign #{item_id} to"
        app.push_screen(Pick(question, names, item.assignee if item else None), picked)

    def action_snooze(self) -> None:
        item_id = self._current()
        if item_id is None:
            return
        app = self.hero_app

        def answered(text: str | None) -> None:
            if text is None:
                return
            try:
                until = parse_until(text, self._now(), app.zone)
            except HeroError as exc:
                self.status.error(exc.message)
                return

            def done(item: object) -> None:
                local = until.astimezone(app.zone) if app.zone else until
                self.status.say(f"#{item_id} snoozed until {local:%a %d %b %H:%M} ({iso(until)})")

            app.run_job(
                "snoozing", lambda store: triage.snooze(store, app.actor, item_id, until), done
            )

        app.push_screen(Ask(f"Snooze #{item_id} until", FORMS), answered)

    def action_close(self) -> None:
        self._change_current("closing", triage.close, "closed")

    def action_reopen(self) -> None:
        self._change_current("reopening", triage.reopen, "open")

    def _change_current(
        self,
        what: str,
        change: Callable[[Store, triage.Actor, int], Delivery | None],
        now: str,
    ) -> None:
        """Run ``change`` on the current item, then say it is ``now`` so."""
        item_id = self._current()
        if item_id is not None:
            actor = self.hero_app.actor
            self._act(what, lambda store: change(store, actor, item_id), f"#{item_id} {now}")

    def action_label(self) -> None:
        item_id = self._current()
        if item_id is None:
            return
        actor = self.hero_app.actor

        def answered(text: str | None) -> None:
            if not text:
                return
            try:
                add, remove = triage.label_changes(text.split())
            except HeroError as exc:
                self.status.error(exc.message)
                return
            self._act(
                "labelling",
                lambda store: triage.label(store, actor, item_id, add, remove),
                f"#{item_id} labels: +{', +'.join(add) or '-'} -{', -'.join(remove) or '-'}",
            )

        self.hero_app.push_screen(
            Ask(f"Labels of #{item_id}", "+name adds a label, -name removes one"), answered
        )

    def action_note(self) -> None:
        item_id = self._current()
        if item_id is None:
            return
        actor = self.hero_app.actor

        def answered(text: str | None) -> None:
            if not text:
                return
            self.hero_app.run_job(
                "noting",
                lambda store: triage.note(store, actor, item_id, text),
                lambda _note: self.status.say(f"note added to #{item_id}"),
            )

        self.hero_app.push_screen(Ask(f"Note on #{item_id} (kept here, never sent)"), answered)

    def action_open_link(self) -> None:
        item_id = self._current()
        item = self.queue.item(item_id) if item_id is not None else None
        if item is None:
            return
        if not item.url:
            self.status.error(f"#{item.id} has no link to open")
            return
        self.hero_app.open_link(item.url)
        self.status.say(Text.assemble("opened ", safe(item.url, "underline")))

    def action_links(self) -> None:
        detail = self.conversation.detail
        if detail is None:
            self.status.error("no item here")
            return
        links = thread_links(detail)
        if not links:
            self.status.error(f"#{detail.item.id} has no links")
            return

        def picked(link: str) -> None:
            self.hero_app.open_link(link)
            self.status.say(Text.assemble("opened ", safe(link, "underline")))

        self.hero_app.push_screen(
            Pick("Open which link?", links, links[0]), lambda link: picked(link) if link else None
        )

    # --- views ----------------------------------------------------------------------------------

    def action_search(self) -> None:
        def answered(text: str | None) -> None:
            if text is not None:
                self.hero_app.with_words(text)

        self.hero_app.push_screen(
            Ask(
                "Search (empty clears)",
                "words in the title or any message; mine, @member, channel:NAME, label:NAME",
                self.hero_app.words,
            ),
            answered,
        )

    def action_mine(self) -> None:
        words = self.hero_app.words.split()
        mine = [w for w in words if w.lower() != "mine"]
        self.hero_app.with_words(" ".join(mine if len(mine) < len(words) else ["mine", *words]))

    def action_view(self, view: str) -> None:
        self.hero_app.switch_view(view)

    def action_next_view(self) -> None:
        at = _VIEW_ORDER.index(self.hero_app.view)
        self.hero_app.switch_view(_VIEW_ORDER[(at + 1) % len(_VIEW_ORDER)])

    def action_sync(self) -> None:
        self.hero_app.background_sync()

    # --- pages ----------------------------------------------------------------------------------

    def action_keys(self) -> None:
        self.hero_app.push_screen(Sheet("Keys", key_map(self)))

    def action_outbox(self) -> None:
        entries = rows.recent(self.hero_app.hero.store.conn, 50)
        body = (
            outbox_table(entries, self._now())
            if entries
            else Text("The outbox is empty: everything was sent.")
        )
        self.hero_app.push_screen(Sheet("Outbox (the last 50)", body))

    def action_handoff(self) -> None:
        app = self.hero_app

        def show(view: RenderableType) -> None:
            self.status.say("")
            app.push_screen(Sheet("Handoff preview (nothing is sent)", view))

        app.run_job("building the handoff", app.handoff_report, show)

    def action_quit(self) -> None:
        self.app.exit()


def key_map(screen: Screen[None]) -> Table:
    """Every key of the main screen and the queue, with what it does."""
    table = Table(box=None, show_header=False, pad_edge=False)
    table.add_column(style="bold")
    table.add_column()
    lines = [
        ("j/k ↓/↑", "move"),
        ("PgDn/PgUp g/G", "page, first, last"),
        ("enter", "read the conversation (j/k scroll it, esc back)"),
    ]
    for binding in screen.BINDINGS:
        assert isinstance(binding, Binding)
        key = {"question_mark": "?", "slash": "/"}.get(binding.key, binding.key)
        lines.append((key, binding.tooltip or binding.description))
    for key, what in lines:
        table.add_row(key, what)
    return table

"""The `hero tui` application: the queue, the open conversation and the status, kept live.

The app only shows things and routes keys. Reading the queue for the screen
happens here (small, indexed reads on a connection of its own); every change,
sync and delivery runs in a worker thread through the same service functions
as the commands, on its own connection, one at a time, so keys never wait.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Mapping
from datetime import tzinfo
from functools import cached_property, partial
from typing import TYPE_CHECKING, Any, TypeVar

from rich.console import RenderableType
from rich.text import Text
from textual.app import App, SuspendNotSupported
from textual.timer import Timer

from herocli.context import Context
from herocli.errors import HeroError
from herocli.exchange import SilentProgress
from herocli.render.progress import sync_summary
from herocli.render.text import safe
from herocli.services.inbox import (
    VIEWS,
    ItemDetail,
    inbox_ids,
    items_by_id,
    read_detail,
    refine,
    resolve_filter,
)
from herocli.services.status import queue_status
from herocli.services.sync import SyncResult, sync_all
from herocli.services.triage import Actor
from herocli.store import Store
from herocli.store.queue import ItemFilter
from herocli.tui.screen import NARROW, QueueScreen

if TYPE_CHECKING:
    from herocli.channels.base import Channel
    from herocli.config_mirror import MirrorSettings

T = TypeVar("T")
Compose = Callable[[str, Mapping[str, str]], str]


class HeroApp(App[None]):
    """The whole queue on one live screen."""

    TITLE = "hero"
    ENABLE_COMMAND_PALETTE = False
    # Below NARROW columns the screen has the class -narrow: the conversation goes under the queue.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (NARROW, "-wide")]

    def __init__(
        self,
        hero: Context,
        *,
        compose_reply: Compose,
        open_url: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__()
        self.hero = hero
        self.compose_reply = compose_reply
        self._open_url = open_url
        self.view = "on us"
        self.words = ""
        self.sync_timer: Timer | None = None
        self._work_lock = threading.Lock()
        self._syncing = False
        self._seen_version = -1
        self.jobs_done = 0  # how many jobs have finished: tests and benchmarks wait on it

    # --- the screen's data ------------------------------------------------------------------

    def get_default_screen(self) -> QueueScreen:
        self.screen_view = QueueScreen(
            fetch=lambda ids: items_by_id(self.hero.store, self.hero.clock, ids),
            now=self.hero.clock.now,
            target_minutes=self.hero.config.hero.response_target_minutes,
        )
        return self.screen_view

    def on_mount(self) -> None:
        self.reload()
        self.set_interval(1, self.tick)
        minutes = self.hero.config.tui.sync_minutes
        if minutes > 0:
            self.sync_timer = self.set_interval(minutes * 60, self.background_sync)

    def item_filter(self) -> ItemFilter:
        """The view narrowed by the search words, names checked as `hero inbox` checks them."""
        config = self.hero.config
        return resolve_filter(
            self.hero.store,
            refine(VIEWS[self.view], self.words, config.hero.me),
            channels=config.enabled_channels(),
            members=config.team.members,
        )

    def reload(self) -> None:
        """Read the view again; the cursor stays on the item it was on."""
        try:
            f = self.item_filter()
        except HeroError as exc:
            self.words = ""
            self.screen_view.status.error(exc.message)
            f = VIEWS[self.view]
        store = self.hero.store
        self._seen_version = store.data_version()
        queue = self.screen_view.queue
        queue.show(inbox_ids(store, self.hero.clock, f), keep=queue.current)
        self.show_status()

    def detail(self, item_id: int | None) -> ItemDetail | None:
        if item_id is None:
            return None
        try:
            return read_detail(self.hero.store, self.hero.clock, item_id)
        except HeroError:
            return None

    def show_status(self) -> None:
        status = queue_status(self.hero.store, self.hero.config, self.hero.clock.now())
        label = self.view + (f" · {self.words}" if self.words else "")
        label += f" ({len(self.screen_view.queue.ids):,})"
        self.screen_view.status.show_status(status, self.hero.clock.now(), label)

    def tick(self) -> None:
        """Each second: wait times move on, and changes by other processes show up."""
        if self.hero.store.data_version() != self._seen_version:
            self.reload()
            self.screen_view.refresh_conversation()
        else:
            self.screen_view.queue.tick()
            self.show_status()

    # --- work in the background -------------------------------------------------------------

    def run_job(
        self,
        what: str,
        work: Callable[[Store], T],
        done: Callable[[T], None],
        *,
        always: Callable[[], None] | None = None,
    ) -> None:
        """Run ``work`` on a worker thread with its own queue connection, then ``done`` here.

        A failure shows as one line in the status; ``always`` runs after either.
        """
        self.screen_view.status.say(f"{what}…", "dim")
        self.run_worker(
            partial(self._job, work, done, always), thread=True, group="jobs", exit_on_error=False
        )

    def _job(
        self,
        work: Callable[[Store], T],
        done: Callable[[T], None],
        always: Callable[[], None] | None,
    ) -> None:
        message: str | None = None
        result: Any = None
        with self._work_lock:  # one write at a time, in the order asked
            try:
                store = Store.open(self.hero.queue_path)
                try:
                    result = work(store)
                finally:
                    store.close()
            except HeroError as exc:
                message = exc.message
            except Exception as exc:  # a bug must not take the screen down
                message = f"unexpected error: {type(exc).__name__}: {exc}"
        with contextlib.suppress(RuntimeError):  # the app closed meanwhile
            self.call_from_thread(self._finished, done, always, result, message)

    def _finished(
        self,
        done: Callable[[Any], None],
        always: Callable[[], None] | None,
        result: Any,
        message: str | None,
    ) -> None:
        if always is not None:
            always()
        if message is not None:
            self.screen_view.status.error(message)
        else:
            done(result)
        self.reload()
        self.screen_view.refresh_conversation()
        self.jobs_done += 1

    def background_sync(self) -> None:
        """Sync every enabled channel (what the timer and S do); skipped while one runs."""
        if self._syncing:
            return
        self._syncing = True
        hero = self.hero
        channels = [
            (name, partial(hero.factories[name], hero))
            for name in hero.config.enabled_channels()
            if name in hero.factories
        ]
        on_us = VIEWS["on us"]

        def work(store: Store) -> tuple[list[SyncResult], int]:
            before = set(inbox_ids(store, hero.clock, on_us))
            results = sync_all(
                store, channels, hero.config.team, hero.clock, lambda _name: SilentProgress()
            )
            mirrored = hero.config.mirror_on()
            if mirrored is not None:
                results.append(self._mirror(store, mirrored))
            after = inbox_ids(store, hero.clock, on_us)
            return results, sum(1 for i in after if i not in before)

        def done(outcome: tuple[list[SyncResult], int]) -> None:
            results, new = outcome
            if not results:
                self.screen_view.status.error("no channel is configured: nothing to sync")
                return
            line = Text("synced: ")
            for n, result in enumerate(results):
                line.append("; " if n else "")
                line.append_text(
                    safe(f"{result.channel} {sync_summary(result)}", "" if result.ok else "red")
                )
            self.screen_view.status.say(line)
            if new:
                self.notify(f"{new} new on us", timeout=8)

        def over() -> None:
            self._syncing = False

        self.run_job("syncing", work, done, always=over)

    def _mirror(self, store: Store, settings: MirrorSettings) -> SyncResult:
        """The team mirror, as `hero sync` runs it, on this worker's own channels."""
        from herocli.services.mirror import sync_mirror
        from herocli.services.team import TeamDirectory

        hero = self.hero
        made: dict[str, Channel] = {}

        def channel_for(name: str) -> Channel:
            if name not in made:
                made[name] = hero.factories[name](hero)
            return made[name]

        try:
            return sync_mirror(
                store,
                settings,
                channel_for,
                TeamDirectory(hero.config.team),
                hero.clock,
                target_minutes=hero.config.hero.response_target_minutes,
                progress=SilentProgress(),
                me=hero.config.hero.me,
            )
        finally:
            for channel in made.values():
                channel.shutdown()

    # --- what the screen's keys need ----------------------------------------------------------

    @property
    def actor(self) -> Actor:
        return self.hero.actor

    @cached_property
    def zone(self) -> tzinfo | None:
        """The zone snooze times are read in: ``[hero] timezone``, as `hero snooze` reads them."""
        from zoneinfo import ZoneInfo

        name = self.hero.config.hero.timezone
        return ZoneInfo(name) if name else None

    def handoff_report(self, store: Store) -> RenderableType:
        """What `hero handoff --dry-run` would show for this week (it changes nothing)."""
        from herocli.render.stats import handoff_view
        from herocli.services import handoff, rota, stats

        hero = self.hero
        now = hero.clock.now()
        window = stats.resolve_window(hero.config.rota, rota.local_zone(hero.config.hero), now)
        return handoff_view(handoff.build_report(store, hero.config, hero.team, window, now))

    # --- the terminal -------------------------------------------------------------------------

    def edit(self, template: str) -> str | None:
        """The user's editor on ``template``, with the screen suspended as `hero reply` does."""
        try:
            try:
                with self.suspend():
                    return self.compose_reply(template, self.hero.env)
            except SuspendNotSupported:  # headless (tests): nothing to hand the terminal back
                return self.compose_reply(template, self.hero.env)
        except HeroError as exc:
            self.screen_view.status.error(exc.message)
            return None

    def open_link(self, url: str) -> None:
        (self._open_url or self.open_url)(url)

    def with_words(self, words: str) -> None:
        self.words = words.strip()
        self.reload()

    def switch_view(self, view: str) -> None:
        self.view = view
        self.reload()

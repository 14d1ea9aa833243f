"""Reading the team's mirror channel: the same history-then-changed-threads fetch as a
support channel, where the only threads are the parents hero posted there.

A parent is watched from the moment its ts is known (``watch``); one no longer
watched (its item closed long ago) is forgotten. A thread in ``reread`` is read
even when history shows no new reply: Slack moves neither ``reply_count`` nor
``latest_reply`` when a reply is edited, so that is the only way to see an edit. Nothing in the
mirror channel ever starts an item, and a reaction on a parent closes nothing.
"""

from __future__ import annotations

from herocli.channels.slack.api import SlackApi
from herocli.channels.slack.sync import SlackFetch
from herocli.config_slack import SlackSettings
from herocli.exchange import SyncProgress
from herocli.models import JSON, Clock
from herocli.records import replace


class MirrorFetch(SlackFetch):
    """One read of the mirror channel; yields each watched thread whose replies changed."""

    def __init__(
        self,
        api: SlackApi,
        settings: SlackSettings,
        target: str,
        clock: Clock,
        cursor: JSON,
        progress: SyncProgress,
        watch: set[str],
        reread: frozenset[str] = frozenset(),
    ) -> None:
        mirror = replace(settings, channels=(target,), intake="all")
        super().__init__(api, mirror, frozenset(), clock, cursor, progress)
        self.watch = watch
        self.reread = set(reread)  # emptied as each is marked, once per read
        for ch in self.state["ch"].values():
            for key in ("open", "closed", "pending"):
                for ts in [ts for ts in ch.get(key, {}) if ts not in watch]:
                    del ch[key][ts]

    def channel_state(self, channel: str) -> JSON:
        ch = super().channel_state(channel)
        for ts in self.watch:
            if ts not in ch["open"] and ts not in ch["closed"]:
                # Nothing read yet: any reply makes the thread "changed", so it is read.
                ch["open"][ts] = [0, "", "", []]
            elif ts in self.reread and ts in ch["open"]:
                # Read again whatever history says: an edited reply changes no count.
                ch["open"][ts] = [-1, *ch["open"][ts][1:]]
                self.reread.discard(ts)
        return ch

    def starts_item(self, channel: str, message: JSON) -> bool:
        return False

    def closers(self, message: JSON) -> set[str]:
        return set()

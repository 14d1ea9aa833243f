"""Replying from `hero tui`: the same editor, drafts, question and outbox as `hero reply`.

What the editor gives back is kept as the item's draft before anything is
asked, so a "not now", a discarded screen or a crash loses nothing, and the
next reply (here or with `hero reply`) picks it up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Group, RenderableType
from rich.panel import Panel

from herocli.models import ItemState
from herocli.render.outbox import describe_delivery, reply_target, reply_template
from herocli.render.text import safe
from herocli.services import drafts, triage
from herocli.services.inbox import ItemDetail
from herocli.services.outbox import Delivery
from herocli.store import Store
from herocli.tui.prompts import Choose

if TYPE_CHECKING:
    from herocli.tui.screen import QueueScreen

# key: (answer, what the prompt says); escape gives the last one.
CHOICES = {
    "y": ("send", "send"),
    "e": ("edit", "edit"),
    "d": ("discard", "discard"),
    "n": ("postpone", "keep for later"),
}


def start(screen: QueueScreen) -> None:
    """Reply to the item under the cursor, from its draft if it has one."""
    app = screen.hero_app
    detail = app.detail(screen.queue.current)
    if detail is None:
        screen.status.error("no item here")
        return
    draft = drafts.load(app.hero.store, detail.item.id)
    _edit(screen, detail, draft.body if draft else "")


def _edit(screen: QueueScreen, detail: ItemDetail, body: str) -> None:
    app = screen.hero_app
    hero = app.hero
    item_id = detail.item.id
    text = app.edit(reply_template(detail, hero.clock.now(), body))
    if text is None:  # the editor failed; the status says why
        return
    if not text.strip():
        app.run_job(
            "discarding",
            lambda store: drafts.discard(store, item_id),
            lambda _had: screen.status.say("empty reply; nothing was sent", "yellow"),
        )
        return

    def ask(_draft: object) -> None:
        screen.status.say("")
        parts: list[RenderableType] = [safe(reply_target(detail), "bold")]
        if detail.item.state is ItemState.CLOSED:
            parts.append(
                safe(f"#{item_id} is closed; the reply does not reopen it (C does).", "yellow")
            )
        preview = Group(*parts, Panel(safe(text.rstrip()), border_style="dim"))
        app.push_screen(Choose("Send this reply?", preview, CHOICES), answered)

    def answered(answer: str | None) -> None:
        if answer == "send":
            app.run_job("sending", send, lambda d: screen.status.say(describe_delivery(d)))
        elif answer == "edit":
            _edit(screen, detail, text)
        elif answer == "discard":
            app.run_job(
                "discarding",
                lambda store: drafts.discard(store, item_id),
                lambda _had: screen.status.say(f"draft of #{item_id} thrown away", "yellow"),
            )
        else:
            screen.status.say(
                f"not sent; kept as the draft of #{item_id} (r picks it up)", "yellow"
            )

    def send(store: Store) -> Delivery:
        delivery = triage.reply(store, app.actor, item_id, text)
        drafts.discard(store, item_id)  # sent, or in the outbox to send
        return delivery

    # Kept before the question, so nothing written is lost whatever happens next.
    app.run_job(
        "keeping the draft", lambda store: drafts.save(store, hero.clock, item_id, text), ask
    )

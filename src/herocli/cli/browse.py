"""`hero open`: the item at its source, in the browser, as `gh issue view --web` does."""

from __future__ import annotations

import typer

from herocli.cli.common import ItemArg, context_of, item_number
from herocli.cli.help import examples
from herocli.context import Context
from herocli.errors import NotFoundError
from herocli.render.text import clean
from herocli.services.inbox import require_item


def register(app: typer.Typer) -> None:
    app.command(
        "open", epilog=examples("hero open 12", "hero show 12 --web", "BROWSER=echo hero open 12")
    )(open_item)


def open_item(ctx: typer.Context, item: ItemArg) -> None:
    """Open the item at its source (the issue, the Slack thread) in your browser."""
    open_in_browser(context_of(ctx), item_number(item))


def open_in_browser(hero: Context, number: int) -> None:
    """Open item ``number``'s page in the browser ($BROWSER, else the system's)."""
    found = require_item(hero.store, number, hero.clock)
    if not found.url:
        raise NotFoundError(
            f"#{number} has no web page ({found.channel})", hint=f"`hero show {number}` shows it"
        )
    url = clean(found.url, single_line=True)
    import webbrowser

    hero.err.print(f"Opening {url} in your browser.", markup=False, highlight=False)
    if not webbrowser.open(url):
        hero.err.print("No browser could be started here; the address is above.", style="yellow")

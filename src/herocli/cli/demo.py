"""`hero demo`: the real sync, inbox, show and reply code against bundled local servers."""

from __future__ import annotations

import re
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.rule import Rule

from herocli.cli.common import context_of
from herocli.cli.help import examples
from herocli.context import Context
from herocli.errors import ExitCode, UsageError
from herocli.render.text import safe
from herocli.services.inbox import list_inbox
from herocli.store import Store
from herocli.store.queue import ItemFilter

if TYPE_CHECKING:
    from herocli.simulators.demo import DemoWorld

DEMO_REPLY = "Thanks for the report! I can reproduce it and a fix is on its way; I'll post here when it ships."
TEAM_ANSWER = (
    "Sorry about that! I have reset it on our side; please try again and tell us if it still fails."
)
PARENT = re.compile(r"^\*#(\d+)\* · (\w+)")

Step = Callable[..., int]


def register(app: typer.Typer) -> None:
    app.command(
        epilog=examples("hero demo", "hero demo --serve", "hero demo --serve --dir ./demo")
    )(demo)


def demo(
    ctx: typer.Context,
    serve: Annotated[
        bool, typer.Option("--serve", help="Keep the servers running and print how to use them.")
    ] = False,
    directory: Annotated[
        Path | None,
        typer.Option(
            "--dir",
            metavar="DIR",
            help="Keep the demo config and queue here (default: a temp dir).",
        ),
    ] = None,
) -> None:
    """Try hero with no account: local GitHub, Slack and mail servers, the real commands."""
    from herocli.simulators.demo import start_demo

    hero = context_of(ctx)
    # A plain `kill` (or a closed terminal) must stop the servers too (the mail server
    # is a child process) and remove the temp dir: SystemExit runs the cleanup below.
    for number in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(number, lambda *_: sys.exit(0))
    with ExitStack() as cleanup:
        if directory is None:
            root = Path(tempfile.mkdtemp(prefix="hero-demo-"))
            cleanup.callback(shutil.rmtree, root, ignore_errors=True)
        else:
            root = directory
            _reset(hero, root)
        world = start_demo(root)
        cleanup.callback(world.stop)
        _run(hero, world, serve=serve)


def _reset(hero: Context, root: Path) -> None:
    from herocli.simulators.demo import reset_demo_dir

    try:
        if reset_demo_dir(root):
            hero.err.print(safe(f"{root}: the earlier demo's config and queue are reset"))
    except ValueError as exc:
        raise UsageError(
            f"--dir: {exc}; nothing was changed", hint="give a new or empty directory"
        ) from None


def _run(hero: Context, world: DemoWorld, *, serve: bool) -> None:
    env = {k: v for k, v in hero.env.items() if k not in ("HERO_CONFIG", "HERO_DATA_DIR")}
    env.update(world.env)

    def step(title: str, *args: str) -> int:
        hero.err.print(Rule(safe(f"$ hero {' '.join(args)}"), align="left", style="cyan"))
        if title:
            hero.err.print(safe(title), style="dim")
        child = Context(config_path=world.config_path, env=env, out=hero.out, err=hero.err)
        from herocli.cli.main import run_cli

        return run_cli(list(args), child)

    hero.err.print(
        safe(f"Local servers for: {', '.join(world.channels)}. Config: {world.config_path}")
    )
    for missing in world.missing:
        hero.err.print(safe(f"left out: {missing}"), style="yellow")
    if serve:
        _serve(hero, world.config_path, world.env)
        return
    if step("Fetch every open conversation into the local queue.", "sync") != ExitCode.OK:
        raise typer.Exit(ExitCode.ERROR)
    step("What is waiting on us, longest wait first.", "inbox")
    first = _longest_waiting(world.data_dir / "queue.db")
    if first is None:
        return
    step("The whole conversation.", "show", str(first))
    step(
        "Answer it on its own channel (through the outbox).",
        "reply",
        str(first),
        "-m",
        DEMO_REPLY,
        "--yes",
    )
    step("Now it waits on them.", "inbox", "--waiting", "them")
    _team_answers(hero, world, step, replied=first)
    hero.err.print(
        "\nThat was the real sync, inbox, show, reply and team mirror code against local "
        "servers.\n"
        "`hero demo --serve` keeps them running so you can try every command.",
        style="green",
    )


def _team_answers(hero: Context, world: DemoWorld, step: Step, *, replied: int) -> None:
    """The team's Slack channel as [mirror] keeps it, and a teammate answering from there."""
    from herocli.simulators.demo import TEAM_CHANNEL, TEAMMATE

    parents = world.team_parents()
    numbered = [(int(m[1]), m[2], ts) for ts, text in parents if (m := PARENT.match(text))]
    others = [p for p in numbered if p[0] != replied] or numbered
    if not others:
        return
    number, _source, ts = next((p for p in others if p[1] == "Email"), others[0])
    channel, (name, _) = f"#{TEAM_CHANNEL[1]}", TEAMMATE
    hero.err.print(Rule(safe(f"Slack {channel}, the team's channel"), align="left", style="cyan"))
    hero.err.print(
        safe(
            f"hero posted {len(parents)} messages there, one per item, and keeps each current; "
            f"anyone on the team answers in its thread. The one for #{number}:"
        ),
        style="dim",
    )
    _show_parent(hero, world, ts)
    hero.err.print(safe(f"{name} answers in its thread, from Slack:"), style="dim")
    hero.out.print(safe(f"{name}: !reply {TEAM_ANSWER}"))
    answer = world.teammate_says(ts, f"!reply {TEAM_ANSWER}")
    step(f"hero relays {name}'s answer to the customer, on the item's own channel.", "sync")
    said = next((m for m in world.team_thread(ts) if m["ts"] == answer), {})
    for reaction in said.get("reactions") or ():
        hero.err.print(
            safe(f"hero reacted :{reaction['name']}: to {name}'s message: it reached the customer.")
        )
    hero.err.print(safe(f"The message for #{number} in {channel} now:"), style="dim")
    _show_parent(hero, world, ts)
    step(f"The customer has {name}'s answer; the queue counts it as {name}'s.", "show", str(number))


def _show_parent(hero: Context, world: DemoWorld, ts: str) -> None:
    from herocli.services.mirror_text import plain_text

    text = next((text for at, text in world.team_parents() if at == ts), "")
    hero.out.print(safe(plain_text(text).replace("\t", " ")) + "\n")


def _longest_waiting(queue_path: Path) -> int | None:
    from herocli.models import SystemClock

    store = Store.open(queue_path)
    try:
        listing = list_inbox(store, SystemClock(), ItemFilter(limit=1))
    finally:
        store.close()
    return listing.items[0].id if listing.items else None


def _serve(hero: Context, config: Path, env: dict[str, str]) -> None:
    hero.out.print("# The demo servers are running. In another shell:")
    hero.out.print(safe(f"export HERO_CONFIG={config}"))
    for name, value in env.items():
        hero.out.print(safe(f"export {name}={value}"))
    hero.out.print("hero sync && hero inbox")
    hero.err.print("Press Ctrl-C to stop the servers.", style="dim")
    # Short naps, not one long sleep: a signal the kernel hands to one of the server
    # threads only flags Python's handler, which runs when this thread wakes. Ctrl-C
    # ends the naps as an interrupt (exit 130), after the servers stop and the temp
    # dir goes.
    while True:
        time.sleep(0.2)

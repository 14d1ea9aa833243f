"""`hero sync`: every enabled channel, with a progress display."""

from __future__ import annotations

from functools import partial
from typing import Annotated

import typer

from herocli.cli.common import JsonOpt, context_of
from herocli.cli.help import examples
from herocli.config import Config
from herocli.config_mirror import MirrorSettings
from herocli.context import Context
from herocli.errors import ExitCode, NotFoundError, UsageError
from herocli.records import replace
from herocli.redact import debug_traceback
from herocli.render.progress import ChannelProgress, sync_progress, sync_summary
from herocli.render.text import safe
from herocli.services.sync import SyncResult, sync_all


def register(app: typer.Typer) -> None:
    app.command(epilog=examples("hero sync", "hero sync github slack", "hero sync email --json"))(
        sync
    )


def sync(
    ctx: typer.Context,
    channels: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[CHANNEL]...", help="Channels to sync (default: every enabled one)."
        ),
    ] = None,
    history_days: Annotated[
        int | None,
        typer.Option(
            "--history-days",
            metavar="N",
            min=1,
            max=36500,
            help="Slack: read N days of history (older than [slack] history_days) this time.",
        ),
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """Fetch new and changed conversations from every enabled channel."""
    hero = context_of(ctx)
    if history_days is not None:
        hero.config = with_history_days(hero.config, history_days)
    results = _sync(hero, channels or [], quiet=json_)
    if json_:
        hero.print_json([_result_json(r) for r in results])
    raise typer.Exit(failure_code(results))


def with_history_days(config: Config, days: int) -> Config:
    """The config with ``[slack] history_days`` raised to ``days`` for this run."""
    if config.slack is None:
        raise UsageError("--history-days is for the Slack channel, which is not configured")
    if days <= config.slack.history_days:
        return config
    return replace(config, slack=replace(config.slack, history_days=days))


def failure_code(results: list[SyncResult]) -> ExitCode:
    """OK; the shared code when every failure is of one kind (4 when only credentials
    failed, so a script can tell "log in again" apart); else ERROR."""
    codes = {r.error.exit_code for r in results if r.error is not None}
    if not codes:
        return ExitCode.OK
    return codes.pop() if len(codes) == 1 else ExitCode.ERROR


def run_sync(hero: Context, names: list[str]) -> bool:
    """Sync and report; True when some channel failed."""
    return any(not r.ok for r in _sync(hero, names, quiet=False))


def _sync(hero: Context, names: list[str], *, quiet: bool) -> list[SyncResult]:
    enabled = hero.config.enabled_channels()
    for name in names:
        if name not in hero.factories:
            raise NotFoundError(
                f"unknown channel {name!r}", hint=f"channels: {', '.join(hero.factories)}"
            )
        if name not in enabled:
            raise NotFoundError(
                f"the {name} channel is not configured",
                hint=f"add a [{name}] section to {hero.config_file}",
            )
    wanted = names or enabled
    if not wanted:
        raise NotFoundError(
            "no channel is configured",
            hint=f"add [github], [email] or [slack] to {hero.config_file}",
        )
    progress = sync_progress(hero.err)
    lines: dict[str, ChannelProgress] = {}

    def progress_for(name: str) -> ChannelProgress:
        lines[name] = ChannelProgress(progress, name)
        return lines[name]

    with progress:
        results = sync_all(
            hero.store,
            [(name, partial(hero.channel, name)) for name in wanted],
            hero.config.team,
            hero.clock,
            progress_for,
        )
        mirrored = hero.config.mirror_on()
        if mirrored is not None:
            results.append(_mirror(hero, mirrored, progress_for("mirror")))
        for result in results:
            if result.channel in lines:
                lines[result.channel].finish(sync_summary(result))
    if not quiet:
        for result in results:
            # On a terminal the progress lines already say how each channel ended.
            if result.ok and not progress.disable:
                continue
            style = "green" if result.ok else "bold red"
            # soft_wrap: piped or in a log, one channel's outcome stays one line.
            hero.err.print(
                safe(f"{result.channel}: {sync_summary(result)}"), style=style, soft_wrap=True
            )
            if hero.debug and result.error is not None and result.error.__cause__ is not None:
                hero.err.print(safe(debug_traceback(result.error.__cause__)), style="dim")
            if result.error is not None and result.error.hint:
                hero.err.print(safe(f"  hint: {result.error.hint}"), style="yellow", soft_wrap=True)
    return results


def _mirror(hero: Context, settings: MirrorSettings, progress: ChannelProgress) -> SyncResult:
    from herocli.services.mirror import sync_mirror
    from herocli.services.team import TeamDirectory

    return sync_mirror(
        hero.store,
        settings,
        hero.channel,
        TeamDirectory(hero.config.team),
        hero.clock,
        target_minutes=hero.config.hero.response_target_minutes,
        progress=progress,
        me=hero.config.hero.me,
    )


def _result_json(result: SyncResult) -> dict[str, object]:
    extra = {} if result.summary is None else {"summary": result.summary}
    return {
        "channel": result.channel,
        "ok": result.ok,
        "new_items": result.new_items,
        "updated_items": result.updated_items,
        "new_messages": result.new_messages,
        "closed": result.closed,
        "reopened": result.reopened,
        "error": result.error.message if result.error else None,
        **extra,
    }

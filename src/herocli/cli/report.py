"""The week's view: `hero rota`, `hero stats` and `hero handoff`."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from herocli.cli.common import JsonOpt, context_of, in_range, text_arg
from herocli.cli.help import examples
from herocli.context import Context
from herocli.errors import ExitCode, UsageError
from herocli.services import handoff as handoff_service
from herocli.services import rota as rota_service
from herocli.services import stats as stats_service

SinceOpt = Annotated[
    str | None,
    typer.Option("--since", metavar="DATE", help="From this local day (YYYY-MM-DD) until today."),
]
WeekOpt = Annotated[bool, typer.Option("--week", help="The current rota week (the default).")]
LastWeekOpt = Annotated[bool, typer.Option("--last-week", help="The rota week before this one.")]
# Nothing in a queue is older than this; earlier days only overflow date arithmetic.
EARLIEST = date(1970, 1, 1)
# Ten years of turns is more than any rota plans.
MAX_WEEKS = 520
ChannelOpt = Annotated[
    list[str] | None,
    typer.Option("--channel", metavar="NAME", help="Only this channel (repeatable)."),
]


def register(app: typer.Typer) -> None:
    app.command(epilog=examples("hero rota", "hero rota --weeks 8", "hero rota --json"))(rota)
    app.command(
        epilog=examples(
            "hero stats", "hero stats --last-week --channel github", "hero stats --json"
        )
    )(stats)
    app.command(
        epilog=examples(
            "hero handoff --dry-run", "hero handoff --to Ravi", "hero handoff -o week-48.md"
        )
    )(handoff)


def _since(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"--since {value[:40]!r} is not a date like 2026-11-16") from None
    if day < EARLIEST:
        raise UsageError(f"--since {day.isoformat()} is before {EARLIEST.isoformat()}")
    return day


def _window(hero: Context, since: str | None, week: bool, last_week: bool) -> stats_service.Window:
    zone = rota_service.local_zone(hero.config.hero)
    return stats_service.resolve_window(
        hero.config.rota,
        zone,
        hero.clock.now(),
        since=_since(since),
        week=week,
        last_week=last_week,
    )


def rota(
    ctx: typer.Context,
    weeks: Annotated[int, typer.Option("--weeks", metavar="N", help="How many turns ahead.")] = 4,
    json: JsonOpt = False,
) -> None:
    """Who is the hero now, this turn's dates, and the turns ahead."""
    in_range("--weeks", weeks, 1, MAX_WEEKS)
    hero = context_of(ctx)
    zone = rota_service.local_zone(hero.config.hero)
    view = rota_service.view(hero.config.rota, zone, hero.clock.now(), weeks)
    if json:
        hero.print_json(rota_service.view_json(view))
        return
    from herocli.render.stats import rota_view

    hero.out.print(rota_view(view))


def stats(
    ctx: typer.Context,
    since: SinceOpt = None,
    week: WeekOpt = False,
    last_week: LastWeekOpt = False,
    channel: ChannelOpt = None,
    json: JsonOpt = False,
) -> None:
    """Volume per day, first-response and close times, what waits on us, who was roped in."""
    hero = context_of(ctx)
    window = _window(hero, since, week, last_week)
    result = stats_service.compute(
        hero.store,
        window,
        hero.clock.now(),
        team=hero.team,
        target_minutes=hero.config.hero.response_target_minutes,
        channels=tuple(channel or ()),
    )
    if json:
        hero.print_json(stats_service.stats_json(result))
        return
    from herocli.render.stats import stats_view

    if hero.out.is_terminal:
        hero.out.print(stats_view(result))
        return
    # Piped: no box lines, and wide enough that no title or URL is cut at 80 columns.
    from rich.console import Console

    Console(file=hero.out.file, width=400, color_system=None, highlight=False).print(
        stats_view(result, boxed=False)
    )


def handoff(
    ctx: typer.Context,
    to: Annotated[
        str | None,
        typer.Option(
            "--to", metavar="MEMBER", help="Hand over to this member (default: the rota's next)."
        ),
    ] = None,
    since: SinceOpt = None,
    week: WeekOpt = False,
    last_week: LastWeekOpt = False,
    channel: ChannelOpt = None,
    output: Annotated[
        # A string, not a Path: typer stats a Path while parsing, and a NUL in it
        # would raise there, before the check below can say what is wrong.
        str | None,
        typer.Option("--output", "-o", metavar="FILE", help="Also write the Markdown report here."),
    ] = None,
    post: Annotated[
        str | None,
        typer.Option(
            "--post",
            metavar="TARGET",
            help="Post the report: slack:#channel or github:owner/repo#N.",
        ),
    ] = None,
    reassign_upstream: Annotated[
        bool,
        typer.Option("--reassign-upstream", help="Also reassign at the source (GitHub assignees)."),
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would be written, posted and changed.")
    ] = False,
    json: JsonOpt = False,
) -> None:
    """The week-end report; carried-over items go to the next hero."""
    from herocli.channels.base import Markup
    from herocli.render import markdown

    hero = context_of(ctx)
    to = text_arg("--to", to)
    output_path = Path(text_arg("--output", output) or "") if output is not None else None
    target = (
        handoff_service.parse_post_target(text_arg("--post", post) or "", hero.channel)
        if post
        else None
    )
    window = _window(hero, since, week, last_week)
    report = handoff_service.build_report(
        hero.store,
        hero.config,
        hero.team,
        window,
        hero.clock.now(),
        to=to,
        channels=tuple(channel or ()),
    )
    plan = handoff_service.plan(
        report,
        reassign_upstream=reassign_upstream,
        output=output_path,
        file_text=markdown.render(report, Markup.GITHUB) if output_path else None,
        post=target,
        parts=tuple(markdown.parts(report, target.format)) if target else (),
    )
    outcome = None
    if not dry_run:
        outcome = handoff_service.carry_out(hero.store, hero.actor, hero.team, plan)
    if json:
        data = {
            "report": handoff_service.report_json(report),
            "plan": handoff_service.plan_json(plan),
            "dry_run": dry_run,
        }
        if outcome is not None:
            data["errors"] = [e.message for e in outcome.errors]
        hero.print_json(data)
    else:
        from herocli.render.stats import handoff_view, outcome_view, plan_view

        hero.out.print(handoff_view(report))
        if dry_run:
            _show_text(hero, plan)
        hero.err.print(plan_view(plan, dry_run=dry_run))
        if outcome is not None:
            hero.err.print(outcome_view(outcome))
    if outcome is not None and outcome.errors:
        raise typer.Exit(ExitCode.ERROR)


def _show_text(hero: Context, plan: handoff_service.HandoffPlan) -> None:
    """With --dry-run, the exact text that would be posted or written."""
    from rich.rule import Rule

    from herocli.render.text import safe

    for n, part in enumerate(plan.parts, 1):
        hero.out.print(Rule(safe(f"part {n}/{len(plan.parts)} for {plan.post}")))
        hero.out.print(safe(part))
    if plan.output is not None and plan.file_text is not None and not plan.parts:
        hero.out.print(Rule(safe(str(plan.output))))
        hero.out.print(safe(plan.file_text))

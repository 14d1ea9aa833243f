"""`hero config`: write a starter file, check one, show where it is."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from herocli.cli.ask import ask as ask_line
from herocli.cli.common import context_of
from herocli.cli.help import HeroTyper, examples
from herocli.config import load_config, parse_config
from herocli.errors import UsageError
from herocli.render.text import safe
from herocli.services.starter import StarterAnswers, starter_document

config_app = HeroTyper(
    help="Write, check and locate the config file.",
    no_args_is_help=True,
    epilog=examples("hero config init", "hero config check", "hero config example"),
)

DomainOpt = Annotated[
    list[str] | None, typer.Option(metavar="DOMAIN", help="A team email domain (repeatable).")
]
RepoOpt = Annotated[
    list[str] | None, typer.Option(metavar="OWNER/NAME", help="A repository to watch (repeatable).")
]
ChannelsOpt = Annotated[
    list[str] | None, typer.Option(metavar="#NAME", help="A Slack channel to watch (repeatable).")
]


def register(app: typer.Typer) -> None:
    app.add_typer(config_app, name="config")


@config_app.command(epilog=examples("hero config path", "hero --config ./team.toml config path"))
def path(ctx: typer.Context) -> None:
    """Print the config file in use and the queue database."""
    hero = context_of(ctx)
    hero.out.print(safe(f"config: {hero.config_file}"))
    if hero.config_file.exists():
        hero.out.print(safe(f"queue:  {hero.queue_path}"))


@config_app.command(epilog=examples("hero config example", "hero config example > config.toml"))
def example(ctx: typer.Context) -> None:
    """Print an example config that documents every key (to start from, or to read)."""
    from importlib.resources import files

    hero = context_of(ctx)
    hero.out.file.write(files("herocli").joinpath("config.example.toml").read_text("utf-8"))


@config_app.command(epilog=examples("hero config check", "hero --config ./team.toml config check"))
def check(ctx: typer.Context) -> None:
    """Validate the config file, listing every problem with file, key and line."""
    hero = context_of(ctx)
    config = load_config(hero.config_file)  # ConfigError lists every problem and exits 3
    hero.out.print(safe(f"{hero.config_file}: ok"), style="green")
    channels = config.enabled_channels()
    hero.out.print(
        f"channels: {', '.join(channels) or 'none enabled'}; team: {len(config.team.members)} members"
    )
    for name, settings in (("github", config.github), ("slack", config.slack)):
        if (
            settings is not None
            and settings.enabled
            and not any(hero.env.get(v) for v in settings.token_env)
        ):
            hero.err.print(
                f"warning: {name} token not set (${' or $'.join(settings.token_env)})",
                style="yellow",
            )
    if config.email is not None and config.email.enabled:
        variable = config.email.oauth2_token_env or config.email.password_env
        if not hero.env.get(variable):
            hero.err.print(f"warning: email password not set (${variable})", style="yellow")


@config_app.command(
    epilog=examples(
        "hero config init",
        "hero config init --no-input --me Hana --github-login hana --repo acme/widget",
        "hero --config ./team.toml config init --imap-host imap.acme.dev",
    )
)
def init(
    ctx: typer.Context,
    me: Annotated[str, typer.Option(metavar="NAME", help="Your name, as the team knows you.")] = "",
    github_login: Annotated[str, typer.Option(metavar="LOGIN", help="Your GitHub login.")] = "",
    email: Annotated[str, typer.Option(metavar="ADDRESS", help="Your email address.")] = "",
    slack_id: Annotated[str, typer.Option(metavar="ID", help="Your Slack user id (U…).")] = "",
    timezone: Annotated[
        str, typer.Option(metavar="ZONE", help="Your time zone, e.g. Europe/Berlin.")
    ] = "",
    team_domain: DomainOpt = None,
    repo: RepoOpt = None,
    imap_host: Annotated[
        str, typer.Option(metavar="HOST", help="IMAP server of the support mailbox.")
    ] = "",
    smtp_host: Annotated[str, typer.Option(metavar="HOST", help="SMTP server for replies.")] = "",
    email_username: Annotated[str, typer.Option(metavar="LOGIN", help="Mailbox login.")] = "",
    from_address: Annotated[
        str, typer.Option(metavar="ADDRESS", help="Address replies come from.")
    ] = "",
    slack_channel: ChannelsOpt = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
    no_input: Annotated[
        bool, typer.Option("--no-input", help="Ask nothing; use the flags only.")
    ] = False,
) -> None:
    """Write a starter config (asks for what the flags do not give, on a terminal)."""
    hero = context_of(ctx)
    target: Path = hero.config_file
    if target.exists() and not force:
        raise UsageError(
            f"{target} exists",
            hint="pass --force to overwrite it, or write another: hero --config PATH config init",
        )
    a = StarterAnswers(
        me=me,
        github_login=github_login,
        email=email,
        slack_id=slack_id,
        timezone=timezone,
        team_domains=list(team_domain or []),
        repos=list(repo or []),
        imap_host=imap_host,
        smtp_host=smtp_host,
        email_username=email_username,
        from_address=from_address,
        slack_channels=list(slack_channel or []),
    )
    if not no_input and sys.stdin.isatty():
        _ask(hero.err, a)
    import tomli_w

    text = tomli_w.dumps(starter_document(a))
    parse_config(text, str(target))  # never write a file that check would reject
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    hero.err.print(safe(f"wrote {target}"), style="green")
    hero.err.print("next: set the tokens (`hero config example` shows every key), then `hero sync`")


def _ask(err: Console, a: StarterAnswers) -> None:
    def ask(question: str, current: str) -> str:
        return ask_line(err, question, current) or ""

    def ask_list(question: str, current: list[str]) -> list[str]:
        answer = ask(question + " (comma-separated, blank for none)", ", ".join(current))
        return [part.strip() for part in answer.split(",") if part.strip()]

    a.me = a.me or ask("Your name", "")
    a.github_login = a.github_login or ask("Your GitHub login", "")
    a.email = a.email or ask("Your email address", "")
    a.slack_id = a.slack_id or ask("Your Slack user id", "")
    a.timezone = a.timezone or ask("Your time zone (e.g. Europe/Berlin)", "")
    a.team_domains = a.team_domains or ask_list("Team email domains", [])
    a.repos = a.repos or ask_list("GitHub repositories to watch (owner/name)", [])
    a.imap_host = a.imap_host or ask("IMAP host of the support mailbox", "")
    if a.imap_host:
        a.email_username = a.email_username or ask("Mailbox login", "")
        a.smtp_host = a.smtp_host or a.imap_host  # most mailboxes send where they receive
        a.from_address = a.from_address or ask("Replies come from", a.email_username)
    a.slack_channels = a.slack_channels or ask_list("Slack channels (#name or id)", [])

"""Find, read and validate the config file into frozen records.

The GitHub, Slack and mirror sections are read in modules of their own
(``config_github``, ``config_slack``, ``config_mirror``); this one finds the
file and reads the rest.

Discovery: ``--config PATH``, else ``$HERO_CONFIG``, else
``$XDG_CONFIG_HOME/hero/config.toml`` (``~/.config/hero/config.toml``).
Every problem in the file is reported at once, with file, key and line.
Secrets are never in the file: only the names of the variables that hold them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from herocli.config_reader import (
    CONNECT_TIMEOUT,
    MINUTES_A_YEAR,
    READ_TIMEOUT,
    KeyLines,
    Problems,
    Section,
    read_timeouts,
)
from herocli.config_toml import toml_data
from herocli.errors import ConfigError, ConfigProblem
from herocli.models import TeamMember
from herocli.records import field, record, replace

if TYPE_CHECKING:
    from herocli.config_github import GithubSettings
    from herocli.config_mirror import MirrorSettings
    from herocli.config_slack import SlackSettings

SECURITY = ("ssl", "starttls", "none")


@record
class HeroSettings:
    me: str | None = None  # the team member running this copy of hero
    timezone: str | None = None  # IANA name; None means the system's
    response_target_minutes: int = 60
    keyring: bool = False  # also look secrets up in the OS keyring


@record
class TeamSettings:
    members: tuple[TeamMember, ...] = ()
    email_domains: tuple[str, ...] = ()

    def member(self, name: str) -> TeamMember | None:
        wanted = name.casefold()
        for m in self.members:
            if m.name.casefold() == wanted or (m.github or "").casefold() == wanted:
                return m
        return None


@record
class EmailSettings:
    enabled: bool = True
    imap_host: str = ""
    imap_port: int = 993
    imap_security: str = "ssl"
    username: str = ""
    password_env: str = "HERO_EMAIL_PASSWORD"
    oauth2_token_env: str | None = None
    folders: tuple[str, ...] = ("INBOX",)
    sent_folder: str = "auto"  # auto | none | a folder name
    smtp_host: str = ""
    smtp_port: int = 465
    smtp_security: str = "ssl"
    smtp_username: str | None = None  # None: same as username
    smtp_password_env: str | None = None  # None: same as password_env
    from_address: str = ""
    quote_original: bool = True
    close_action: str = "none"  # none | flag | move
    close_folder: str | None = None
    allow_insecure: bool = False  # required for security = "none"
    connect_timeout: float = CONNECT_TIMEOUT
    read_timeout: float = READ_TIMEOUT


@record
class RotaSwap:
    day: date
    hero: str


@record
class RotaSettings:
    heroes: tuple[str, ...] = ()
    start: date | None = None
    length_days: int = 7
    swaps: tuple[RotaSwap, ...] = ()


@record
class TuiSettings:
    sync_minutes: float = 5.0  # `hero tui` syncs in the background this often; 0: never


@record
class Config:
    path: Path | None = None
    hero: HeroSettings = field(default_factory=HeroSettings)
    team: TeamSettings = field(default_factory=TeamSettings)
    github: GithubSettings | None = None
    email: EmailSettings | None = None
    slack: SlackSettings | None = None
    rota: RotaSettings = field(default_factory=RotaSettings)
    data_dir: Path | None = None  # [store] data_dir; None: HERO_DATA_DIR or XDG
    tui: TuiSettings = field(default_factory=TuiSettings)
    mirror: MirrorSettings | None = None  # [mirror]: items mirrored to a team Slack channel

    def mirror_on(self) -> MirrorSettings | None:
        """The mirror's settings when it is configured and enabled (and Slack with it)."""
        if self.mirror is None or not self.mirror.enabled or self.slack is None:
            return None
        return self.mirror if self.slack.enabled else None

    def enabled_channels(self) -> list[str]:
        return [
            name
            for name, settings in (
                ("github", self.github),
                ("email", self.email),
                ("slack", self.slack),
            )
            if settings is not None and settings.enabled
        ]


def _home(env: Mapping[str, str]) -> Path:
    return Path(env["HOME"]) if env.get("HOME") else Path.home()


def xdg_config_home(env: Mapping[str, str] = os.environ) -> Path:
    return Path(env.get("XDG_CONFIG_HOME") or _home(env) / ".config")


def xdg_data_home(env: Mapping[str, str] = os.environ) -> Path:
    return Path(env.get("XDG_DATA_HOME") or _home(env) / ".local" / "share")


def xdg_cache_home(env: Mapping[str, str] = os.environ) -> Path:
    return Path(env.get("XDG_CACHE_HOME") or _home(env) / ".cache")


def toml_cache_path(env: Mapping[str, str] = os.environ) -> Path | None:
    """Where the config's parsed TOML is kept between runs (see ``config_toml``);
    ``None`` with no home directory to keep it in (the config is then parsed each run)."""
    try:
        return xdg_cache_home(env) / "hero" / "config-toml.marshal"
    except RuntimeError:  # Path.home(): no $HOME and no home in the user database
        return None


def default_config_path(env: Mapping[str, str] = os.environ) -> Path:
    return xdg_config_home(env) / "hero" / "config.toml"


def find_config(explicit: Path | None, env: Mapping[str, str] = os.environ) -> Path:
    """The config file to use: --config, else $HERO_CONFIG, else the XDG config dir."""
    if explicit is not None:
        return explicit
    if env.get("HERO_CONFIG"):
        return Path(env["HERO_CONFIG"])
    return default_config_path(env)


def data_dir(config: Config, env: Mapping[str, str] = os.environ) -> Path:
    """Where the queue database lives: $HERO_DATA_DIR, [store] data_dir, or XDG data home."""
    if env.get("HERO_DATA_DIR"):
        return Path(env["HERO_DATA_DIR"])
    if config.data_dir is not None:
        return config.data_dir
    return xdg_data_home(env) / "hero"


def load_config(path: Path, *, required: bool = True, cache: Path | None = None) -> Config:
    """Read and validate ``path``; raise ``ConfigError`` listing every problem.

    With ``cache`` (``toml_cache_path``), an unchanged file's TOML is not parsed again.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        if not required:
            return Config(path=None)
        raise ConfigError(
            [ConfigProblem(str(path), "", "no config file here")],
            hint="run `hero config init` to write one, or name one: hero --config PATH COMMAND",
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([ConfigProblem(str(path), "", f"cannot read: {exc}")]) from None
    return parse_config(text, str(path), path, cache=cache)


def parse_config(
    text: str, file: str, path: Path | None = None, *, cache: Path | None = None
) -> Config:
    """Validate a config file's ``text``; raise ``ConfigError`` listing every problem by line."""
    if text.startswith("\ufeff"):
        raise ConfigError(
            [
                ConfigProblem(
                    file,
                    "",
                    "a BOM (byte-order mark) at the start of the file; "
                    "save it as UTF-8 without a BOM",
                    1,
                )
            ]
        )
    data = toml_data(text, file, cache)
    problems = Problems(file, KeyLines(text))
    root = Section(data, "", problems)
    config = Config(
        path=path,
        hero=_hero(root.section("hero")),
        team=_team(root.section("team")),
        github=_github(root),
        email=_email(root.section("email")) if root.has("email") else None,
        slack=_slack(root),
        rota=_rota(root.section("rota")),
        data_dir=_store(root.section("store")),
        tui=_tui(root.section("tui")),
    )
    if root.has("mirror"):
        from herocli.config_mirror import read_mirror  # here: few configs have a [mirror]

        slack = config.slack.channels if config.slack else None
        config = replace(config, mirror=read_mirror(root.section("mirror"), slack))
    # Absent channel sections are still known names, so a typo like [githb] gets a suggestion.
    root._read.update(("github", "email", "slack", "mirror"))
    root.check_unknown()
    _cross_check(config, root)
    if problems.items:
        ordered = sorted(problems.items, key=lambda p: (p.line is None, p.line or 0))
        raise ConfigError(ordered, hint="`hero config check` lists every problem")
    return config


# The channel sections are read in modules of their own, loaded only for a config
# that has the section: most have one or two of the three channels.
def _github(root: Section) -> GithubSettings | None:
    if not root.has("github"):
        return None
    from herocli.config_github import read_github

    return read_github(root.section("github"))


def _slack(root: Section) -> SlackSettings | None:
    if not root.has("slack"):
        return None
    from herocli.config_slack import read_slack

    return read_slack(root.section("slack"), mirrored=root.has("mirror"))


def _hero(s: Section) -> HeroSettings:
    out = HeroSettings(
        me=s.string("me", None),
        timezone=s.string("timezone", None),
        response_target_minutes=s.integer("response_target_minutes", 60, 1, MINUTES_A_YEAR),
        keyring=s.boolean("keyring", False),
    )
    if out.timezone:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(out.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            s.problem(
                "timezone", f"unknown time zone {out.timezone!r} (use a name like Europe/Berlin)"
            )
    s.check_unknown()
    return out


def _team(s: Section) -> TeamSettings:
    members = []
    for m in s.sections("members"):
        emails = m.strings("emails", ())
        if m.has("email"):
            emails = (*emails, m.string("email"))
        member = TeamMember(
            name=m.string("name") or "",
            github=m.string("github", None),
            emails=tuple(e.lower() for e in emails),
            slack=m.string("slack", None),
        )
        m.check_unknown()
        members.append(member)
    seen: set[str] = set()
    for index, member in enumerate(members):
        if member.name.casefold() in seen:
            s.problems.add(f"team.members[{index}].name", f"duplicate member {member.name!r}")
        seen.add(member.name.casefold())
    domains = tuple(d.lower().lstrip("@") for d in s.strings("email_domains", ()))
    s.check_unknown()
    return TeamSettings(members=tuple(members), email_domains=domains)


def _email(s: Section) -> EmailSettings:
    d = EmailSettings()
    enabled = s.boolean("enabled", True)
    out = EmailSettings(
        enabled=enabled,
        imap_host=s.string("imap_host") if enabled else s.string("imap_host", ""),
        imap_port=s.integer("imap_port", 993, 1, 65535),
        imap_security=s.choice("imap_security", SECURITY, "ssl"),
        username=s.string("username") if enabled else s.string("username", ""),
        password_env=s.env_name("password_env", d.password_env),
        oauth2_token_env=s.env_name("oauth2_token_env", None),
        folders=s.strings("folders", d.folders),
        sent_folder=s.string("sent_folder", "auto"),
        smtp_host=s.string("smtp_host") if enabled else s.string("smtp_host", ""),
        smtp_port=s.integer("smtp_port", 465, 1, 65535),
        smtp_security=s.choice("smtp_security", SECURITY, "ssl"),
        smtp_username=s.string("smtp_username", None),
        smtp_password_env=s.env_name("smtp_password_env", None),
        from_address=s.string("from_address") if enabled else s.string("from_address", ""),
        quote_original=s.boolean("quote_original", True),
        close_action=s.choice("close_action", ("none", "flag", "move"), "none"),
        close_folder=s.string("close_folder", None),
        allow_insecure=s.boolean("allow_insecure", False),
        **read_timeouts(s),
    )
    for key in ("imap_security", "smtp_security"):
        if getattr(out, key) == "none" and not out.allow_insecure:
            s.problem(
                key, '"none" sends passwords in clear text; set allow_insecure = true to allow it'
            )
    if out.close_action == "move" and not out.close_folder:
        s.problem("close_folder", 'is required when close_action = "move"')
    if out.from_address and "@" not in out.from_address:
        s.problem("from_address", f"{out.from_address!r} is not an email address")
    if not out.folders:
        s.problem("folders", "list at least one folder")
    s.check_unknown()
    return out


def _rota(s: Section) -> RotaSettings:
    swaps = []
    for w in s.sections("swaps"):
        day = w.day("date")
        if day is None and not w.has("date"):
            w.problem("date", "is required")
        hero = w.string("hero")
        w.check_unknown()
        if day is not None and hero:
            swaps.append(RotaSwap(day=day, hero=hero))
    out = RotaSettings(
        heroes=s.strings("heroes", ()),
        start=s.day("start"),
        length_days=s.integer("length_days", 7, 1, 366),
        swaps=tuple(swaps),
    )
    if out.heroes and out.start is None:
        s.problem("start", "is required when heroes are listed (the first hero's first day)")
    s.check_unknown()
    return out


def _store(s: Section) -> Path | None:
    value = s.string("data_dir", None)
    s.check_unknown()
    return Path(value).expanduser() if value else None


def _tui(s: Section) -> TuiSettings:
    # At most a day: a longer wait is a typo, and 0 means "only when asked".
    out = TuiSettings(sync_minutes=s.number("sync_minutes", 5.0, 0, 24 * 60))
    s.check_unknown()
    return out


def _cross_check(config: Config, root: Section) -> None:
    names = {m.name.casefold() for m in config.team.members}
    problems = root.problems
    if config.hero.me and config.hero.me.casefold() not in names:
        problems.add("hero.me", f"{config.hero.me!r} is not a member of [team]")
    for index, hero in enumerate(config.rota.heroes):
        if hero.casefold() not in names:
            problems.add("rota.heroes", f"{hero!r} (entry {index + 1}) is not a member of [team]")
    for index, swap in enumerate(config.rota.swaps):
        if swap.hero.casefold() not in names:
            problems.add(f"rota.swaps[{index}].hero", f"{swap.hero!r} is not a member of [team]")


def to_toml_data(values: dict[str, Any]) -> dict[str, Any]:
    """Drop empty values so a written starter file holds only what was given."""
    return {k: v for k, v in values.items() if v not in (None, "", [], {})}

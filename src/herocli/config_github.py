"""The ``[github]`` section: which repositories' issues enter the queue, and how they are read."""

from __future__ import annotations

from herocli.config_reader import (
    CONNECT_TIMEOUT,
    HOURS_A_YEAR,
    READ_TIMEOUT,
    SECONDS_A_DAY,
    Section,
    read_timeouts,
)
from herocli.records import record


@record
class GithubSettings:
    enabled: bool = True
    api_url: str = "https://api.github.com"
    token_env: tuple[str, ...] = ("GH_TOKEN", "GITHUB_TOKEN")
    repos: tuple[str, ...] = ()
    orgs: tuple[str, ...] = ()
    labels_include: tuple[str, ...] = ()
    labels_exclude: tuple[str, ...] = ()
    include_pull_requests: bool = False
    trust_author_association: bool = False
    strategy: str = "auto"  # auto | rest | graphql (for first and large syncs)
    max_rate_limit_wait: float = 300.0
    reconcile_hours: float = 24.0  # how often to look for issues gone from the open list
    connect_timeout: float = CONNECT_TIMEOUT
    read_timeout: float = READ_TIMEOUT


def read_github(s: Section) -> GithubSettings:
    """Validate ``[github]``: at least one repository or organisation while it is enabled."""
    d = GithubSettings()
    out = GithubSettings(
        enabled=s.boolean("enabled", True),
        api_url=s.url("api_url", d.api_url),
        token_env=s.env_names("token_env", d.token_env),
        repos=s.strings("repos", ()),
        orgs=s.strings("orgs", ()),
        labels_include=s.strings("labels_include", ()),
        labels_exclude=s.strings("labels_exclude", ()),
        include_pull_requests=s.boolean("include_pull_requests", False),
        trust_author_association=s.boolean("trust_author_association", False),
        strategy=s.choice("strategy", ("auto", "rest", "graphql"), "auto"),
        max_rate_limit_wait=s.number(
            "max_rate_limit_wait", d.max_rate_limit_wait, 0, SECONDS_A_DAY
        ),
        reconcile_hours=s.number("reconcile_hours", d.reconcile_hours, 0, HOURS_A_YEAR),
        **read_timeouts(s),
    )
    for repo in out.repos:
        if repo.count("/") != 1 or not all(repo.split("/")):
            s.problem("repos", f"{repo!r} is not of the form owner/name")
    if out.enabled and not out.repos and not out.orgs:
        s.problem("repos", "list at least one repository (or set orgs, or enabled = false)")
    s.check_unknown()
    return out

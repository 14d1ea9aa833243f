"""The ``[slack]`` section: the support channels read, how a thread enters and leaves the queue."""

from __future__ import annotations

from herocli.config_reader import (
    CONNECT_TIMEOUT,
    READ_TIMEOUT,
    SECONDS_A_DAY,
    Section,
    read_timeouts,
)
from herocli.records import record


@record
class SlackSettings:
    enabled: bool = True
    api_url: str = "https://slack.com/api"
    token_env: tuple[str, ...] = ("SLACK_TOKEN",)
    channels: tuple[str, ...] = ()
    intake: str = "all"  # all | reaction
    intake_reaction: str = "ticket"
    close_reaction: str = "white_check_mark"
    max_rate_limit_wait: float = 300.0
    # Closed threads stay watched this long, so a customer's reply reopens the item.
    reopen_window_days: int = 7
    connect_timeout: float = CONNECT_TIMEOUT
    read_timeout: float = READ_TIMEOUT
    # A first sync reads this many days of history; raising it later reads the older days.
    history_days: int = 30


def read_slack(s: Section, *, mirrored: bool = False) -> SlackSettings:
    """Validate ``[slack]``; ``mirrored``: a ``[mirror]`` exists, so no support channel is needed."""
    d = SlackSettings()
    out = SlackSettings(
        enabled=s.boolean("enabled", True),
        api_url=s.url("api_url", d.api_url),
        token_env=s.env_names("token_env", d.token_env),
        channels=s.strings("channels", ()),
        intake=s.choice("intake", ("all", "reaction"), "all"),
        intake_reaction=s.string("intake_reaction", d.intake_reaction).strip(":"),
        close_reaction=s.string("close_reaction", d.close_reaction).strip(":"),
        max_rate_limit_wait=s.number(
            "max_rate_limit_wait", d.max_rate_limit_wait, 0, SECONDS_A_DAY
        ),
        reopen_window_days=s.integer("reopen_window_days", d.reopen_window_days, 0, 3660),
        history_days=s.integer("history_days", d.history_days, 1, 36500),
        **read_timeouts(s),
    )
    # With [mirror], Slack may serve only as the team's channel, with no support channel.
    if out.enabled and not out.channels and not mirrored:
        s.problem("channels", "list at least one channel (#name or id), or set enabled = false")
    s.check_unknown()
    return out

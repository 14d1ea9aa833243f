"""The ``[mirror]`` section: every item mirrored to a team Slack channel, answers relayed back.

Read after ``[slack]`` (``config_slack``), whose app token and API it uses, and checked
against it.
"""

from __future__ import annotations

from herocli.config_reader import Section
from herocli.records import record

RELAY_MODES = ("prefix", "all")


@record
class MirrorSettings:
    """Where the mirror posts and which teammate messages in its threads reach the customer."""

    enabled: bool = True
    slack_channel: str = ""  # "#name" or a channel id; the app must be in it
    relay: str = "prefix"  # prefix: only messages starting with relay_prefix; all: every one
    relay_prefix: str = "!reply "
    # The reaction hero adds to a teammate's message once it reached the customer.
    confirm_reaction: str = "incoming_envelope"
    # Post a relayed answer on Slack under the teammate's name (needs chat:write.customize).
    relay_names: bool = False


def read_mirror(s: Section, slack_channels: tuple[str, ...] | None) -> MirrorSettings:
    """Validate ``[mirror]``; ``slack_channels`` are ``[slack] channels`` (None: no [slack])."""
    d = MirrorSettings()
    out = MirrorSettings(
        enabled=s.boolean("enabled", True),
        slack_channel=str(s.string("slack_channel")).strip(),
        relay=s.choice("relay", RELAY_MODES, d.relay),
        relay_prefix=str(s.string("relay_prefix", d.relay_prefix)),
        confirm_reaction=str(s.string("confirm_reaction", d.confirm_reaction)).strip(":"),
        relay_names=s.boolean("relay_names", d.relay_names),
    )
    if out.relay == "prefix" and not out.relay_prefix.strip():
        s.problem("relay_prefix", 'must not be blank with relay = "prefix"')
    if (
        out.slack_channel
        and not out.slack_channel.startswith("#")
        and not _is_id(out.slack_channel)
    ):
        s.problem("slack_channel", f"{out.slack_channel[:40]!r} is neither #name nor a channel id")
    if out.enabled and slack_channels is None:
        s.problem("enabled", "the mirror posts with the Slack app: add a [slack] section")
    if out.slack_channel and slack_channels and out.slack_channel in slack_channels:
        s.problem("slack_channel", "is also in [slack] channels; the mirror needs its own channel")
    if not out.confirm_reaction:
        s.problem("confirm_reaction", "must name an emoji")
    s.check_unknown()
    return out


def _is_id(value: str) -> bool:
    return value[:1] in ("C", "G") and value.isalnum() and value.isupper() and len(value) >= 7

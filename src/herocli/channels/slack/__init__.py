"""Slack: support threads from the configured channels, answered in the thread.

Uses the Slack Web API directly over httpx (imported only when a call is made).
"""

from herocli.channels.slack.channel import SlackChannel

__all__ = ["SlackChannel"]

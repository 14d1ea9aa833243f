"""The GitHub channel (issues and comments) on PyGithub."""

from herocli.channels.github.channel import GithubChannel

__all__ = ["GithubChannel"]

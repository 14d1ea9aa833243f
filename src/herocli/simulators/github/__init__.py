"""A local GitHub API server, built from the public REST and GraphQL docs.

It serves what the GitHub channel uses: repositories and org listings, issues
and issue comments (lists with ``state``/``since``/``sort``/``direction``/
``per_page``/``page`` and ``Link`` headers), writes (comments, issue edits,
labels, assignees), ``/rate_limit``, ``/user`` and the two GraphQL queries the
channel sends. Lists carry an ``ETag``; a matching ``If-None-Match`` answers
``304`` without spending rate limit, as GitHub does. Faults (rate limits, bad
credentials, 404, 5xx) can be queued with :meth:`GithubSimulator.inject`, and
every request lands in :attr:`GithubSimulator.requests`.

Only the standard library is used, so ``hero demo`` and the tests need nothing
else.
"""

from herocli.simulators.github.limits import Fault, Request
from herocli.simulators.github.simulator import DEMO_SEED, GithubSimulator, main
from herocli.simulators.github.wire import HttpFailure, iso, parse_iso

__all__ = [
    "DEMO_SEED",
    "Fault",
    "GithubSimulator",
    "HttpFailure",
    "Request",
    "iso",
    "main",
    "parse_iso",
]

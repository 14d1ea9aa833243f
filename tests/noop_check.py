"""Prove the contract can fail: make one channel write a no-op and run that channel's contract.

    python -m tests.noop_check                    # every channel x every write, a table
    python -m tests.noop_check github close       # one pair; prints the failing tests

Each pair runs in its own process, with the channel class's method replaced by
one that does nothing (``send_reply`` and ``post`` return a made-up ``Sent``, as a
channel that dropped the message would). A write is *caught* when at least one contract
test fails. A write the channel has no capability for is already a no-op by
design; its "stays local" contract test runs instead, and the pair is "n/a".
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from typing import Any

import pytest

from herocli.channels.base import Capabilities, Channel
from herocli.exchange import Sent

WRITES = {  # the write, and the capability that says it reaches the source
    "send_reply": None,
    "close": "remote_close",
    "set_labels": "labels",
    "assign": "assignees",
    "post": "post",
}
CHANNELS = {  # contract test class, and how to get the channel class
    "memory": "tests/test_memory_channel.py::TestMemoryChannel",
    "github": "tests/test_github_channel.py::TestGithubContract",
    "slack": "tests/test_slack_channel.py::TestSlackContract",
    "email": "tests/test_mail_channel.py::TestEmailContract",
}


def channel_class(name: str) -> type[Channel]:
    if name == "memory":
        from herocli.channels.memory import MemoryChannel

        return MemoryChannel
    if name == "github":
        from herocli.channels.github import GithubChannel

        return GithubChannel
    if name == "slack":
        from herocli.channels.slack import SlackChannel

        return SlackChannel
    from herocli.channels.mail.channel import EmailChannel

    return EmailChannel


def capabilities_of(name: str) -> Capabilities:
    """What the contract's channel claims (email's close depends on the backend's settings)."""
    if name == "email":
        return Capabilities(remote_close=True)  # the contract mailbox closes with "flag"
    if name == "memory":
        from herocli.channels.memory import EVERYTHING

        return EVERYTHING
    return channel_class(name).capabilities


def _noop_reply(self: Channel, thread: Any, reply: Any) -> Sent:
    del self, thread
    return Sent(external_id=f"noop-{reply.key}", sent_at=datetime.now(UTC))


def _noop_post(self: Channel, target: str, body: str, key: str) -> Sent:
    del self, target, body
    return Sent(external_id=f"noop-{key}", sent_at=datetime.now(UTC))


def _noop(self: Channel, *args: Any, **kwargs: Any) -> None:
    del self, args, kwargs


class _Failures:
    def __init__(self) -> None:
        self.failed: list[str] = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.failed:
            self.failed.append(report.nodeid.split("::")[-1])


def run_one(channel: str, write: str) -> list[str]:
    """In this process: break ``write`` on ``channel``, run its contract, return what failed."""
    noop = {"send_reply": _noop_reply, "post": _noop_post}.get(write, _noop)
    setattr(channel_class(channel), write, noop)
    failures = _Failures()
    pytest.main(
        [CHANNELS[channel], "-q", "--no-cov", "-p", "no:cacheprovider", "--tb=no"],
        plugins=[failures],
    )
    return failures.failed


def run_isolated(channel: str, write: str) -> list[str]:
    """``run_one`` in a fresh process, so one broken method never leaks into the next run."""
    done = subprocess.run(
        [sys.executable, "-m", "tests.noop_check", channel, write, "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    return list(json.loads(done.stdout.strip().splitlines()[-1]))


def main(argv: list[str]) -> int:
    if len(argv) >= 2:
        failed = run_one(argv[0], argv[1])
        print(json.dumps(failed) if "--json" in argv else "\n".join(failed or ["NOT CAUGHT"]))
        return 0 if failed else 1
    missed = 0
    for channel in CHANNELS:
        claims = capabilities_of(channel)
        for write, capability in WRITES.items():
            if capability is not None and not getattr(claims, capability):
                print(f"{channel:7} {write:11} n/a (no {capability}: the local-only test runs)")
                continue
            failed = run_isolated(channel, write)
            missed += not failed
            shown = ", ".join(sorted(set(f.split("[")[0] for f in failed))) or "NOT CAUGHT"
            print(f"{channel:7} {write:11} {shown}", flush=True)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

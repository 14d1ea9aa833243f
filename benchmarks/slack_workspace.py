"""The workspace both Slack benchmarks sync: three channels of customer questions, a quarter
of them threads (a teammate asks for logs, the customer sends them), on the local simulator."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from herocli.channels.slack import SlackChannel
from herocli.config import TeamSettings
from herocli.config_slack import SlackSettings
from herocli.models import Clock, TeamMember
from herocli.secrets import EnvSecrets
from herocli.simulators.slack import SlackSimulator, format_ts

CHANNELS = ("C0BENCH1", "C0BENCH2", "C0BENCH3")
TOP_LEVEL = 20_000
THREADS = 5_000
CUSTOMERS = 300
TEAM_IDS = ("U0HANA", "U0RAVI")
TEAM = TeamSettings(
    members=(TeamMember("Hana", slack="U0HANA"), TeamMember("Ravi", slack="U0RAVI"))
)
TOKEN = "xoxb-bench"


@dataclass(frozen=True)
class Question:
    """One top-level message as posted; ``helper`` is the teammate who answered in its thread."""

    channel: str
    ts: str
    at: float
    author: str
    helper: str | None

    @property
    def key(self) -> str:
        return f"{self.channel}:{self.ts}"


def simulator(clock: Callable[[], float] | None = None) -> SlackSimulator:
    """The workspace with its people and channels, and no messages yet."""
    seed = {
        "bot": {"user_id": "U0HEROBOT"},
        "tokens": {TOKEN: "U0HEROBOT"},
        "users": [
            {"id": uid, "name": uid.lower(), "real_name": uid, "profile": {"display_name": uid}}
            for uid in [*TEAM_IDS, *(f"U0C{n:04d}" for n in range(CUSTOMERS))]
        ],
        "channels": [{"id": c, "name": c.lower(), "is_member": True} for c in CHANNELS],
    }
    return SlackSimulator(seed, clock=clock)


def post_questions(sim: SlackSimulator, rng_seed: int, start: float, step: float) -> list[Question]:
    """Post the ``TOP_LEVEL`` questions ``step`` seconds apart from ``start``, round the channels."""
    rng = random.Random(rng_seed)
    thread_slots = set(rng.sample(range(TOP_LEVEL), THREADS))
    questions = []
    for n in range(TOP_LEVEL):
        channel = CHANNELS[n % len(CHANNELS)]
        at = start + n * step
        ts = format_ts(at)
        author = f"U0C{rng.randrange(CUSTOMERS):04d}"
        sim.post(channel, author, f"Question {n}: something &lt;odd&gt; happened", ts=ts)
        helper = None
        if n in thread_slots:
            helper = TEAM_IDS[n % 2]
            sim.post(
                channel, helper, "Could you share the logs?", thread_ts=ts, ts=format_ts(at + 60)
            )
            sim.post(channel, author, "Here they are.", thread_ts=ts, ts=format_ts(at + 120))
        questions.append(Question(channel, ts, at, author, helper))
    return questions


def slack_channel(sim: SlackSimulator, clock: Clock, history_days: int) -> SlackChannel:
    """hero's Slack channel on the benchmark workspace, reading ``history_days`` of history."""
    settings = SlackSettings(
        api_url=sim.url, channels=CHANNELS, max_rate_limit_wait=3600, history_days=history_days
    )
    return SlackChannel(settings, EnvSecrets({"SLACK_TOKEN": TOKEN}), clock, frozenset(TEAM_IDS))

"""The world `hero demo` runs in: local GitHub, Slack and mail servers and a config pointing at them.

The bundled seeds are recorded conversations; their times are moved so the
newest message is a few minutes old, so the demo's "waiting for" column looks
like a real morning rather than a date in the past.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from herocli.simulators.github import DEMO_SEED as GITHUB_SEED
from herocli.simulators.github import GithubSimulator

if TYPE_CHECKING:
    from herocli.simulators.slack import SlackSimulator

GITHUB_TOKEN = "ghp_demo_token"
#: The team's own Slack channel, where ``[mirror]`` posts one message per item.
TEAM_CHANNEL = ("C0TEAM01", "support-team")
#: The teammate who answers from Slack in the demo (a member in the demo config).
TEAMMATE = ("Ravi", "U0RAVI")
SLACK_TOKEN = "xoxb-hero-demo"
TOKEN_VARIABLES = {
    "github": "HERO_DEMO_GITHUB_TOKEN",
    "slack": "HERO_DEMO_SLACK_TOKEN",
    "email": "HERO_DEMO_EMAIL_PASSWORD",
}

_ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
_SLACK_TS = re.compile(r"^\d{9,10}\.\d{6}$")


def _times(data: Any) -> list[datetime]:
    found: list[datetime] = []
    if isinstance(data, dict):
        for value in data.values():
            found.extend(_times(value))
    elif isinstance(data, list):
        for value in data:
            found.extend(_times(value))
    elif isinstance(data, str):
        if _ISO.match(data):
            found.append(datetime.fromisoformat(data.replace("Z", "+00:00")))
        elif _SLACK_TS.match(data):
            found.append(datetime.fromtimestamp(float(data), UTC))
    return found


def _shift(data: Any, delta: timedelta) -> Any:
    if isinstance(data, dict):
        return {key: _shift(value, delta) for key, value in data.items()}
    if isinstance(data, list):
        return [_shift(value, delta) for value in data]
    if isinstance(data, str):
        if _ISO.match(data):
            moment = datetime.fromisoformat(data.replace("Z", "+00:00")) + delta
            return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
        if _SLACK_TS.match(data):
            seconds, _, micro = data.partition(".")
            return f"{int(seconds) + int(delta.total_seconds())}.{micro}"
    return data


def recent(seed: dict[str, Any], now: datetime, newest_age: timedelta) -> dict[str, Any]:
    """The seed with every timestamp moved so its newest is ``newest_age`` before ``now``."""
    times = _times(seed)
    if not times:
        return seed
    delta = (now - newest_age) - max(times)
    return dict(_shift(seed, timedelta(seconds=round(delta.total_seconds()))))


@dataclass
class DemoWorld:
    """Running simulators, the config that points at them, and the environment to use it."""

    root: Path
    config_path: Path
    data_dir: Path
    env: dict[str, str]
    channels: list[str]
    missing: list[str] = field(default_factory=list)  # channels left out, with why
    slack: SlackSimulator | None = None  # whose team channel the demo shows
    _stops: list[Callable[[], None]] = field(default_factory=list)

    def stop(self) -> None:
        while self._stops:
            self._stops.pop()()

    def team_parents(self) -> list[tuple[str, str]]:
        """The mirror's parent messages in the team channel, oldest first: (ts, text)."""
        if self.slack is None:
            return []
        messages = self.slack.messages(TEAM_CHANNEL[0])
        return [(m["ts"], m["text"]) for m in messages if m.get("thread_ts", m["ts"]) == m["ts"]]

    def team_thread(self, ts: str) -> list[dict[str, Any]]:
        """The replies under a parent in the team channel, oldest first."""
        return [] if self.slack is None else self.slack.thread(TEAM_CHANNEL[0], ts)[1:]

    def teammate_says(self, ts: str, text: str) -> str:
        """The demo's teammate writes in a parent's thread, as in Slack; the message's ts."""
        assert self.slack is not None
        return str(self.slack.reply(TEAM_CHANNEL[0], ts, TEAMMATE[1], text))


#: What a demo leaves in its directory; a directory holding only these is a demo's own.
DEMO_FILES = frozenset({"config.toml", "data", ".hero-demo"})


def reset_demo_dir(root: Path) -> bool:
    """Make ``root`` ready for a new demo: empty it if an earlier demo used it.

    Returns whether something was removed. A directory holding anything a demo
    does not write is left alone: ``ValueError`` names what is in the way.
    """
    if not root.exists():
        return False
    if not root.is_dir():
        raise ValueError(f"{root} is not a directory")
    entries = {entry.name for entry in root.iterdir()}
    foreign = sorted(entries - DEMO_FILES)
    if foreign:
        raise ValueError(f"{root} holds other files ({', '.join(foreign[:3])})")
    if entries and ".hero-demo" not in entries and "config.toml" in entries:
        raise ValueError(f"{root} holds a config.toml that is not a demo's")
    for name in entries:
        path = root / name
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()
    return bool(entries)


def start_demo(root: Path, now: datetime | None = None) -> DemoWorld:
    """Start every simulator that can run here and write a config for them under ``root``."""
    now = now or datetime.now(UTC)
    root.mkdir(parents=True, exist_ok=True)
    (root / ".hero-demo").write_text("a hero demo directory; hero demo --dir resets it\n", "utf-8")
    world = DemoWorld(
        root=root,
        config_path=root / "config.toml",
        data_dir=root / "data",
        env={},
        channels=[],
    )
    try:
        sections = {
            "github": _start_github(world, now),
            "slack": _start_slack(world, now),
        }
        mail = _start_mail(world, now)
        if mail:
            sections["email"] = mail
        sections["mirror"] = {"slack_channel": f"#{TEAM_CHANNEL[1]}"}
        _write_config(world, sections)
    except BaseException:
        world.stop()
        raise
    return world


def _start_github(world: DemoWorld, now: datetime) -> dict[str, Any]:
    seed = recent(json.loads(GITHUB_SEED.read_text(encoding="utf-8")), now, timedelta(minutes=7))
    sim = GithubSimulator(seed=seed, tokens=(GITHUB_TOKEN,)).start()
    world._stops.append(sim.stop)
    world.env[TOKEN_VARIABLES["github"]] = GITHUB_TOKEN
    world.channels.append("github")
    repos = sorted({r["full_name"] for r in seed.get("repos", [])})
    return {"api_url": sim.url, "repos": repos, "token_env": TOKEN_VARIABLES["github"]}


def _start_slack(world: DemoWorld, now: datetime) -> dict[str, Any]:
    from herocli.simulators.slack import SlackSimulator, demo_seed

    seed = recent(demo_seed(), now, timedelta(minutes=3))
    sim = SlackSimulator(seed=seed, tokens={SLACK_TOKEN: seed["bot"]["user_id"]}).start()
    world._stops.append(sim.stop)
    sim.add_channel(*TEAM_CHANNEL, is_member=True)
    world.slack = sim
    world.env[TOKEN_VARIABLES["slack"]] = SLACK_TOKEN
    world.channels.append("slack")
    channels = [f"#{c['name']}" for c in seed.get("channels", [])]
    return {"api_url": sim.url, "channels": channels, "token_env": TOKEN_VARIABLES["slack"]}


def _start_mail(world: DemoWorld, now: datetime) -> dict[str, Any] | None:
    try:
        from herocli.simulators.mail import MailDemo
    except ImportError as exc:  # pymap and aiosmtpd come with the `demo` extra
        world.missing.append(f"email (needs the demo extra: {exc.name} is not installed)")
        return None
    mail = MailDemo(now=now).start()
    world._stops.append(mail.stop)
    world.env[TOKEN_VARIABLES["email"]] = mail.password
    world.channels.append("email")
    return {
        "imap_host": "127.0.0.1",
        "imap_port": mail.imap_port,
        "imap_security": "none",
        "username": mail.username,
        "password_env": TOKEN_VARIABLES["email"],
        "smtp_host": "127.0.0.1",
        "smtp_port": mail.smtp_port,
        "smtp_security": "none",
        "from_address": mail.address,
        "allow_insecure": True,
    }


def _write_config(world: DemoWorld, sections: dict[str, dict[str, Any]]) -> None:
    import tomli_w

    doc: dict[str, Any] = {
        "hero": {"me": "Hana"},
        "team": {
            "email_domains": ["acme.dev"],
            "members": [
                {"name": "Hana", "github": "hana", "emails": ["hana@acme.dev"], "slack": "U0HANA"},
                {
                    "name": TEAMMATE[0],
                    "github": "ravi",
                    "emails": ["ravi@acme.dev"],
                    "slack": TEAMMATE[1],
                },
            ],
        },
        **sections,
        "rota": {"heroes": ["Hana", "Ravi"], "start": datetime.now(UTC).date()},
        "store": {"data_dir": str(world.data_dir)},
    }
    world.config_path.write_text(tomli_w.dumps(doc), encoding="utf-8")

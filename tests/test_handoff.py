"""The handoff: what it carries over, what it changes, how it renders and posts."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console

from herocli import records
from herocli.channels.base import Markup, PostFormat
from herocli.channels.memory import MemoryBackend, MemoryChannel
from herocli.channels.slack import SlackChannel
from herocli.config import Config, HeroSettings
from herocli.config_slack import SlackSettings
from herocli.errors import ExitCode, NotFoundError, UsageError
from herocli.events import EventKind
from herocli.render import markdown
from herocli.render.stats import handoff_view, stats_view
from herocli.secrets import EnvSecrets
from herocli.services import handoff, stats, triage
from herocli.simulators.slack import SlackSimulator
from herocli.store import log
from herocli.store import outbox as outbox_rows
from tests.cli_harness import Hero, stand_in
from tests.goldens import assert_golden
from tests.slack_fixtures import SUPPORT, workspace_seed
from tests.test_stats import BERLIN, ROTA, TEAM, World, build_week

CONFIG = Config(hero=HeroSettings(me="Hana", timezone="Europe/Berlin"), team=TEAM, rota=ROTA)
NASTY = (
    "Broken | table <!channel> `code` @everyone #12 <b>x</b> [link](javascript:x) *a* &amp;\nnext"
)


@pytest.fixture
def week(tmp_path: Path) -> Iterator[World]:
    world = build_week(tmp_path / "queue.db")
    yield world
    world.store.close()


def report(w: World, **kw: object) -> handoff.HandoffReport:
    window = stats.resolve_window(ROTA, BERLIN, w.clock.now())
    return handoff.build_report(w.store, CONFIG, w.team, window, w.clock.now(), **kw)  # type: ignore[arg-type]


def rich_text(renderable: object) -> str:
    console = Console(file=io.StringIO(), width=100, color_system=None)
    console.print(renderable)
    out = console.file.getvalue()
    assert isinstance(out, str)
    return out


def test_carry_over_groups_and_reassignments(week: World) -> None:
    r = report(week)
    assert (r.from_hero, r.to_hero) == ("Hana", "Ben")
    titles = {g: [h.item.title for h in r.group(g)] for g in handoff.GROUPS}
    assert titles == {
        "waiting_on_us": ["Old bug", "Password reset", "API timeouts", "Fresh question"],
        "waiting_on_them": ["Feature request", "Team announcement"],
        "snoozed": ["Docs question"],
    }
    moves = {h.item.title: h.reassign_to for h in r.items}
    # Items already with Ben stay; the hero's own and unassigned ones go to Ben.
    assert moves == {
        "Old bug": None,
        "Password reset": "Ben",
        "API timeouts": None,
        "Fresh question": "Ben",
        "Feature request": "Ben",
        "Team announcement": "Ben",
        "Docs question": "Ben",
    }
    [reset] = [h for h in r.items if h.item.title == "Password reset"]
    assert [n.body for n in reset.notes] == ["Asked billing | ops <!channel>"]
    assert reset.last is not None
    assert reset.last_author == "eve@customer.org"
    [feature] = [h for h in r.items if h.item.title == "Feature request"]
    assert feature.last_author == "Ben"  # a teammate who is not the hero spoke last
    assert [c.title for c in r.closed] == ["Crash on start", "Invoice wrong"]


def test_to_overrides_the_rota_and_must_be_a_member(week: World) -> None:
    assert report(week, to="hana").to_hero == "Hana"
    with pytest.raises(NotFoundError, match="not a team member"):
        report(week, to="Zed")


def test_golden_markdown_and_rich(week: World) -> None:
    r = report(week)
    assert_golden("handoff.github.md", markdown.render(r, Markup.GITHUB))
    assert_golden("handoff.slack.txt", markdown.render(r, Markup.SLACK))
    assert_golden("handoff.rich.txt", rich_text(handoff_view(r)))
    assert_golden("stats.rich.txt", rich_text(stats_view(r.stats)))


def _cells(row: str) -> list[str]:
    """Split a GFM table row on pipes that are not backslash-escaped."""
    return re.split(r"(?<!\\)\|", row.strip().strip("|"))


def test_untrusted_titles_cannot_break_the_github_table(week: World) -> None:
    week.at("2026-11-22T17:40")
    week.start("github", "BAD", NASTY, "mallory")
    week.sync()
    text = markdown.render(report(week), Markup.GITHUB)
    [row] = [line for line in text.splitlines() if "Broken" in line and line.startswith("|")]
    assert len(_cells(row)) == 7
    assert "<!channel>" not in text
    assert "<b>" not in text
    assert not re.search(r"(?<!\\)`", text)  # every backtick is escaped: no code span
    assert "@everyone" not in text  # a zero-width space sits after the @
    assert "#12" not in text
    assert "\\[link\\](javascript" in row  # brackets escaped: no link
    assert "next" in row  # the newline was folded into the cell


def _hana_answers_fresh_question(w: World, *, unconfirmed: bool) -> None:
    """Hana's reply to E3 as the mailbox holds it: its Sent copy still marked as sending
    (``unconfirmed``: the SMTP send may not have gone out) or not (it went)."""
    thread = w.backends["email"].threads["E3"]
    if thread.messages[-1].author_id != "hana@example.com":
        w.at("2026-11-22T17:50").say("email", "E3", "hana@example.com", "Restart the sync")
    thread.messages[-1] = records.replace(thread.messages[-1], unconfirmed=unconfirmed)
    w.backends["email"].version += 1
    thread.version = w.backends["email"].version
    w.at("2026-11-22T18:00").sync()


def _fresh(r: handoff.HandoffReport) -> handoff.HandoffItem:
    [fresh] = [h for h in r.items if h.item.title == "Fresh question"]
    return fresh


def test_an_uncertain_reply_is_carried_over_as_waiting_on_us(week: World) -> None:
    _hana_answers_fresh_question(week, unconfirmed=True)
    r = report(week)
    fresh = _fresh(r)
    assert fresh.group == "waiting_on_us"
    assert fresh.item.reply_uncertain
    assert fresh.age_seconds == 30 * 60  # since the customer wrote, not since the reply
    assert fresh.last is not None
    assert (fresh.last_author, fresh.last.from_team) == ("fay@customer.org", False)
    assert fresh.reassign_to == "Ben"
    entry = next(
        e for e in handoff.report_json(r)["items"]["waiting_on_us"] if e["id"] == fresh.item.id
    )  # type: ignore[index]
    assert entry["reply_uncertain"] is True
    assert entry["last_message"]["from_team"] is False
    github = markdown.render(r, Markup.GITHUB)
    [row] = [line for line in github.splitlines() if "Fresh question" in line]
    assert len(_cells(row)) == 7
    assert "reply uncertain" in row
    slack = markdown.render(r, Markup.SLACK)
    assert "reply uncertain" in slack[slack.index("Fresh question") :].split("•")[0]
    assert "reply uncertain" in rich_text(handoff_view(r))
    # Carried over: handed off and reassigned with the rest.
    outcome = handoff.carry_out(week.store, week.actor, week.team, handoff.plan(r))
    assert not outcome.errors
    assert fresh.item.id in [m.item_id for m in outcome.reassigned]
    assert _fresh(report(week)).item.assignee == "Ben"


def test_a_reply_that_went_out_is_no_longer_uncertain_in_the_handoff(week: World) -> None:
    _hana_answers_fresh_question(week, unconfirmed=True)
    _hana_answers_fresh_question(week, unconfirmed=False)  # its copy is unmarked: it went
    r = report(week)
    fresh = _fresh(r)
    assert fresh.group == "waiting_on_them"
    assert not fresh.item.reply_uncertain
    assert fresh.last is not None
    assert (fresh.last_author, fresh.last.body) == ("Hana", "Restart the sync")
    assert "reply uncertain" not in markdown.render(r, Markup.GITHUB)
    assert "reply uncertain" not in markdown.render(r, Markup.SLACK)


def test_dry_run_changes_nothing_and_carry_out_does(week: World) -> None:
    def snapshot() -> tuple[int, list[str | None], int]:
        events = week.store.conn.execute("SELECT COUNT(*) FROM events").fetchone()[0]
        assignees = [i.item.assignee for i in report(week).items]
        return events, assignees, len(outbox_rows.recent(week.store.conn, 100))

    r = report(week)
    p = handoff.plan(r)
    before = snapshot()
    assert [m.item_id for m in p.reassign] == [h.item.id for h in r.items if h.reassign_to]
    assert snapshot() == before

    outcome = handoff.carry_out(week.store, week.actor, week.team, p)
    assert not outcome.errors
    assert outcome.handed_off == 7
    after = report(week)
    assert {h.item.assignee for h in after.items} == {"Ben"}
    handed = [
        e
        for e in log.events_between(
            week.store.conn, week.clock.now(), week.clock.now().replace(year=2100)
        )
        if e.kind is EventKind.HANDED_OFF
    ]
    assert len(handed) == 8  # one per carried item and one for the handoff itself
    summary = next(e for e in handed if e.item_id is None)
    assert summary.detail["from"] == "Hana"
    assert summary.detail["to"] == "Ben"
    assert summary.detail["items"] == 7
    # The carry-over is not "roped in": the week's stats count only heroes' own assignments.
    assert report(week).stats.roped_in == r.stats.roped_in


def test_reassign_upstream_goes_through_the_outbox(week: World) -> None:
    p = handoff.plan(report(week), reassign_upstream=True)
    outcome = handoff.carry_out(week.store, week.actor, week.team, p)
    assert not outcome.errors
    remote = week.backends["github"].threads["G2"]
    assert remote.assignees == ["Ben"]
    ops = [e.op.value for e in outbox_rows.recent(week.store.conn, 100)]
    assert ops.count("assign") == 5


def test_post_to_slack_splits_into_parts_through_the_outbox(week: World) -> None:
    for n in range(40):
        week.start("github", f"X{n}", f"Another long question number {n} " * 3, f"cust{n}")
    week.sync()
    r = report(week)
    parts = markdown.parts(r, SlackChannel.post_format)
    assert len(parts) > 1
    assert all(len(part) <= SlackChannel.post_format.limit for part in parts)
    assert all(part.count("```") % 2 == 0 for part in parts)
    with SlackSimulator(workspace_seed(), clock=lambda: week.clock.now().timestamp()) as sim:
        slack = SlackChannel(
            SlackSettings(api_url=sim.url, channels=(SUPPORT,)),
            EnvSecrets({"SLACK_TOKEN": sim.token}),
            week.clock,
            frozenset({"UHANA", "UBEN"}),
        )
        actor = triage.Actor(
            "Hana", lambda n: slack if n == "slack" else week.channels[n], week.clock
        )
        target = handoff.parse_post_target("slack:#support", actor.channel_for)
        p = handoff.plan(r, post=target, parts=tuple(parts))
        outcome = handoff.carry_out(week.store, actor, week.team, p)
        slack.shutdown()
        assert not outcome.errors, outcome.errors
        posted = [m["text"] for m in sim.messages(SUPPORT)]
    entries = [e for e in outbox_rows.recent(week.store.conn, 200) if e.op.value == "post"]
    assert len(entries) == len(parts)
    assert all(e.state.value == "sent" for e in entries)
    assert len(posted) == len(parts)
    whole = "\n".join(posted)
    assert "<!channel>" not in whole  # the note's <!channel> arrives escaped
    assert "&lt;!channel&gt;" in whole


def test_post_targets_are_read_by_their_channel(tmp_path: Path) -> None:
    hero = Hero(tmp_path)
    hero.backends["email"] = MemoryBackend(hero.clock)
    channels = {name: stand_in(name, backend) for name, backend in hero.backends.items()}
    assert str(handoff.parse_post_target("slack:#support", channels.__getitem__)) == (
        "slack:#support"
    )
    found = handoff.parse_post_target(" GitHub: acme/widget#12 ", channels.__getitem__)
    assert (found.channel, found.target) == ("github", "acme/widget#12")
    for bad in (
        "email:x",
        "slack:",
        "slack: # ",
        "github:acme#12",
        "github:acme/widget",
        "#support",
    ):
        with pytest.raises(UsageError, match=r"CHANNEL:TARGET|cannot post|not an issue|name a"):
            handoff.parse_post_target(bad, channels.__getitem__)


def test_how_a_report_is_posted_is_its_channels_to_say(week: World) -> None:
    """Markup and size come from the channel's ``post_format``, whatever it is named."""
    r = report(week)
    for form, table in (
        (PostFormat(Markup.SLACK, 700), False),
        (PostFormat(Markup.GITHUB, 900), True),
    ):
        chat = MemoryChannel(MemoryBackend(week.clock), name="chat", post_format=form)
        target = handoff.parse_post_target("chat:#handoff", lambda _name, c=chat: c)
        assert target.format == form
        parts = markdown.parts(r, target.format)
        assert len(parts) > 1
        assert all(len(part) <= form.limit for part in parts)
        assert any(line.startswith("|---") for p in parts for line in p.splitlines()) is table
        whole = "".join(parts)
        assert all(f"{title} (" in whole for title in markdown.GROUP_TITLES.values())


def test_split_repeats_a_table_header() -> None:
    table = markdown.Block(
        rows=[f"| {n} | row {n} |" for n in range(100)], head=["| a | b |", "|---|---|"]
    )
    parts = markdown.split([markdown.Block(["# Title"]), table], 400)
    assert len(parts) > 3
    for part in parts[1:]:
        assert part.startswith("| a | b |\n|---|---|")
    assert all(len(p) <= 400 for p in parts)
    rows = [line for p in parts for line in p.splitlines() if "row" in line]
    assert rows == [f"| {n} | row {n} |" for n in range(100)]


# --- the commands ---------------------------------------------------------------------------


@pytest.fixture
def cli(tmp_path: Path) -> Hero:
    hero = Hero(tmp_path)
    hero.clock.current = hero.clock.current.replace(year=2026, month=11, day=20)
    hero.customer_opens("github", "7", "Printer on fire | <!channel>", "Help")
    hero.clock.advance(minutes=20)
    hero.customer_opens("slack", "C1:1.0", "Login loop", "Again")
    assert hero.run("sync").code == 0
    hero.clock.advance(hours=2)
    return hero


def test_rota_command(cli: Hero) -> None:
    result = cli.run("rota", "--json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["on_duty"] == "Hana"  # the rota starts 2 November with Hana; 16-22 is hers again
    assert data["current"]["first_day"] == "2026-11-16"
    assert data["upcoming"][0]["hero"] == "Ravi"
    assert "On duty today" in cli.run("rota").out


def test_stats_command(cli: Hero) -> None:
    result = cli.run("stats", "--json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["totals"]["new_items"] == 2
    assert data["totals"]["unanswered"] == 2
    assert data["waiting_on_us"]["count"] == 2
    shown = cli.run("stats", "--channel", "slack")
    assert shown.code == 0, shown.err
    assert "New items per day" in shown.out
    assert cli.run("stats", "--since", "yesterday").code == 2
    assert cli.run("stats", "--week", "--last-week").code == 2


def test_handoff_dry_run_and_output(cli: Hero, tmp_path: Path) -> None:
    out_file = tmp_path / "handoff.md"
    dry = cli.run("handoff", "--dry-run", "--output", str(out_file))
    assert dry.code == 0, dry.err
    assert not out_file.exists()
    assert "would" in dry.err
    assert "reassign" in dry.err
    assert "Printer on fire \\| &lt;\\!channel&gt;" in dry.out  # the exact file text is shown
    real = cli.run("handoff", "--output", str(out_file), "--json")
    assert real.code == 0, real.err
    data = json.loads(real.out)
    assert data["report"]["to"] == "Ravi"
    assert [m["to"] for m in data["plan"]["reassign"]] == ["Ravi", "Ravi"]
    assert "| No. | Channel |" in out_file.read_text(encoding="utf-8")
    assert cli.run("handoff", "--post", "email:nowhere").code == ExitCode.NOT_FOUND

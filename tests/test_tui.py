"""`hero tui` driven headless with Pilot against a real queue and the GitHub simulator."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from textual.pilot import Pilot

from herocli.models import ItemState
from herocli.services import drafts
from herocli.tui.app import HeroApp
from tests.cli_harness import hero_process
from tests.github_fixtures import REPO
from tests.tui_world import REPLY, TuiWorld, drive, jobs_done, status_line


@pytest.fixture
def world(tui_world: TuiWorld) -> TuiWorld:
    return tui_world


def _app(pilot: Pilot[None]) -> HeroApp:
    assert isinstance(pilot.app, HeroApp)
    return pilot.app


def _titles(app: HeroApp) -> list[str]:
    queue = app.screen_view.queue
    return [item.title for i in queue.ids if (item := queue.item(i)) is not None]


def _issue_number(app: HeroApp, item_id: int) -> int:
    item = app.screen_view.queue.item(item_id)
    assert item is not None
    return int(item.external_id.rsplit("#", 1)[1])


def test_opens_on_the_waiting_items_and_moves(world: TuiWorld) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        app = _app(pilot)
        assert _titles(app) == ["Printer is on fire", "Login fails", "Export is slow"]
        shown = app.screen_view.conversation.detail
        assert shown is not None
        assert shown.item.title == "Printer is on fire"
        await pilot.press("j", "j")
        shown = app.screen_view.conversation.detail
        assert shown is not None
        assert shown.item.title == "Export is slow"
        await pilot.press("k")
        shown = app.screen_view.conversation.detail
        assert shown is not None
        assert shown.item.title == "Login fails"
        await pilot.press("enter")
        assert app.focused is app.screen_view.conversation
        await pilot.press("escape")
        assert app.focused is app.screen_view.queue

    drive(world.app(), scenario)


def test_reply_goes_through_the_editor_and_a_confirmation(world: TuiWorld) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        app = _app(pilot)
        item_id = app.screen_view.queue.current
        assert item_id is not None
        number = _issue_number(app, item_id)
        await pilot.press("r")
        await jobs_done(pilot, 1)  # the draft is kept before anything is asked
        assert type(app.screen).__name__ == "Choose"  # nothing is sent before yes
        assert world.github.sim.comments_of(REPO, number) == []
        draft = drafts.load(app.hero.store, item_id)
        assert draft is not None
        assert draft.body == REPLY + "\n"
        await pilot.press("y")
        await jobs_done(pilot, 2)
        [comment] = world.github.sim.comments_of(REPO, number)
        # Only what was written above the scissors line goes out.
        assert comment["body"].split("<!--")[0].strip() == REPLY
        assert "reply" in status_line(app)
        assert "done on github" in status_line(app)
        assert drafts.load(app.hero.store, item_id) is None  # sent: no draft left
        # The item now waits on them: it left the "on us" view, and the cursor moved on.
        assert "Printer is on fire" not in _titles(app)
        await pilot.press("2")
        assert _titles(app) == ["Printer is on fire"]

    drive(world.app(), scenario)


def test_a_reply_not_sent_now_is_kept_as_a_draft(world: TuiWorld) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        app = _app(pilot)
        item_id = app.screen_view.queue.ids[0]
        number = _issue_number(app, item_id)
        await pilot.press("r")
        await jobs_done(pilot, 1)
        await pilot.press("n")
        assert status_line(app) == f"not sent; kept as the draft of #{item_id} (r picks it up)"
        draft = drafts.load(app.hero.store, item_id)
        assert draft is not None
        assert draft.body == REPLY + "\n"
        # r again starts from the draft (the stub editor writes the same line above it).
        await pilot.press("r")
        await jobs_done(pilot, 2)
        draft = drafts.load(app.hero.store, item_id)
        assert draft is not None
        assert draft.body == f"{REPLY}\n{REPLY}\n"
        await pilot.press("d")
        await jobs_done(pilot, 3)
        assert drafts.load(app.hero.store, item_id) is None
        assert world.github.sim.comments_of(REPO, number) == []

    drive(world.app(), scenario)


def test_assign_snooze_close_label_and_note(world: TuiWorld) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        app = _app(pilot)
        queue = app.screen_view.queue
        first, second, third = queue.ids
        # a: the member picker starts on Hana; j moves to Ravi.
        await pilot.press("a", "j", "enter")
        await jobs_done(pilot, 1)
        assert world.github.sim.issue(REPO, _issue_number(app, first))["assignees"][0]["login"] == (
            "ravi"
        )
        item = queue.item(first)
        assert item is not None
        assert item.assignee == "Ravi"
        assert status_line(app).startswith(f"#{first} assigned to Ravi")
        # s: the same time forms as `hero snooze`.
        await pilot.press("s", *"friday 3pm", "enter")
        await jobs_done(pilot, 2)
        assert status_line(app).startswith(f"#{first} snoozed until Fri 27 Nov 15:00")
        assert first not in queue.ids
        assert queue.current == second
        # l and n.
        await pilot.press("l", *"+bug", "enter")
        await jobs_done(pilot, 3)
        issue = world.github.sim.issue(REPO, _issue_number(app, second))
        assert [label["name"] for label in issue["labels"]] == ["bug"]
        await pilot.press("n", *"customer is on the phone", "enter")
        await jobs_done(pilot, 4)
        detail = app.screen_view.conversation.detail
        assert detail is not None
        assert [n.body for n in detail.notes] == ["customer is on the phone"]
        # c closes here and upstream.
        await pilot.press("c")
        await jobs_done(pilot, 5)
        assert world.github.sim.issue(REPO, _issue_number(app, second))["state"] == "closed"
        assert queue.ids == [third]
        # The snoozed and closed views show them; C reopens.
        await pilot.press("3")
        assert queue.ids == [first]
        snoozed = queue.item(first)
        assert snoozed is not None
        assert snoozed.state is ItemState.SNOOZED
        await pilot.press("4")
        assert queue.ids == [second]
        await pilot.press("C")
        await jobs_done(pilot, 6)
        assert world.github.sim.issue(REPO, _issue_number(app, second))["state"] == "open"
        assert queue.ids == []

    drive(world.app(), scenario)


def test_ping_offers_only_teammates_and_mentions_the_one_picked(world: TuiWorld) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        app = _app(pilot)
        first = app.screen_view.queue.ids[0]
        await pilot.press("p")
        picker = app.screen
        assert type(picker).__name__ == "Pick"
        assert picker.choices == ["Hana", "Ravi"]  # type: ignore[attr-defined]
        await pilot.press("j", "enter")
        await jobs_done(pilot, 1)
        number = _issue_number(app, first)
        assert world.github.sim.issue(REPO, number)["assignees"][0]["login"] == "ravi"
        [comment] = world.github.sim.comments_of(REPO, number)
        assert comment["body"].startswith("@ravi, could you take a look")
        assert status_line(app).startswith(f"#{first} assigned to Ravi, pinged")
        # a offers "nobody" too, and escape leaves the item as it was.
        await pilot.press("a")
        assert app.screen.choices == ["Hana", "Ravi", "nobody"]  # type: ignore[attr-defined]
        await pilot.press("escape")
        item = app.screen_view.queue.item(first)
        assert item is not None
        assert item.assignee == "Ravi"

    drive(world.app(), scenario)


def test_search_and_filters(world: TuiWorld) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        app = _app(pilot)
        await pilot.press("slash", *"reset mail", "enter")
        assert _titles(app) == ["Login fails"]  # found in the message text
        await pilot.press("slash", "ctrl+u", *"label:nosuch", "enter")
        assert status_line(app) == "✗ no label 'nosuch'"  # as `hero inbox --label` says
        assert len(_titles(app)) == 3  # and the words are dropped
        await pilot.press("slash", "ctrl+u", *"channel:github login", "enter")
        assert _titles(app) == ["Login fails"]
        await pilot.press("slash", "ctrl+u", "enter")
        assert len(_titles(app)) == 3
        await pilot.press("m")  # mine: nothing is assigned to Hana yet
        assert _titles(app) == []
        await pilot.press("m")
        assert len(_titles(app)) == 3
        await pilot.press("tab")
        assert app.view == "on them"

    drive(world.app(), scenario)


def test_background_sync_brings_new_items_in_place(world: TuiWorld) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        app = _app(pilot)
        assert app.sync_timer is not None
        assert app.sync_timer._interval == 5 * 60  # [tui] sync_minutes, by default
        await pilot.press("j")
        on = app.screen_view.queue.current
        # Upstream, a teammate answers the first item (it leaves the view, so every row
        # below moves up) and a new customer writes in.
        first = _issue_number(app, app.screen_view.queue.ids[0])
        world.github.comment(first, "On it, give me an hour.", user="ravi")
        world.issue("Urgent: data loss", "All my data is gone.", user="fred")
        app.background_sync()  # what the timer calls
        await jobs_done(pilot, 1)
        assert _titles(app) == ["Login fails", "Export is slow", "Urgent: data loss"]
        assert app.screen_view.queue.current == on  # the cursor stayed on its item
        assert app.screen_view.queue.cursor == 0
        assert [n.message for n in app._notifications] == ["1 new on us"]
        assert status_line(app) == "synced: github 1 new, 1 updated"

    drive(world.app(), scenario)


def test_another_hero_process_syncing_shows_up(world: TuiWorld) -> None:
    env = {**os.environ, **world.env, "HERO_CONFIG": str(world.config)}

    async def scenario(pilot: Pilot[None]) -> None:
        app = _app(pilot)
        world.issue("Seen by cron", "hello")
        done = hero_process("sync", env=env)  # a cron `hero sync` while the screen is open
        assert done.returncode == 0, done.stderr
        app.tick()  # the once-a-second check
        await pilot.pause()
        assert "Seen by cron" in _titles(app)

    drive(world.app(), scenario)


def test_errors_are_one_line_and_the_screen_stays(world: TuiWorld) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        app = _app(pilot)
        await pilot.press("s", *"someday", "enter")
        assert status_line(app) == "✗ cannot read 'someday' as a time"
        world.github.stop()  # GitHub is gone: the close is kept in the outbox
        await pilot.press("c")
        await jobs_done(pilot, 1)
        line = status_line(app)
        assert "\n" not in line
        assert "failed" in line
        assert "Traceback" not in line
        assert "outbox 1 failed" in app.screen_view.status.facts.plain
        app.background_sync()
        await jobs_done(pilot, 2)
        assert status_line(app).startswith("synced: github failed:")
        await pilot.press("O")
        assert type(app.screen).__name__ == "Sheet"
        await pilot.press("escape")
        assert app.screen is app.screen_view

    drive(world.app(), scenario)


def test_open_link_help_and_handoff(world: TuiWorld) -> None:
    world.issue("Proxy docs?", "Is https://docs.example.test/proxy. still right?")
    world.sync()

    async def scenario(pilot: Pilot[None]) -> None:
        app = _app(pilot)
        await pilot.press("o")
        assert world.opened == ["https://github.com/acme/widget/issues/1"]
        await pilot.press("j", "j", "j", "u")  # the issue that links to the docs
        picker = app.screen
        assert type(picker).__name__ == "Pick"
        assert picker.choices == [  # type: ignore[attr-defined]
            "https://github.com/acme/widget/issues/4",
            "https://docs.example.test/proxy",
        ]
        await pilot.press("j", "enter")
        assert world.opened[-1] == "https://docs.example.test/proxy"
        await pilot.press("question_mark")
        assert type(app.screen).__name__ == "Sheet"
        await pilot.press("escape", "H")
        await jobs_done(pilot, 1)
        assert type(app.screen).__name__ == "Sheet"
        await pilot.press("q")
        assert app.screen is app.screen_view
        await pilot.press("q")
        assert not app.is_running

    drive(world.app(), scenario)


def test_narrow_terminals_stack_the_panes_and_drop_columns(world: TuiWorld) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        app = _app(pilot)
        screen = app.screen_view
        assert screen.has_class("-narrow")
        assert screen.conversation.region.y > screen.queue.region.y
        header = screen.queue.render_line(0).text
        assert "Chan" in header
        assert "Assignee" in header
        assert "Labels" not in header

    drive(world.app(), scenario, size=(80, 24))


def test_a_reload_keeps_the_reader_where_they_were(world: TuiWorld) -> None:
    number = world.issue("A long story", "\n".join(f"line {n}" for n in range(200)))
    world.sync()

    async def scenario(pilot: Pilot[None]) -> None:
        app = _app(pilot)
        await pilot.press("G", "enter", *"jjjjj")
        conversation = app.screen_view.conversation
        assert conversation.detail is not None
        assert conversation.detail.item.title == "A long story"
        assert conversation.scroll_offset.y == 5
        world.github.comment(number, "and one more thing", user="carol")
        app.background_sync()
        await jobs_done(pilot, 1)
        assert conversation.detail.messages[-1].message.body.startswith("and one more thing")
        assert conversation.scroll_offset.y == 5
        await pilot.press("escape", "k")  # another item starts at its top
        assert conversation.scroll_offset.y == 0

    drive(world.app(), scenario)


def test_untrusted_text_shows_literally(world: TuiWorld) -> None:
    world.issue("[bold red]pwned\x1b[2J\u202etxt.exe", "[link=file:///etc]x[/link] \x07")
    world.sync()

    async def scenario(pilot: Pilot[None]) -> None:
        app = _app(pilot)
        await pilot.press("G")
        row = app.screen_view.queue.render_line(4).text
        assert "[bold red]pwned\\x1b[2J\\u202etxt" in row
        shown = "".join(s.text for s in app.screen_view.conversation.render_line(0))
        assert "[bold red]pwned\\x1b[2J\\u202etxt.exe" in shown
        body = "".join(
            "".join(s.text for s in app.screen_view.conversation.render_line(y)) for y in range(8)
        )
        assert "[link=file:///etc]x[/link] \\x07" in body

    drive(world.app(), scenario)


def test_a_reply_to_a_closed_item_says_it_stays_closed(world: TuiWorld) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        app = _app(pilot)
        await pilot.press("c")
        await jobs_done(pilot, 1)
        await pilot.press("4", "r")
        await jobs_done(pilot, 2)
        choose = app.screen
        assert type(choose).__name__ == "Choose"
        lines = [r.plain for r in choose.body.renderables if hasattr(r, "plain")]  # type: ignore[attr-defined]
        assert lines[1] == "#1 is closed; the reply does not reopen it (C does)."
        await pilot.press("escape")  # kept for later
        assert "kept as the draft" in status_line(app)

    drive(world.app(), scenario)


def test_background_sync_runs_the_team_mirror(tmp_path: Path) -> None:
    from herocli.simulators.slack import SlackSimulator
    from tests.slack_fixtures import workspace_seed

    seed = workspace_seed()
    seed["channels"].append({"id": "C0MIRROR", "name": "team", "is_member": True})
    with SlackSimulator(seed) as slack:
        world = TuiWorld(
            tmp_path,
            slack={"channels": [], "api_url": slack.url},
            mirror={"slack_channel": "#team"},
        )
        world.env["SLACK_TOKEN"] = slack.token
        try:
            world.issue("Printer is on fire", "It smokes when I print.")

            async def scenario(pilot: Pilot[None]) -> None:
                app = _app(pilot)
                app.background_sync()
                await jobs_done(pilot, 1)
                assert "mirror 1 posted" in status_line(app)

            drive(world.app(), scenario)
            (parent,) = slack.messages("C0MIRROR")
            assert parent["text"].startswith("*#1* · GitHub · ")
        finally:
            world.stop()

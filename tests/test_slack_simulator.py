"""The Slack Web API simulator speaks Slack's wire format over real HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from herocli.simulators.slack import SlackSimulator, demo_seed
from tests.slack_fixtures import SUPPORT, workspace_seed


@pytest.fixture(name="api")
def api_fixture() -> Iterator[tuple[SlackSimulator, httpx.Client]]:
    now = [1795000000.0]

    def clock() -> float:
        now[0] += 1
        return now[0]

    with (
        SlackSimulator(workspace_seed(), clock=clock) as sim,
        httpx.Client(
            base_url=sim.url + "/", headers={"Authorization": f"Bearer {sim.token}"}
        ) as client,
    ):
        yield sim, client


def call(client: httpx.Client, method: str, **params: Any) -> dict[str, Any]:
    response = client.post(method, data=params)
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def test_auth_errors_use_the_envelope(api: tuple[SlackSimulator, httpx.Client]) -> None:
    sim, client = api
    assert call(client, "auth.test")["user_id"] == "U0HEROBOT"
    bad = httpx.post(f"{sim.url}/auth.test", headers={"Authorization": "Bearer nope"})
    assert (bad.status_code, bad.json()) == (200, {"ok": False, "error": "invalid_auth"})
    missing = httpx.post(f"{sim.url}/auth.test")
    assert missing.json() == {"ok": False, "error": "not_authed"}
    by_form = httpx.post(f"{sim.url}/auth.test", data={"token": sim.token})
    assert by_form.json()["ok"] is True
    unknown = httpx.post(f"{sim.url}/no.such", headers={"Authorization": f"Bearer {sim.token}"})
    assert unknown.status_code == 404
    assert unknown.json()["error"] == "unknown_method"


def test_channel_errors(api: tuple[SlackSimulator, httpx.Client]) -> None:
    _, client = api
    assert call(client, "conversations.history", channel="C0NOPE")["error"] == "channel_not_found"
    assert call(client, "conversations.history", channel="C0OUTSIDE")["error"] == "not_in_channel"
    assert call(client, "conversations.info", channel="C0OUTSIDE")["channel"]["is_member"] is False
    assert call(client, "conversations.replies", channel=SUPPORT, ts="1.000000")["error"] == (
        "thread_not_found"
    )
    assert call(client, "users.info", user="U0NOBODY")["error"] == "user_not_found"
    assert call(client, "chat.postMessage", channel=SUPPORT)["error"] == "no_text"


def test_history_pages_newest_first_with_cursor_and_window(
    api: tuple[SlackSimulator, httpx.Client],
) -> None:
    sim, client = api
    stamps = [sim.post(SUPPORT, "U0CUST", f"m{n}") for n in range(7)]
    seen: list[str] = []
    cursor = ""
    while True:
        page = call(client, "conversations.history", channel=SUPPORT, limit=3, cursor=cursor)
        seen.extend(m["ts"] for m in page["messages"])
        cursor = page["response_metadata"]["next_cursor"]
        assert page["has_more"] is bool(cursor)
        if not cursor:
            break
    assert seen == list(reversed(stamps))
    window = call(
        client, "conversations.history", channel=SUPPORT, oldest=stamps[1], latest=stamps[4]
    )
    assert [m["ts"] for m in window["messages"]] == [stamps[3], stamps[2]]
    inclusive = call(
        client,
        "conversations.history",
        channel=SUPPORT,
        oldest=stamps[1],
        latest=stamps[4],
        inclusive=1,
    )
    assert [m["ts"] for m in inclusive["messages"]] == [stamps[4], stamps[3], stamps[2], stamps[1]]
    bad = call(client, "conversations.history", channel=SUPPORT, cursor="garbage!")
    assert bad["error"] == "invalid_cursor"


def test_threads_carry_reply_fields_and_replies_page(
    api: tuple[SlackSimulator, httpx.Client],
) -> None:
    sim, client = api
    parent = sim.post(SUPPORT, "U0CUST", "help")
    replies = [
        sim.reply(SUPPORT, parent, user, f"r{n}")
        for n, user in enumerate(["U0HANA", "U0CUST", "U0HANA"])
    ]
    [top] = call(client, "conversations.history", channel=SUPPORT)["messages"]
    assert top["reply_count"] == 3
    assert top["latest_reply"] == replies[-1]
    assert top["reply_users"] == ["U0HANA", "U0CUST"]
    assert top["thread_ts"] == parent
    first = call(client, "conversations.replies", channel=SUPPORT, ts=parent, limit=2)
    assert [m["ts"] for m in first["messages"]] == [parent, replies[0]]
    assert first["has_more"] is True
    rest = call(
        client,
        "conversations.replies",
        channel=SUPPORT,
        ts=parent,
        cursor=first["response_metadata"]["next_cursor"],
    )
    assert [m["ts"] for m in rest["messages"]] == replies[1:]
    assert rest["messages"][0]["parent_user_id"] == "U0CUST"


def test_post_message_json_body_threads_and_metadata(
    api: tuple[SlackSimulator, httpx.Client],
) -> None:
    sim, client = api
    parent = sim.post(SUPPORT, "U0CUST", "help")
    reply = sim.reply(SUPPORT, parent, "U0HANA", "looking")
    sent = client.post(
        "chat.postMessage",
        json={
            "channel": SUPPORT,
            "text": "a &lt; b",
            "thread_ts": reply,  # a reply's ts still lands in the parent's thread
            "reply_broadcast": True,
            "metadata": {"event_type": "hero_reply", "event_payload": {"key": "k1"}},
        },
    ).json()
    assert sent["ok"] is True
    assert sent["message"]["thread_ts"] == parent
    assert sent["message"]["bot_id"] == "B0HERO"
    assert "metadata" not in sent["message"]
    history = call(client, "conversations.history", channel=SUPPORT)["messages"]
    assert history[0]["subtype"] == "thread_broadcast"  # the broadcast copy shows in the channel
    plain = call(client, "conversations.replies", channel=SUPPORT, ts=parent)["messages"]
    assert "metadata" not in plain[-1]
    full = call(client, "conversations.replies", channel=SUPPORT, ts=parent, include_all_metadata=1)
    assert full["messages"][-1]["metadata"]["event_payload"] == {"key": "k1"}
    by_name = call(client, "chat.postMessage", channel="#general", text="hi")
    assert by_name["channel"] == "C0GENERAL"


def test_edits_and_deletes_as_slack_shows_them(api: tuple[SlackSimulator, httpx.Client]) -> None:
    sim, client = api
    lonely = sim.post(SUPPORT, "U0CUST", "typo")
    parent = sim.post(SUPPORT, "U0CUST", "question")
    reply = sim.reply(SUPPORT, parent, "U0HANA", "answer")
    sim.edit(SUPPORT, lonely, "fixed")
    [edited] = [
        m
        for m in call(client, "conversations.history", channel=SUPPORT)["messages"]
        if m["ts"] == lonely
    ]
    assert edited["text"] == "fixed"
    assert edited["edited"]["user"] == "U0CUST"
    sim.delete(SUPPORT, lonely)
    sim.delete(SUPPORT, parent)
    [tomb] = call(client, "conversations.history", channel=SUPPORT)["messages"]
    assert (tomb["ts"], tomb["subtype"], tomb["reply_count"]) == (parent, "tombstone", 1)
    sim.delete(SUPPORT, reply)
    assert call(client, "conversations.history", channel=SUPPORT)["messages"] == []


def test_reactions(api: tuple[SlackSimulator, httpx.Client]) -> None:
    sim, client = api
    ts = sim.post(SUPPORT, "U0CUST", "help")
    target = {"channel": SUPPORT, "timestamp": ts, "name": "white_check_mark"}
    assert client.post("reactions.add", json=target).json() == {"ok": True}
    assert client.post("reactions.add", json=target).json()["error"] == "already_reacted"
    got = call(client, "reactions.get", channel=SUPPORT, timestamp=ts)
    assert got["message"]["reactions"] == [
        {"name": "white_check_mark", "users": ["U0HEROBOT"], "count": 1}
    ]
    assert client.post("reactions.remove", json=target).json() == {"ok": True}
    assert client.post("reactions.remove", json=target).json()["error"] == "no_reaction"
    missing = {**target, "timestamp": "1.000000"}
    assert client.post("reactions.add", json=missing).json()["error"] == "message_not_found"


def test_list_and_info(api: tuple[SlackSimulator, httpx.Client]) -> None:
    _, client = api
    first = call(client, "conversations.list", limit=2)
    assert [c["id"] for c in first["channels"]] == ["C0GENERAL", "C0OUTSIDE"]
    rest = call(client, "conversations.list", cursor=first["response_metadata"]["next_cursor"])
    assert [c["id"] for c in rest["channels"]] == [SUPPORT]
    assert rest["response_metadata"]["next_cursor"] == ""
    assert call(client, "conversations.info", channel=SUPPORT)["channel"]["name"] == "support"
    assert call(client, "users.info", user="U0HANA")["user"]["profile"]["display_name"] == "Hana"


def test_injected_rate_limit_and_request_log(api: tuple[SlackSimulator, httpx.Client]) -> None:
    sim, client = api
    sim.inject_rate_limit("users.info", retry_after=12, times=2)
    for _ in range(2):
        limited = client.post("users.info", data={"user": "U0HANA"})
        assert limited.status_code == 429
        assert limited.headers["Retry-After"] == "12"
        assert limited.json() == {"ok": False, "error": "ratelimited"}
    assert call(client, "users.info", user="U0HANA")["ok"] is True
    assert call(client, "auth.test")["ok"] is True
    log = [(r.method, r.status, r.params.get("user")) for r in sim.requests]
    assert log == [
        ("users.info", 429, "U0HANA"),
        ("users.info", 429, "U0HANA"),
        ("users.info", 200, "U0HANA"),
        ("auth.test", 200, None),
    ]
    assert sim.calls("users.info") == 3
    assert all("token" not in r.params for r in sim.requests)


def test_new_messages_take_their_ts_from_the_injected_clock(
    api: tuple[SlackSimulator, httpx.Client],
) -> None:
    sim, client = api
    sent = call(client, "chat.postMessage", channel=SUPPORT, text="one")
    assert sent["ts"] == "1795000001.000000"
    # The request log reads the clock too (...002), after the message took its ts.
    assert sim.post(SUPPORT, "U0CUST", "two") == "1795000003.000000"
    assert [r.at for r in sim.requests] == [1795000002.0]


def test_demo_seed_loads_and_serves() -> None:
    seed = demo_seed()
    assert json.dumps(seed)
    with SlackSimulator() as sim:
        history = httpx.post(
            f"{sim.url}/conversations.history",
            data={"channel": "C0SUPPORT"},
            headers={"Authorization": f"Bearer {sim.token}"},
        ).json()
        names = {u["id"]: u["real_name"] for u in seed["users"]}
    assert names["U0HANA"] == "Hana"
    assert names["U0RAVI"] == "Ravi"
    threads = [m for m in history["messages"] if m.get("reply_count")]
    assert len(threads) == 2
    assert {m.get("subtype") for m in history["messages"]} >= {"channel_join", "bot_message", None}


def test_chat_update_edits_only_the_apps_own_messages(
    api: tuple[SlackSimulator, httpx.Client],
) -> None:
    sim, client = api
    mine = call(
        client,
        "chat.postMessage",
        channel=SUPPORT,
        text="first",
        metadata=json.dumps({"event_type": "hero_post", "event_payload": {"key": "k1"}}),
    )["ts"]
    theirs = sim.post(SUPPORT, "U0CUST", "a question")
    updated = call(client, "chat.update", channel=SUPPORT, ts=mine, text="second")
    assert (updated["ok"], updated["ts"], updated["text"]) == (True, mine, "second")
    stored = sim.message(SUPPORT, mine)
    assert stored["text"] == "second"
    assert stored["edited"]["user"] == sim.bot_user_id
    assert stored["metadata"]["event_payload"] == {"key": "k1"}  # kept by an edit
    assert call(client, "chat.update", channel=SUPPORT, ts=theirs, text="x")["error"] == (
        "cant_update_message"
    )
    assert call(client, "chat.update", channel=SUPPORT, ts="1.000001", text="x")["error"] == (
        "message_not_found"
    )
    assert call(client, "chat.update", channel="#support", ts=mine, text="x")["error"] == (
        "channel_not_found"
    )
    assert call(client, "chat.update", channel=SUPPORT, ts=mine, text="")["error"] == "no_text"
    assert call(client, "chat.update", channel=SUPPORT, ts=mine, text="y" * 40001)["error"] == (
        "msg_too_long"
    )
    assert sim.message(SUPPORT, mine)["text"] == "second"


def test_a_person_edits_their_own_thread_reply_and_the_parent_shows_nothing(
    api: tuple[SlackSimulator, httpx.Client],
) -> None:
    """Slack: an edited message carries ``edited`` (editor, when) and only its current
    text; a reply's edit moves neither ``reply_count`` nor ``latest_reply`` on its parent."""
    sim, client = api
    sim.tokens["xoxp-hana"] = "U0HANA"
    parent = sim.post(SUPPORT, "U0CUST", "question")
    reply = sim.reply(SUPPORT, parent, "U0HANA", "!reply Fixde")
    other = sim.reply(SUPPORT, parent, "U0CUST", "thanks")

    def history_parent() -> dict[str, Any]:
        messages = call(client, "conversations.history", channel=SUPPORT)["messages"]
        return next(m for m in messages if m["ts"] == parent)

    before = history_parent()
    hana = {"Authorization": "Bearer xoxp-hana"}
    edited = client.post(
        "chat.update", json={"channel": SUPPORT, "ts": reply, "text": "!reply Fixed"}, headers=hana
    ).json()
    assert edited["ok"], edited
    replies = call(client, "conversations.replies", channel=SUPPORT, ts=parent)["messages"]
    [now] = [m for m in replies if m["ts"] == reply]
    assert now["text"] == "!reply Fixed"
    assert now["edited"]["user"] == "U0HANA"
    assert float(now["edited"]["ts"]) > float(reply)
    assert "edited" not in next(m for m in replies if m["ts"] == other)
    after = history_parent()
    assert (after["reply_count"], after["latest_reply"]) == (
        before["reply_count"],
        before["latest_reply"],
    )
    refused = client.post(
        "chat.update", json={"channel": SUPPORT, "ts": other, "text": "x"}, headers=hana
    ).json()
    assert refused["error"] == "cant_update_message"

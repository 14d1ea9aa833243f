"""The contract, posting outside any item (the handoff's ``--post``), by the ``post`` capability.

A channel that claims it reads its own targets, posts once however often a crashed
attempt is retried, and finds what it posted by the entry's key. One that does not
claim it is refused in one line, before anything is recorded.
"""

from __future__ import annotations

import pytest

from herocli.errors import ExitCode, NotSupportedError, UsageError
from herocli.services import handoff, outbox
from herocli.store import outbox as outbox_rows
from herocli.store.outbox import Op
from tests.contract_harness import Harness, HarnessFixture, require, require_not


class PostContract(HarnessFixture):
    def test_a_post_lands_once_and_a_retry_after_a_crash_finds_it(self, hx: Harness) -> None:
        require(hx, lambda c: c.post, "posts")
        text = f"{hx.channel.name}:{hx.backend.post_target()}"
        target = handoff.parse_post_target(text, lambda _name: hx.channel)
        assert target.channel == hx.channel.name
        body = "Handoff: two items carried over."
        [entry_id] = outbox.enqueue_batch(
            hx.store,
            hx.clock,
            channel=hx.channel.name,
            op=Op.POST,
            payloads=[{"target": target.target, "body": body, "part": 1, "parts": 1}],
        )
        entry = outbox_rows.get(hx.store.conn, entry_id)
        assert entry is not None
        hx.claimed_by_a_dead_sender(entry_id)  # it posted, and died before recording it
        posted = hx.channel.post(target.target, body, entry.key)
        hx.reconnect()
        [delivery] = outbox.deliver_batch(
            hx.store, [entry_id], lambda _n: hx.channel, hx.clock, me="Hana"
        )
        assert delivery.ok, delivery.error
        assert delivery.already_sent
        assert delivery.sent is not None
        assert delivery.sent.external_id == posted.external_id
        assert sum(body in p for p in hx.backend.remote_posts(target.target)) == 1
        assert hx.channel.find_posted(target.target, "never-posted-0000") is None

    def test_a_post_as_long_as_its_format_allows_lands_whole(self, hx: Harness) -> None:
        require(hx, lambda c: c.post, "posts")
        form = hx.channel.post_format
        assert form is not None, "a channel that posts says in which markup and how much"
        target = handoff.parse_post_target(
            f"{hx.channel.name}:{hx.backend.post_target()}", lambda _name: hx.channel
        )
        assert target.format == form
        line = "Handoff part, whole.\n"
        body = (line * (form.limit // len(line) + 1))[: form.limit - 1] + "."
        hx.channel.post(target.target, body, "post-at-limit-0001")
        assert any(body in posted for posted in hx.backend.remote_posts(target.target))

    def test_a_target_the_channel_cannot_read_is_refused_in_one_line(self, hx: Harness) -> None:
        require(hx, lambda c: c.post, "posts")
        text = f"{hx.channel.name}:{hx.backend.bad_post_target}"
        with pytest.raises(UsageError) as refused:
            handoff.parse_post_target(text, lambda _name: hx.channel)
        assert refused.value.message.startswith("--post")
        assert "\n" not in refused.value.message
        assert hx.outbox_size() == 0

    def test_without_posts_the_handoff_is_refused_in_one_line(self, hx: Harness) -> None:
        require_not(hx, lambda c: c.post, "posts")
        name = hx.channel.name
        with pytest.raises(UsageError) as refused:
            handoff.parse_post_target(f"{name}:somewhere", lambda _name: hx.channel)
        assert refused.value.message == f"--post '{name}:somewhere': the {name} channel cannot post"
        assert refused.value.exit_code is ExitCode.USAGE
        # Asked directly, the channel says the same in its own error.
        with pytest.raises(NotSupportedError):
            hx.channel.post_target("somewhere")
        with pytest.raises(NotSupportedError):
            hx.channel.post("somewhere", "Handoff", "key-0000")
        assert hx.channel.find_posted("somewhere", "key-0000") is None
        assert hx.channel.post_format is None

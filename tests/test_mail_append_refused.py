"""A reply whose Sent copy the IMAP server refuses to file is not sent, and goes out once later.

Dovecot answers an APPEND with ``NO [SERVERBUG]`` when its index of the folder is
damaged (tests/test_dovecot_setup.py shows one way). hero files the copy before the
SMTP send (channels/mail/outgoing.py), so a refused APPEND must stop the send: the
entry fails with the server's words, nothing reaches SMTP, no copy claims a send, and
`hero outbox retry` sends it exactly once with one copy, unmarked.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.imap_faults import FaultyRelay
from tests.outbox_worlds import email_table, email_world, hero, outbox_rows
from tests.sample_config import sample_config

pytestmark = pytest.mark.imap

SERVERBUG = (
    "NO [SERVERBUG] Internal error occurred. Refer to server log for more information. "
    "[2026-12-01 19:48:13] (0.001 + 0.047 secs)."
)


def test_an_append_refused_with_serverbug_sends_nothing_and_the_retry_sends_once(
    tmp_path: Path,
) -> None:
    with email_world(tmp_path) as world:
        relay = FaultyRelay(world.imap.port)
        try:
            table = email_table(world.imap, world.smtp) | {"imap_port": relay.port}
            world.config.write_text(
                sample_config(email=table, github=None, slack=None), encoding="utf-8"
            )
            assert hero(world, "sync").code == 0
            relay.arm("no", 1, verb="APPEND", answer=SERVERBUG)
            reply = hero(world, "reply", "1", "-m", "Filed first, then sent.", "--yes")
            assert relay.fired, "the APPEND never reached the relay"
            assert reply.code == 1, reply
            assert "SERVERBUG" in reply.err
            assert "Traceback" not in reply.err
            assert world.smtp.received == []
            assert world.imap.messages("Sent") == []
            assert [e["state"] for e in outbox_rows(world)] == ["failed"]

            retry = hero(world, "outbox", "retry")
            assert retry.code == 0, retry
            assert len(world.smtp.received) == 1
            [(_uid, flags, _raw)] = world.imap.messages("Sent")
            assert b"$HeroSending" not in flags
            assert b"\\Draft" not in flags
            assert [e["state"] for e in outbox_rows(world)] == ["sent"]
            assert hero(world, "outbox", "retry").code == 0
            assert len(world.smtp.received) == 1
        finally:
            relay.disarm()
            relay.stop()

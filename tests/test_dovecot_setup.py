"""The tests' Dovecot survives what the email model does to it: a folder rebuilt under a
session that still has it open (tests/mail_servers.py, the note on LAYOUT=index).

With Dovecot's default layout the stale session's next command wrote into the new
folder's index: the mail deleted with the old folder came back in the new one, and
now and then the next APPEND got ``NO [SERVERBUG]`` (the email model's hero reply,
twice, filing its Sent copy).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from imapclient import IMAPClient

from tests.mail_servers import ImapServer, dovecot_available, start_dovecot
from tests.mail_world import START, compose

pytestmark = pytest.mark.imap

ROUNDS = 20
# What Dovecot logs when one folder's index was written by a session of another.
CORRUPTION = ("Corrupted", "rebuilding index", "Fixed index", "indexid changed", "Lost log")


@pytest.fixture(scope="module")
def dovecot() -> Iterator[ImapServer]:
    if not dovecot_available():
        pytest.skip("needs Dovecot (and root)")
    server = start_dovecot()
    try:
        yield server
    finally:
        server.stop()


def _mail(n: int) -> bytes:
    return compose(
        token=f"m{n}",
        sender="carla@customer.example",
        to="hey@acme.dev",
        subject="Invoice",
        when=START,
        message_id=f"<m{n}@customer.example>",
        in_reply_to=None,
        references=[],
        charset="utf-8",
    )


def _rebuild(c: IMAPClient, folder: str, messages: list[bytes]) -> None:
    c.delete_folder(folder)
    c.create_folder(folder)
    for raw in messages:
        c.append(folder, raw, flags=(b"\\Seen",))


def test_a_folder_rebuilt_under_an_open_session_takes_the_next_append(
    dovecot: ImapServer,
) -> None:
    """Round after round, as the model rebuilds Sent: mail comes in, a sync opens the
    folder, another client rebuilds it, the sync's next command, then hero's APPEND."""
    folder, refused, n = "Sent", [], 0
    with dovecot.client() as world:
        for round_ in range(ROUNDS):
            for _ in range(2):
                n += 1
                world.append(folder, _mail(n))
            stale = dovecot.client()  # a sync reading the folder
            stale.select_folder(folder, readonly=True)
            stale.fetch(stale.search("ALL"), ["FLAGS", "BODYSTRUCTURE"])
            n += 1
            _rebuild(world, folder, [_mail(n)])
            try:
                stale.noop()  # its next command: it learns the folder went
                stale.logout()
            except Exception:  # told the folder was deleted under it, or hung up on: fine
                stale.shutdown()
            n += 1
            with dovecot.client() as hero:  # the next reply's Sent copy
                try:
                    hero.append(folder, _mail(n), flags=(b"\\Seen", b"$HeroSending"))
                except Exception as exc:
                    refused.append(f"round {round_}: {exc}")
                    continue
            held = len(dovecot.uids(folder))
            assert held == 2, f"round {round_}: the rebuilt folder holds {held}, not its 2"
    damage = [line for line in dovecot.errors() if any(c in line for c in CORRUPTION)]
    assert not refused, "\n".join([*refused, *damage[:10]])
    assert not damage, "\n".join(damage[:10])

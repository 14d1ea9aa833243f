"""Threading parsed mail by its headers (the subject fallback is in test_mail_grouping)."""

from __future__ import annotations

import itertools
import random
import time

import pytest

from herocli.channels.mail.parse import ParsedMail, parse_message
from herocli.channels.mail.threading import thread_keys
from tests.mail_grouping import MailQueue, mail
from tests.mail_samples import CYCLE_FILES, THREAD_FILES, THREAD_ROOT, read


def samples(*names: str) -> list[ParsedMail]:
    return [parse_message(read(name)) for name in names]


# --------------------------------------------------------------------------- real shapes


def test_outlook_gmail_apple_thread_is_one_conversation() -> None:
    mails = samples(*THREAD_FILES)
    q = MailQueue()
    q.deliver(mails)
    assert q.groups() == {frozenset(m.message_id for m in mails)}
    assert [q.store.conn.execute("SELECT external_id FROM items").fetchone()[0]] == [THREAD_ROOT]


def test_thread_does_not_depend_on_arrival_order() -> None:
    mails = samples(*THREAD_FILES)
    for order in itertools.islice(itertools.permutations(mails), 0, None, 37):
        q = MailQueue()
        for m in order:
            q.deliver([m])
        assert q.groups() == {frozenset(m.message_id for m in mails)}


def test_thread_split_across_syncs_joins_through_known_ids() -> None:
    mails = samples(*THREAD_FILES)
    first = thread_keys(mails[:2], {})
    assert set(first.values()) == {THREAD_ROOT}
    q = MailQueue()
    q.deliver(mails[:2])
    q.deliver(mails[2:])
    assert q.groups() == {frozenset(m.message_id for m in mails)}


def test_reply_with_only_in_reply_to() -> None:
    keys = thread_keys(
        [mail("<a@x>"), mail("<b@x>", irt=("<a@x>",), subject="Re: Help", minutes=5)], {}
    )
    assert keys == {"<a@x>": "<a@x>", "<b@x>": "<a@x>"}


def test_root_never_seen_still_keys_the_thread() -> None:
    keys = thread_keys(
        [
            mail("<b@x>", refs=("<root@x>",), subject="Re: Help"),
            mail("<c@x>", refs=("<root@x>", "<b@x>"), subject="Re: Help"),
            mail("<d@x>", irt=("<root@x>",), subject="Re: Help"),
        ],
        {},
    )
    assert set(keys.values()) == {"<root@x>"}


def test_known_thread_key_wins_over_the_root() -> None:
    # Earlier syncs filed <b@x> under the key of a subject-matched thread.
    keys = thread_keys([mail("<c@x>", refs=("<a@x>", "<b@x>"))], {"<b@x>": "<k@x>"})
    assert keys == {"<c@x>": "<k@x>"}
    # A message already filed keeps its key when it is fetched again.
    again = thread_keys([mail("<b@x>", refs=("<a@x>",))], {"<b@x>": "<k@x>"})
    assert again == {"<b@x>": "<k@x>"}


def test_late_arriving_root_joins_its_known_children() -> None:
    keys = thread_keys([mail("<a@x>")], {"<b@x>": "<a@x>"})
    assert keys == {"<a@x>": "<a@x>"}
    # The root arrives in the same batch as a child filed under another key.
    keys = thread_keys([mail("<a@x>"), mail("<b@x>", refs=("<a@x>",))], {"<b@x>": "<k@x>"})
    assert keys == {"<a@x>": "<k@x>", "<b@x>": "<k@x>"}


def test_message_bridging_two_known_threads_keeps_each_message_in_its_own() -> None:
    known = {"<a@x>": "<a@x>", "<b@x>": "<b@x>"}
    keys = thread_keys([mail("<c@x>", refs=("<a@x>", "<b@x>"))], known)
    assert keys == {"<c@x>": "<b@x>"}  # the nearest filed ancestor


def test_unrelated_mails_stay_apart() -> None:
    keys = thread_keys([mail("<a@x>", subject="One"), mail("<b@x>", subject="Two")], {})
    assert keys == {"<a@x>": "<a@x>", "<b@x>": "<b@x>"}


def test_duplicate_message_ids_map_once() -> None:
    keys = thread_keys([mail("<a@x>"), mail("<a@x>"), mail("<b@x>", refs=("<a@x>",))], {})
    assert keys == {"<a@x>": "<a@x>", "<b@x>": "<a@x>"}


def test_synthetic_ids_thread_like_any_other() -> None:
    lone = parse_message(read("no-message-id.eml"))
    assert thread_keys([lone], {}) == {lone.message_id: lone.message_id}


# --------------------------------------------------------------------------- cycles


def test_reference_cycle_terminates_in_one_thread() -> None:
    mails = samples(*CYCLE_FILES)
    for order in itertools.permutations(mails):
        keys = thread_keys(list(order), {})
        assert set(keys) == {m.message_id for m in mails}
        assert len(set(keys.values())) == 1
        assert next(iter(keys.values())) in {m.message_id for m in mails}


def test_long_cycles_and_self_references() -> None:
    n = 500
    ring = [
        mail(f"<{i}@ring>", refs=(f"<{(i + 1) % n}@ring>", f"<{(i + 2) % n}@ring>"))
        for i in range(n)
    ]
    ring.append(mail("<self@ring>", refs=("<self@ring>",), irt=("<self@ring>",)))
    keys = thread_keys(ring, {})
    assert len(keys) == n + 1
    assert len({keys[m.message_id] for m in ring[:n]}) == 1
    assert keys["<self@ring>"] == "<self@ring>"


# --------------------------------------------------------------------------- scale


def _synthetic_mailbox(threads: int, per_thread: int, seed: int) -> list[ParsedMail]:
    rng = random.Random(seed)
    out: list[ParsedMail] = []
    for t in range(threads):
        ids = [f"<t{t}.m{m}@scale.example>" for m in range(per_thread)]
        for m, mid in enumerate(ids):
            parent = ids[rng.randrange(m)] if m else None
            refs = tuple(ids[: ids.index(parent) + 1]) if parent else ()
            irt = (parent,) if parent else ()
            if m and m % 7 == 0:
                refs = ()  # some clients send only In-Reply-To
            out.append(mail(mid, refs=refs, irt=irt, subject=f"Re: topic {t}", minutes=t + m))
    rng.shuffle(out)
    return out


@pytest.mark.no_cover  # large: coverage's tracing would triple the time
@pytest.mark.parametrize("seed", [1, 2])
def test_ten_thousand_messages_in_2500_threads(seed: int) -> None:
    mails = _synthetic_mailbox(2500, 4, seed)
    keys = thread_keys(mails, {})
    assert len(keys) == 10_000
    assert len(set(keys.values())) == 2500
    assert all(v.startswith("<t") and v.endswith(".m0@scale.example>") for v in keys.values())
    assert all(k.split(".")[0] == v.split(".")[0] for k, v in keys.items())


@pytest.mark.no_cover  # timed: coverage's tracing would triple the time
def test_one_very_long_thread_is_fast() -> None:
    n = 2000
    ids = [f"<{i}@long>" for i in range(n)]
    mails = [mail(ids[i], refs=tuple(ids[:i]), subject="Re: long", minutes=i) for i in range(n)]
    started = time.perf_counter()
    keys = thread_keys(list(reversed(mails)), {})
    assert set(keys.values()) == {"<0@long>"}
    assert time.perf_counter() - started < 3


def test_hostile_reference_lists_stay_fast_and_keep_the_root() -> None:
    refs = tuple(f"<{i}@huge>" for i in range(50_000))
    started = time.perf_counter()
    keys = thread_keys([mail("<me@huge>", refs=refs), mail("<next@huge>", irt=("<me@huge>",))], {})
    assert keys == {"<me@huge>": "<0@huge>", "<next@huge>": "<0@huge>"}
    assert time.perf_counter() - started < 1.5

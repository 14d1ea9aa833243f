"""Threading parsed mail into conversations: headers first, subject only as a fallback."""

from __future__ import annotations

import itertools
import random
import time
from datetime import UTC, datetime, timedelta

import pytest

from herocli.channels.mail.parse import ParsedMail, parse_message
from herocli.channels.mail.threading import SubjectIndex, subject_key, thread_keys
from tests.mail_samples import CYCLE_FILES, THREAD_FILES, THREAD_ROOT, read

T0 = datetime(2024, 1, 1, 9, 0, tzinfo=UTC)


def mail(
    mid: str,
    *,
    refs: tuple[str, ...] = (),
    irt: tuple[str, ...] = (),
    subject: str = "Help",
    sender: str = "cust@x.example",
    to: tuple[str, ...] = ("hey@herocli.test",),
    minutes: int | None = 0,
) -> ParsedMail:
    return ParsedMail(
        message_id=mid,
        in_reply_to=irt,
        references=refs,
        subject=subject,
        from_name="",
        from_addr=sender,
        to=to,
        cc=(),
        reply_to=(),
        date=None if minutes is None else T0 + timedelta(minutes=minutes),
        text="",
        display_text="",
        attachments=(),
        defects=(),
    )


def samples(*names: str) -> list[ParsedMail]:
    return [parse_message(read(name)) for name in names]


# --------------------------------------------------------------------------- real shapes


def test_outlook_gmail_apple_thread_is_one_conversation() -> None:
    mails = samples(*THREAD_FILES)
    keys = thread_keys(mails, {})
    assert set(keys) == {m.message_id for m in mails}
    assert set(keys.values()) == {THREAD_ROOT}


def test_thread_does_not_depend_on_arrival_order() -> None:
    mails = samples(*THREAD_FILES)
    for order in itertools.islice(itertools.permutations(mails), 0, None, 37):
        assert set(thread_keys(list(order), {}).values()) == {THREAD_ROOT}


def test_thread_split_across_syncs_joins_through_known_ids() -> None:
    mails = samples(*THREAD_FILES)
    first = thread_keys(mails[:2], {})
    assert set(first.values()) == {THREAD_ROOT}
    # Second sync: only the Outlook reply onwards; it refers to the hero's reply.
    second = thread_keys(mails[2:], first, {subject_key(mails[0]): THREAD_ROOT})
    assert set(second.values()) == {THREAD_ROOT}
    # Each message alone, as if every sync brought exactly one new mail.
    known: dict[str, str] = {}
    subjects: dict[str, str] = {}
    for m in mails:
        got = thread_keys([m], known, subjects)
        assert got == {m.message_id: THREAD_ROOT}
        known.update(got)
        subjects[subject_key(m)] = got[m.message_id]


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


# --------------------------------------------------------------------------- subject fallback


def test_subject_fallback_only_for_replies_without_headers() -> None:
    original = mail("<a@x>", subject="Export fails", minutes=0)
    answer = mail(
        "<b@x>",
        subject="Re: Export fails",
        sender="hey@herocli.test",
        to=("cust@x.example",),
        minutes=10,
    )
    fresh = mail("<c@x>", subject="Export fails", minutes=20)  # a new mail, same subject
    keys = thread_keys([fresh, answer, original], {})
    assert keys["<b@x>"] == "<a@x>"  # participants match either way round
    assert keys["<c@x>"] == "<c@x>"
    # A later header-less reply joins the newest conversation with that subject.
    late = mail("<d@x>", subject="AW: export  FAILS", minutes=30)
    assert thread_keys([original, answer, fresh, late], {})["<d@x>"] == "<c@x>"


def test_subject_index_carries_the_newest_thread_from_batch_to_batch() -> None:
    original = mail("<a@x>", subject="Export fails", minutes=0)
    fresh = mail("<c@x>", subject="Export fails", minutes=20)
    index = SubjectIndex()
    thread_keys([original, fresh], {}, index)
    assert index.get(subject_key(fresh)) == "<c@x>"
    # A later batch with an older message of the first thread does not take the subject back.
    answer = mail("<b@x>", irt=("<a@x>",), subject="Re: Export fails", minutes=10)
    thread_keys([answer], {"<a@x>": "<a@x>", "<c@x>": "<c@x>"}, index)
    assert index.get(subject_key(fresh)) == "<c@x>"
    late = mail("<d@x>", subject="Re: Export fails", minutes=30)
    assert thread_keys([late], {}, index)["<d@x>"] == "<c@x>"
    # Newer mail in the first thread makes it the newest again.
    again = mail("<e@x>", irt=("<b@x>",), subject="Re: Export fails", minutes=40)
    thread_keys([again], {"<b@x>": "<a@x>"}, index)
    later = mail("<f@x>", subject="Re: Export fails", minutes=50)
    assert thread_keys([later], {}, index)["<f@x>"] == "<a@x>"


def test_subject_fallback_needs_the_same_participants() -> None:
    keys = thread_keys(
        [
            mail("<a@x>", subject="Invoice"),
            mail("<b@x>", subject="Re: Invoice", sender="other@y.example", minutes=5),
        ],
        {},
    )
    assert keys["<b@x>"] == "<b@x>"


def test_subject_fallback_never_overrides_headers() -> None:
    keys = thread_keys(
        [
            mail("<a@x>", subject="Help"),
            mail("<q@x>", subject="Other"),
            mail("<b@x>", subject="Re: Help", irt=("<q@x>",), minutes=3),
        ],
        {},
    )
    assert keys["<b@x>"] == "<q@x>"


def test_subject_fallback_across_syncs() -> None:
    earlier = mail("<a@x>", subject="Help")
    later = mail("<b@x>", subject="Re: Help", minutes=60)
    assert thread_keys([later], {}, {subject_key(earlier): "<a@x>"}) == {"<b@x>": "<a@x>"}
    # A header-less reply with children in the same batch moves with its children.
    child = mail("<c@x>", refs=("<b@x>",), subject="Re: Help", minutes=61)
    keys = thread_keys([later, child], {}, {subject_key(earlier): "<a@x>"})
    assert keys == {"<b@x>": "<a@x>", "<c@x>": "<a@x>"}


def test_subject_fallback_without_reply_prefix_when_asked() -> None:
    batch = [mail("<a@x>"), mail("<b@x>", minutes=5)]
    assert thread_keys(batch, {})["<b@x>"] == "<b@x>"
    assert thread_keys(batch, {}, require_reply_subject=False)["<b@x>"] == "<a@x>"


def test_empty_subject_never_merges() -> None:
    keys = thread_keys([mail("<a@x>", subject=""), mail("<b@x>", subject="Re:", minutes=1)], {})
    assert keys == {"<a@x>": "<a@x>", "<b@x>": "<b@x>"}
    assert subject_key(mail("<a@x>", subject="Re: ")) == ""


def test_undated_mail_is_threaded_after_dated_mail() -> None:
    keys = thread_keys([mail("<b@x>", subject="Re: Help", minutes=None), mail("<a@x>")], {})
    assert keys["<b@x>"] == "<a@x>"


def test_subject_key_ignores_prefixes_case_and_order_of_people() -> None:
    a = mail("<a@x>", subject="Help", sender="c@x", to=("h@x",))
    b = mail("<b@x>", subject="RE: [list] help", sender="h@x", to=("c@x",))
    assert subject_key(a) == subject_key(b)


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


@pytest.mark.parametrize("seed", [1, 2])
def test_ten_thousand_messages_in_2500_threads(seed: int) -> None:
    mails = _synthetic_mailbox(2500, 4, seed)
    started = time.perf_counter()
    keys = thread_keys(mails, {})
    elapsed = time.perf_counter() - started
    assert len(keys) == 10_000
    assert len(set(keys.values())) == 2500
    assert all(v.startswith("<t") and v.endswith(".m0@scale.example>") for v in keys.values())
    assert all(k.split(".")[0] == v.split(".")[0] for k, v in keys.items())
    assert elapsed < 2, f"threading 10,000 messages took {elapsed:.2f}s"


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

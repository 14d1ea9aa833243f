"""Group parsed mail into conversations: JWZ-style threading by Message-ID, cycle-safe.

A thread's key is the Message-ID of its root, even when the root itself was never seen
(the first message a References chain names). Messages filed by earlier syncs are passed in
``known`` so that a reply joins the thread its parent already belongs to. Only a mail with
neither In-Reply-To nor References falls back to the subject: if its subject is a reply
("Re: …") it joins the thread with the same normalised subject and participants that had
such mail most recently, within a batch and across syncs alike (``SubjectIndex``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from herocli.channels.mail.parse import ParsedMail
from herocli.channels.mail.subjects import is_reply_subject, normalise_subject

__all__ = ["SubjectIndex", "subject_key", "thread_keys"]

_LATE = datetime.max.replace(tzinfo=UTC)
_MAX_REFERENCES = 500


class _Container:
    __slots__ = ("children", "id", "mail", "parent")

    def __init__(self, mid: str) -> None:
        self.id = mid
        self.mail: ParsedMail | None = None
        self.parent: _Container | None = None
        self.children: list[_Container] = []


def subject_key(mail: ParsedMail) -> str:
    """Normalised subject plus participants (sender and To), or "" when the subject is empty."""
    subject = normalise_subject(mail.subject)
    if not subject:
        return ""
    people = sorted({a for a in (mail.from_addr, *mail.to) if a})
    return subject + "\x1f" + ",".join(people)


class SubjectIndex:
    """Subject key → the thread that most recently had mail with that subject, and when.

    ``threads`` and ``times`` (POSIX seconds) are the caller's dicts, updated in place, so
    that what one batch learns carries to the next. A mail older than the one recorded does
    not take the subject over; a mail without a date counts as the newest, as it sorts last
    within a batch.
    """

    def __init__(
        self, threads: dict[str, str] | None = None, times: dict[str, int] | None = None
    ) -> None:
        self.threads = threads if threads is not None else {}
        self.times = times if times is not None else {}

    def get(self, key: str) -> str | None:
        """The thread key recorded for subject ``key``, if any."""
        return self.threads.get(key)

    def note(self, key: str, thread: str, when: datetime | None) -> None:
        """Record that ``thread`` had mail with subject ``key`` at ``when``, unless later mail did."""
        last = self.times.get(key)
        stamp = int(when.timestamp()) if when is not None else None
        if stamp is not None and last is not None and stamp < last:
            return
        self.threads[key] = thread
        if stamp is None:
            self.times.pop(key, None)
        else:
            self.times[key] = stamp


def _is_ancestor(candidate: _Container, node: _Container) -> bool:
    """True when ``candidate`` is ``node`` or one of its ancestors."""
    if candidate is not node and not candidate.children:
        return False  # a leaf is nobody's ancestor: the common case, answered without a walk
    seen = 0
    current: _Container | None = node
    while current is not None:
        if current is candidate:
            return True
        current = current.parent
        seen += 1
        if seen > 1_000_000:  # defensive: links are kept acyclic, so this never happens
            return True
    return False


def _link(parent: _Container, child: _Container) -> None:
    if child.parent is not None:
        child.parent.children.remove(child)
    child.parent = parent
    parent.children.append(child)


def _build(mails: Sequence[ParsedMail]) -> tuple[dict[str, _Container], list[_Container]]:
    table: dict[str, _Container] = {}

    def container(mid: str) -> _Container:
        found = table.get(mid)
        if found is None:
            found = table[mid] = _Container(mid)
        return found

    order: list[_Container] = []
    for mail in mails:
        this = container(mail.message_id)
        if this.mail is not None:
            continue  # the same message seen twice (two folders): the first copy threads it
        this.mail = mail
        order.append(this)
        refs = list(mail.references)
        for mid in mail.in_reply_to:
            if mid not in refs:
                refs.append(mid)
        refs = [r for r in refs if r != mail.message_id]
        if len(refs) > _MAX_REFERENCES:
            # Keep the root and the nearest ancestors; hostile headers stay cheap.
            refs = [refs[0], *refs[-(_MAX_REFERENCES - 1) :]]
        previous: _Container | None = None
        for mid in refs:
            current = container(mid)
            # Links already made stay: an earlier message knew its own parent better.
            if (
                previous is not None
                and current.parent is None
                and not _is_ancestor(current, previous)
            ):
                _link(previous, current)
            previous = current
        # The last reference is this message's parent, unless that would close a loop.
        if (
            previous is not None
            and this.parent is not previous
            and not _is_ancestor(this, previous)
        ):
            _link(previous, this)
    return table, order


def _root(node: _Container) -> _Container:
    while node.parent is not None:
        node = node.parent
    return node


def _tree_known_key(root: _Container, known: Mapping[str, str]) -> str | None:
    """The known thread key closest to the root of this tree (breadth first), if any."""
    level = [root]
    while level:
        for node in level:
            key = known.get(node.id)
            if key is not None:
                return key
        level = [child for node in level for child in node.children]
    return None


def thread_keys(
    mails: Sequence[ParsedMail],
    known: Mapping[str, str],
    known_subjects: Mapping[str, str] | SubjectIndex | None = None,
    *,
    require_reply_subject: bool = True,
) -> dict[str, str]:
    """Map each mail's message_id to its thread key (the Message-ID of the thread's root).

    ``known`` maps message ids already filed (from earlier syncs) to their thread key: a mail
    that refers to a known id joins that thread. ``known_subjects`` maps ``subject_key`` values
    to thread keys for the subject fallback across syncs; a ``SubjectIndex`` given here is
    updated with what this batch says about each subject. The fallback applies only to a mail
    with neither In-Reply-To nor References and, unless ``require_reply_subject`` is False,
    only when its subject is a reply ("Re: …"): a fresh mail with a reused subject is a new
    conversation.
    """
    table, order = _build(mails)

    tree_key: dict[int, str] = {}
    has_known: set[int] = set()
    result: dict[str, str] = {}
    for node in order:
        root = _root(node)
        rid = id(root)
        if rid not in tree_key:
            found = _tree_known_key(root, known)
            if found is not None:
                has_known.add(rid)
            tree_key[rid] = found if found is not None else root.id
        # A mail (or an ancestor of it) filed before keeps that thread even if the tree
        # now bridges two earlier threads.
        own: str | None = None
        walk: _Container | None = node
        while walk is not None:
            own = known.get(walk.id)
            if own is not None:
                break
            walk = walk.parent
        if own is not None:
            result[node.id] = own

    # Subject fallback, oldest first so a reply joins the latest thread active before it.
    if isinstance(known_subjects, SubjectIndex):
        subjects = known_subjects
    else:
        subjects = SubjectIndex(dict(known_subjects or {}))
    dates = [(node.mail.date if node.mail and node.mail.date else _LATE) for node in order]
    chronological = sorted(range(len(order)), key=lambda n: (dates[n], n))
    for n in chronological:
        node = order[n]
        mail = node.mail
        assert mail is not None
        root = _root(node)
        rid = id(root)
        key = subject_key(mail)
        if (
            key
            and node.parent is None
            and not mail.in_reply_to
            and not mail.references
            and rid not in has_known
            and node.id not in result
            and (not require_reply_subject or is_reply_subject(mail.subject))
        ):
            target = subjects.get(key)
            if target is not None and target != tree_key[rid]:
                tree_key[rid] = target
                has_known.add(rid)
        if key:
            subjects.note(key, result.get(node.id, tree_key[rid]), mail.date)

    for node in order:
        if node.id not in result:
            result[node.id] = tree_key[id(_root(node))]
    del table
    return result

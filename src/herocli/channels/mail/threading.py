"""Group parsed mail into conversations: JWZ-style threading by Message-ID, cycle-safe.

A thread's key is the Message-ID of its root, even when the root itself was never seen
(the first message a References chain names). Messages filed by earlier syncs are passed in
``known`` so that a reply joins the thread its parent already belongs to. Subjects play
no part here: the queue weighs that looser evidence (see ``conversations``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from herocli.channels.mail.parse import ParsedMail

__all__ = ["thread_keys"]

_MAX_REFERENCES = 500


class _Container:
    __slots__ = ("children", "id", "mail", "parent")

    def __init__(self, mid: str) -> None:
        self.id = mid
        self.mail: ParsedMail | None = None
        self.parent: _Container | None = None
        self.children: list[_Container] = []


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


def thread_keys(mails: Sequence[ParsedMail], known: Mapping[str, str]) -> dict[str, str]:
    """Map each mail's message_id to its thread key (the Message-ID of the thread's root).

    ``known`` maps message ids already filed (from earlier syncs) to their thread key: a mail
    that refers to a known id joins that thread.
    """
    _table, order = _build(mails)
    tree_key: dict[int, str] = {}
    result: dict[str, str] = {}
    for node in order:
        root = _root(node)
        rid = id(root)
        if rid not in tree_key:
            found = _tree_known_key(root, known)
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
        result[node.id] = own if own is not None else tree_key[rid]
    return result

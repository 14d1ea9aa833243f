"""Hand-written mail in the shapes real clients produce, for parsing tests and IMAP APPEND.

The .eml files live in tests/data/mail/ with LF line endings; the functions here return them
with CRLF line endings, as IMAP APPEND and SMTP expect. Bytes are otherwise untouched, so
8-bit headers, wrong charsets and truncated structures reach the server as written.
"""

from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).parent / "data" / "mail"

#: One support conversation, oldest first: Gmail original, the hero's reply, an Outlook
#: reply, an Apple Mail reply, a Gmail reply without References, and a web-mailer reply
#: with neither References nor In-Reply-To (threaded only by subject and participants).
THREAD_FILES = (
    "thread-01-gmail-original.eml",
    "thread-02-hero-reply.eml",
    "thread-03-outlook-reply.eml",
    "thread-04-apple-reply.eml",
    "thread-05-gmail-no-references.eml",
    "thread-06-subject-only.eml",
)
#: Three messages whose References form a loop (a → b → a, c → itself).
CYCLE_FILES = ("cycle-a.eml", "cycle-b.eml", "cycle-c.eml")
MALFORMED_FILES = (
    "bad-charset.eml",
    "wrong-charset.eml",
    "missing-boundary.eml",
    "truncated.eml",
    "8bit-headers.eml",
    "no-message-id.eml",
    "garbage.eml",
    "headers-only.eml",
    "bad-date-and-addresses.eml",
)
OTHER_FILES = ("html-only.eml", "attachments.eml")

#: Message-ID of the root of THREAD_FILES: every message of the thread gets it as thread key.
THREAD_ROOT = "<CAJx7Q2u9fWq+Kp3rT0bN1yJc8A@mail.gmail.com>"


def crlf(raw: bytes) -> bytes:
    """Return ``raw`` with every line ending as CRLF."""
    return raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def read(name: str, *, wire: bool = False) -> bytes:
    """The bytes of one sample file, with CRLF line endings when ``wire``."""
    raw = (DATA / name).read_bytes()
    return crlf(raw) if wire else raw


def thread_samples() -> list[bytes]:
    """The support thread in Outlook/Gmail/Apple Mail shapes plus a reference cycle (CRLF)."""
    return [read(name, wire=True) for name in (*THREAD_FILES, *CYCLE_FILES)]


def malformed_messages() -> list[bytes]:
    """Messages with a bad charset, missing boundary, truncation, 8-bit headers, no Message-ID,
    garbage bytes, no body, broken Date and addresses (CRLF, no NUL bytes)."""
    return [read(name, wire=True) for name in MALFORMED_FILES]


def all_samples() -> list[bytes]:
    """Every sample message (CRLF)."""
    names = (*THREAD_FILES, *CYCLE_FILES, *MALFORMED_FILES, *OTHER_FILES)
    return [read(name, wire=True) for name in names]

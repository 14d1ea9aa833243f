"""One error hierarchy, and the exit code each error maps to.

Every failure a user can cause or meet (bad config, unknown item, missing
token, unreachable server) is a ``HeroError``: the CLI prints its message and
hint on stderr and exits with its code, without a traceback (unless --debug).
"""

from __future__ import annotations

from datetime import datetime
from enum import IntEnum

from herocli.records import record


class ExitCode(IntEnum):
    """Documented in docs/exit-codes.md; keep the two in step."""

    OK = 0
    ERROR = 1  # a channel, network or remote failure; a sync where a channel failed
    USAGE = 2  # bad command-line arguments
    CONFIG = 3  # the config file is missing or invalid
    AUTH = 4  # a credential is missing, rejected or expired
    NOT_FOUND = 5  # unknown item number, member or target
    CANCELLED = 6  # the user declined or gave an empty reply; nothing was sent
    INTERRUPTED = 130  # Ctrl-C


class HeroError(Exception):
    """Base of every error the CLI reports as a message rather than a traceback."""

    exit_code: ExitCode = ExitCode.ERROR

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        # Messages often quote a library's error, which may quote a credential.
        from herocli.redact import redact  # here: a run that meets no error never loads it

        message = redact(message)
        super().__init__(message)
        self.message = message
        self.hint = redact(hint) if hint else hint


class UsageError(HeroError):
    exit_code = ExitCode.USAGE


@record
class ConfigProblem:
    """One thing wrong with a config file: where, which key, and what."""

    file: str
    key: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"


class ConfigError(HeroError):
    exit_code = ExitCode.CONFIG

    def __init__(self, problems: list[ConfigProblem], *, hint: str | None = None) -> None:
        self.problems = list(problems)
        lines = [str(p) for p in self.problems]
        head = "invalid configuration" if len(lines) != 1 else lines[0]
        body = "\n".join(f"  {line}" for line in lines) if len(lines) > 1 else ""
        super().__init__(f"{head}\n{body}".rstrip(), hint=hint)


class AuthError(HeroError):
    """A credential is missing, rejected or expired. Name the variable to set."""

    exit_code = ExitCode.AUTH


class NotFoundError(HeroError):
    exit_code = ExitCode.NOT_FOUND


class CancelledError(HeroError):
    exit_code = ExitCode.CANCELLED


class ChannelError(HeroError):
    """A channel could not do what was asked: network fault, server error, bad answer."""


class UnreachableError(ChannelError):
    """The server could not be reached at all (DNS, refused, timeout)."""


class RateLimitedError(ChannelError):
    """The channel asked us to wait longer than we are willing to."""

    def __init__(self, message: str, *, retry_after: float, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.retry_after = retry_after


class PartlyFailedError(ChannelError):
    """Some parts of one job failed (two of three Slack channels, say); the rest was done.

    The exit code is the parts' shared code, else ``ERROR``; each part is named in the message.
    """

    def __init__(self, failures: list[HeroError]) -> None:
        self.failures = list(failures)
        codes = {f.exit_code for f in self.failures}
        self.exit_code = codes.pop() if len(codes) == 1 else ExitCode.ERROR
        hints = list(dict.fromkeys(f.hint for f in self.failures if f.hint))
        super().__init__("; ".join(f.message for f in self.failures), hint="; ".join(hints) or None)


class UncertainError(ChannelError):
    """A write may or may not have reached its recipient, and the channel cannot tell.

    Email's SMTP gives no way to ask "did you get it?": when the connection is
    lost after the message was handed over, or a crash left the Sent copy
    marked as sending, the outbox parks the entry as *uncertain* and resends
    only when the hero says so. ``sent_id`` is the id the message has upstream if
    it went out, ``sent_at`` when it was handed over, where the channel knows.
    """

    sent_id: str | None = None
    sent_at: datetime | None = None

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        sent_id: str | None = None,
        sent_at: datetime | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.sent_id = sent_id
        self.sent_at = sent_at


class NotSupportedError(ChannelError):
    """The channel has no such operation (for instance labels on email)."""


class InternalError(HeroError):
    """Something went wrong that herocli did not expect: a bug to report, not a user mistake."""


def internal_error(where: str, exc: BaseException) -> InternalError:
    """The one line an unexpected exception becomes: where it happened and its type only.

    Its text is left out: it may quote anything, a credential included; --debug
    shows the traceback (redacted) for the report.
    """
    error = InternalError(
        f"internal error in {where}: {type(exc).__name__}",
        hint="run with --debug and report it",
    )
    error.__cause__ = exc
    return error


class StoreError(HeroError):
    """The queue database could not be opened or is from a newer herocli."""

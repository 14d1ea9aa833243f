"""A first sync's parsing and threading done in a second process, so it runs on one
core while the queue is written on another.

A first sync of a big mailbox is CPU-bound: parsing and threading the mail is about
half of it, storing it the other half. ``Worker`` runs one function over each batch in
a worker process, and hands the result back when the caller asks, so the worker works
on the next batches while the caller stores the last one.

The worker is forked from this process (on Linux): it shares the interpreter's memory
and modules instead of loading its own, and starts with the caller's state. It only
computes: it never touches the queue, the IMAP session or the terminal it inherited;
it leaves every inherited object to the parent (``gc.freeze``, and ``os._exit``
without clean-up, so no finaliser of the parent's runs twice); it ends at the end of
its input, and so when its parent dies. Each frame on its pipes is an 8-byte length
and a pickle, the batch in and the result out; nothing else writes to those pipes, so
nothing untrusted is unpickled.

Whatever goes wrong with the worker (it cannot start, it dies, its answer is short),
the batch in hand is done in this process, and so is every later one. The function
must therefore give the same result in either process: what it changes in its own
state it returns, for the caller to note in the parent's state.
"""

from __future__ import annotations

import gc
import os
import pickle
import queue
import signal
import struct
import sys
import threading
import warnings
from collections import deque
from collections.abc import Callable
from contextlib import suppress
from typing import IO, Generic, TypeVar

__all__ = ["Job", "Worker"]

A = TypeVar("A")
R = TypeVar("R")

_HEAD = struct.Struct(">Q")
#: Pipe buffer asked for: about one batch of raw mail, so it crosses in a write or two.
_PIPE_BYTES = 1 << 20


class WorkerLostError(Exception):
    """The worker process is gone or answered something that is not a frame."""


def _frame(value: object) -> bytes:
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    return _HEAD.pack(len(data)) + data


def _send(pipe: IO[bytes], value: object) -> None:
    pipe.write(_frame(value))
    pipe.flush()


def _receive(pipe: IO[bytes]) -> object:
    """The next frame's value; ``EOFError`` at the end of input."""
    head = pipe.read(_HEAD.size)
    if not head:
        raise EOFError
    if len(head) < _HEAD.size:
        raise WorkerLostError("short frame header")
    (size,) = _HEAD.unpack(head)
    data = pipe.read(size)
    if len(data) < size:
        raise WorkerLostError("short frame")
    value: object = pickle.loads(data)  # noqa: S301 - our own worker's pipe (module docstring)
    return value


def _serve(work: Callable[[A], R], inbound: int, outbound: int) -> None:
    """The worker's loop: each batch read is answered with ``work``'s result."""
    with os.fdopen(inbound, "rb") as reader, os.fdopen(outbound, "wb") as writer:
        while True:
            try:
                arg = _receive(reader)
            except EOFError:
                return
            _send(writer, work(arg))  # type: ignore[arg-type]
            del arg  # before the next batch is read in, not after


def _fork(work: Callable[[A], R]) -> tuple[int, IO[bytes], IO[bytes]] | None:
    """A forked worker's pid and the pipes to it and from it; None where there is no fork."""
    if not sys.platform.startswith("linux"):
        return None  # elsewhere fork is unsafe or missing: the work is done in this process
    import fcntl

    to_worker, from_worker = os.pipe(), os.pipe()
    for fd in (to_worker[1], from_worker[1]):
        with suppress(OSError):  # a bigger pipe where the system allows it
            fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, _PIPE_BYTES)
    try:
        with warnings.catch_warnings():
            # Python 3.12+ warns when a process with threads forks (a lock another thread
            # held stays held in the child). The worker takes none of theirs: it only
            # computes, writes to its own pipe and never to the terminal.
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
    except OSError:
        for fd in (*to_worker, *from_worker):
            os.close(fd)
        return None
    if pid == 0:  # the worker
        status = 1
        try:
            gc.freeze()
            warnings.simplefilter("ignore")  # a warning would write to the inherited stderr
            os.close(to_worker[1])
            os.close(from_worker[0])
            _serve(work, to_worker[0], from_worker[1])
            status = 0
        finally:
            os._exit(status)
    os.close(to_worker[0])
    os.close(from_worker[1])
    return pid, os.fdopen(to_worker[1], "wb"), os.fdopen(from_worker[0], "rb")


class Job(Generic[A, R]):
    """One batch given to a ``Worker``; ``result`` waits for it."""

    def __init__(self, worker: Worker[A, R], arg: A) -> None:
        self._worker = worker
        self.arg = arg

    def result(self) -> R:
        """``work(arg)``, from the worker process or done here. Jobs are asked in the
        order they were submitted."""
        return self._worker.collect(self)


class _Writer:
    """Sends frames to the worker from a thread of its own, so ``submit`` never waits:
    the worker takes the next batch as soon as it is done with one, while this process
    is busy storing, and neither side can block the other on a full pipe."""

    def __init__(self, pipe: IO[bytes]) -> None:
        self._pipe = pipe
        self._frames: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="hero-mail-worker", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        with suppress(OSError):  # the worker is gone: the reading side finds out
            while (frame := self._frames.get()) is not None:
                self._pipe.write(frame)
                self._pipe.flush()

    def send(self, value: object) -> None:
        self._frames.put(_frame(value))

    def close(self) -> None:
        """Stop once what was sent is written (or the worker is gone), and close the pipe."""
        self._frames.put(None)
        self._thread.join()
        with suppress(OSError):
            self._pipe.close()


class Worker(Generic[A, R]):
    """Runs ``work`` over batches, in a forked worker process when one was started."""

    def __init__(self, work: Callable[[A], R], forked: bool) -> None:
        self._work = work
        process = _fork(work) if forked else None
        self._pid = process[0] if process is not None else None
        self._writer = _Writer(process[1]) if process is not None else None
        self._reader = process[2] if process is not None else None
        self._waiting: deque[Job[A, R]] = deque()  # sent, in order, results not yet read

    @property
    def pid(self) -> int | None:
        """The worker process's id, while batches go to it."""
        return self._pid

    def submit(self, arg: A) -> Job[A, R]:
        """Give ``arg`` to the worker, without waiting."""
        job = Job(self, arg)
        if self._writer is not None:
            self._writer.send(arg)
            self._waiting.append(job)
        return job

    def collect(self, job: Job[A, R]) -> R:
        """The result of ``job``, the oldest one whose result was not taken yet. While the
        worker is there, every job was sent to it; once it is gone, each is done here."""
        if self._reader is not None:
            oldest = self._waiting.popleft()
            assert oldest is job, "results are taken in the order the jobs were submitted"
            try:
                value: R = _receive(self._reader)  # type: ignore[assignment]
                return value
            except (OSError, EOFError, WorkerLostError, pickle.UnpicklingError):
                self.close()
        return self._work(job.arg)

    def close(self) -> None:
        """End the worker: at the end of its input it exits; one still working is killed."""
        pid, writer, reader = self._pid, self._writer, self._reader
        self._pid = self._writer = self._reader = None
        if pid is None or writer is None or reader is None:
            return
        if self._waiting:  # its answers are not wanted any more
            self._waiting.clear()
            with suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        writer.close()
        with suppress(OSError):
            reader.close()
        with suppress(ChildProcessError):
            os.waitpid(pid, 0)

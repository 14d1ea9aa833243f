"""What a first email sync costs: 10,000 messages in 2,500 threads on Dovecot.

Reports the first sync's wall time, CPU and memory (channel only, and through
the sync service into a real queue file), the IMAP commands of a re-sync with
nothing new (in the same session and from a fresh process), and the same first
sync done by ``mbsync`` (isync) into a Maildir as the reference. The first
sync into the queue and mbsync's run in paired rounds (``--runs``, 5 by
default) and the medians are compared, as the machine may be shared.
A sync this big parses and threads in a forked worker process: its CPU is
added to hero's, and memory is the peak PSS of both processes together (shared
pages split between them), sampled in a run of its own; the sum of their peak
RSS, which counts shared pages twice, is printed beside it.
Needs root and Dovecot (``apt-get install dovecot-imapd isync``).
Run: ``python benchmarks/email_sync.py [--runs 5]``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

THREADS = 2_500
PER_THREAD = 4
PASSWORD_ENV = "BENCH_IMAP_PASSWORD"
WORDS = [
    "export",
    "invoice",
    "webhook",
    "timeout",
    "login",
    "password",
    "reset",
    "billing",
    "account",
    "project",
    "team",
    "please",
    "could",
    "you",
    "check",
    "again",
    "error",
    "message",
    "since",
    "yesterday",
    "thanks",
    "regards",
    "the",
    "a",
    "to",
    "of",
    "and",
    "we",
    "our",
    "is",
    "not",
    "working",
    "after",
    "update",
    "version",
    "settings",
    "integration",
    "customer",
]


def messages() -> list[bytes]:
    rng = random.Random(4)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    out = []
    for t in range(THREADS):
        customer = f"customer{t % 900}@example{t % 37}.com"
        subject = f"{rng.choice(WORDS).title()} {rng.choice(WORDS)} issue #{t}"
        ids: list[str] = []
        for n in range(PER_THREAD):
            mid = f"<t{t}.m{n}.{rng.randrange(10**9)}@example{t % 37}.com>"
            when = start + timedelta(minutes=7 * t + 90 * n)
            ours = n % 2 == 1
            body = "\r\n".join(
                " ".join(rng.choice(WORDS) for _ in range(rng.randrange(8, 16)))
                for _ in range(rng.randrange(4, 14))
            )
            if ids:
                body += "\r\n\r\nOn a day, someone wrote:\r\n> " + "quoted text " * 8
            head = [
                f"From: {'Hana <hey@acme.dev>' if ours else customer}",
                f"To: {customer if ours else 'hey@acme.dev'}",
                f"Subject: {'Re: ' if ids else ''}{subject}",
                f"Date: {format_datetime(when)}",
                f"Message-ID: {mid}",
            ]
            if ids:
                head += [f"In-Reply-To: {ids[-1]}", f"References: {' '.join(ids)}"]
            head += ["MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8"]
            out.append(("\r\n".join(head) + "\r\n\r\n" + body + "\r\n").encode())
            ids.append(mid)
    return out


def fill(server: Any) -> None:
    raws = messages()
    t0 = time.perf_counter()
    with server.client() as c:
        for i in range(0, len(raws), 500):
            c.multiappend("INBOX", raws[i : i + 500])
    print(f"seeded {len(raws)} messages in {THREADS} threads ({time.perf_counter() - t0:.1f} s)")


def child(port: int, password: str, mode: str, workdir: str) -> None:
    """One measured sync in a fresh process, so peak RSS is its own."""
    import imaplib

    from herocli.channels.mail.channel import EmailChannel
    from herocli.config import EmailSettings, TeamSettings
    from herocli.exchange import SilentProgress
    from herocli.models import SystemClock
    from herocli.secrets import EnvSecrets

    os.environ[PASSWORD_ENV] = password
    commands: list[str] = []
    original = imaplib.IMAP4._command

    def counting(self: Any, name: str, *args: Any) -> Any:
        commands.append(name)
        return original(self, name, *args)

    imaplib.IMAP4._command = counting  # type: ignore[method-assign]
    # imapclient sends ENABLE and SEARCH itself, past imaplib's _command.
    from imapclient import IMAPClient

    original_raw = IMAPClient._raw_command

    def counting_raw(self: Any, command: bytes, *args: Any, **kwargs: Any) -> Any:
        commands.append(command.decode())
        return original_raw(self, command, *args, **kwargs)

    IMAPClient._raw_command = counting_raw
    settings = EmailSettings(
        imap_host="127.0.0.1",
        imap_port=port,
        imap_security="none",
        username="hero",
        password_env=PASSWORD_ENV,
        sent_folder="none" if mode.endswith("-inbox") else "auto",
        smtp_host="127.0.0.1",
        smtp_security="none",
        from_address="hey@acme.dev",
        allow_insecure=True,
    )
    channel = EmailChannel(settings, EnvSecrets(os.environ), SystemClock())
    cursor_file = Path(workdir) / f"cursor-{mode}.json"
    result: dict[str, Any] = {}
    before = resource.getrusage(resource.RUSAGE_SELF)
    cpu0 = before.ru_utime + before.ru_stime  # imports and set-up are not the sync
    t0 = time.perf_counter()
    if mode.startswith("store"):
        from herocli.services.sync import sync_channel
        from herocli.store import Store, cursors

        store = Store.open(Path(workdir) / "queue.db")
        sync = sync_channel(store, channel, TeamSettings(), SystemClock(), SilentProgress())
        assert sync.error is None, sync.error
        result.update(items=sync.new_items, messages=sync.new_messages)
        cursor = cursors.load(store.conn, "email")
        store.close()
    else:
        conversations = messages_seen = 0
        cursor = {}
        for page in channel.fetch({}, SilentProgress()):
            conversations += len(page.conversations)
            messages_seen += sum(len(c.messages) for c in page.conversations)
            cursor = page.cursor
        result.update(conversations=conversations, messages=messages_seen)
    result["seconds"] = time.perf_counter() - t0
    cpu = resource.getrusage(resource.RUSAGE_SELF)
    # A large first sync parses in a worker process: its CPU counts too.
    worker = resource.getrusage(resource.RUSAGE_CHILDREN)
    result["cpu_seconds"] = cpu.ru_utime + cpu.ru_stime - cpu0
    result["worker_cpu_seconds"] = worker.ru_utime + worker.ru_stime
    result["cpu_seconds"] += result["worker_cpu_seconds"]
    result["worker_peak_rss_mb"] = worker.ru_maxrss / 1024
    result["first_sync_commands"] = len(commands)
    result["cursor_bytes"] = len(json.dumps(cursor))
    # A re-sync with nothing new, in the same session.
    commands.clear()
    list(channel.fetch(cursor, SilentProgress()))
    result["resync_same_session"] = list(commands)
    channel.shutdown()
    # And from a fresh connection, as the next `hero sync` would.
    commands.clear()
    fresh = EmailChannel(settings, EnvSecrets(os.environ), SystemClock())
    list(fresh.fetch(cursor, SilentProgress()))
    fresh.shutdown()
    result["resync_fresh_session"] = list(commands)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    # Both processes' peaks added: an upper bound of what they held at once.
    result["peak_rss_mb"] = usage.ru_maxrss / 1024 + result["worker_peak_rss_mb"]
    cursor_file.write_text(json.dumps(result))
    print(json.dumps(result))


def run_child(port: int, password: str, mode: str, workdir: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(port), password, mode, workdir],
        check=False,
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:
        raise SystemExit(f"the {mode} run failed:\n{out.stderr}")
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def _pss_kb(pid: int) -> int:
    """Proportional set size of ``pid`` and its children: shared pages split between them."""
    total = 0
    pids = [pid]
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        pids += [int(p) for p in task.read_text().split()]
    for one in pids:
        try:
            text = Path(f"/proc/{one}/smaps_rollup").read_text()
        except OSError:
            continue
        for line in text.splitlines():
            if line.startswith("Pss:"):
                total += int(line.split()[1])
    return total


def sampled_child(
    port: int, password: str, mode: str, workdir: str
) -> tuple[dict[str, Any], float]:
    """A run like ``run_child``, with the peak PSS (MB) of its process and its worker,
    sampled every 5 ms from here. Sampling costs the machine a little, so this run is
    not one of the timed ones."""
    proc = subprocess.Popen(
        [sys.executable, __file__, "--child", str(port), password, mode, workdir],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    peak = 0
    while proc.poll() is None:
        with contextlib.suppress(OSError):
            peak = max(peak, _pss_kb(proc.pid))
        time.sleep(0.005)
    out, err = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"the {mode} run failed:\n{err}")
    return dict(json.loads(out.strip().splitlines()[-1])), peak / 1024


def mbsync(port: int, password: str, workdir: Path) -> tuple[float, float, float]:
    """mbsync's wall seconds, peak RSS (MB) and CPU seconds for the same first sync."""
    maildir = workdir / "maildir"
    if maildir.exists():
        shutil.rmtree(maildir)
    maildir.mkdir()
    rc = workdir / "mbsyncrc"
    rc.write_text(
        f"""IMAPAccount bench
Host 127.0.0.1
Port {port}
User hero
Pass {password}
SSLType None
AuthMechs LOGIN

IMAPStore bench-remote
Account bench

MaildirStore bench-local
Path {maildir}/
Inbox {maildir}/INBOX
SubFolders Verbatim

Channel bench
Far :bench-remote:
Near :bench-local:
Patterns INBOX
Create Near
Sync Pull
SyncState *
"""
    )
    t0 = time.perf_counter()
    proc = subprocess.run(
        ["/usr/bin/time", "-f", "%M %U %S", "mbsync", "-q", "-c", str(rc), "bench"],
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"mbsync failed: {proc.stderr.strip()}")
    peak_kb, user, system = (float(x) for x in proc.stderr.strip().splitlines()[-1].split())
    count = len(list((maildir / "INBOX" / "cur").iterdir())) + len(
        list((maildir / "INBOX" / "new").iterdir())
    )
    assert count == THREADS * PER_THREAD, count
    return seconds, peak_kb / 1024, user + system


def _fresh_queue(workdir: Path) -> None:
    for name in ("queue.db", "queue.db-wal", "queue.db-shm"):
        (workdir / name).unlink(missing_ok=True)


def _median(values: list[float]) -> float:
    return statistics.median(values)


def main(runs: int) -> None:
    from tests.mail_servers import start_dovecot

    if shutil.which("dovecot") is None or os.geteuid() != 0:
        raise SystemExit("needs root and Dovecot: apt-get install -y dovecot-imapd isync")
    # Storage in memory, Dovecot's and ours: the figures are CPU and protocol, not the disk.
    root = "/dev/shm" if Path("/dev/shm").is_dir() else None
    server = start_dovecot(root)
    workdir = Path(tempfile.mkdtemp(prefix="hero-email-bench-", dir=root))
    have_mbsync = shutil.which("mbsync") is not None
    try:
        fill(server)
        channel_only = run_child(server.port, server.password, "channel", str(workdir))
        inbox_only = run_child(server.port, server.password, "channel-inbox", str(workdir))
        # Paired rounds on a shared machine: each round runs both, mbsync first in one round
        # and hero first in the next, so a warm or cold Dovecot favours neither side; the
        # figures are the medians.
        stored_runs: list[dict[str, Any]] = []
        reference: list[tuple[float, float, float]] = []
        for n in range(runs):
            if have_mbsync and n % 2 == 0:
                reference.append(mbsync(server.port, server.password, workdir))
            _fresh_queue(workdir)
            stored_runs.append(run_child(server.port, server.password, "store", str(workdir)))
            if have_mbsync and n % 2 == 1:
                reference.append(mbsync(server.port, server.password, workdir))
        wall = _median([r["seconds"] for r in stored_runs])
        cpu = _median([r["cpu_seconds"] for r in stored_runs])
        worker_cpu = _median([r["worker_cpu_seconds"] for r in stored_runs])
        rss_sum = max(r["peak_rss_mb"] for r in stored_runs)
        worker_rss = max(r["worker_peak_rss_mb"] for r in stored_runs)
        _fresh_queue(workdir)
        _, rss = sampled_child(server.port, server.password, "store", str(workdir))
        stored = stored_runs[-1]
        print()
        print("first sync, channel only (INBOX + Sent):")
        print(
            f"  {channel_only['seconds']:.2f} s wall, {channel_only['cpu_seconds']:.2f} s CPU, "
            f"peak RSS {channel_only['peak_rss_mb']:.0f} MB, "
            f"{channel_only['messages']} messages, {channel_only['first_sync_commands']} IMAP "
            f"commands, cursor {channel_only['cursor_bytes'] / 1024:.1f} KiB"
        )
        print(
            f"first sync through the sync service into the queue file (the figure that counts), "
            f"median of {runs}:"
        )
        print(
            f"  {wall:.2f} s wall, {cpu:.2f} s CPU ({worker_cpu:.2f} s of it in the parsing "
            f"worker), {stored['items']} items, {stored['messages']} messages"
        )
        print(
            f"  memory: peak PSS {rss:.0f} MB, hero and its worker together (sampled every "
            f"5 ms in a separate run); peak RSS {rss_sum - worker_rss:.0f} MB hero + "
            f"{worker_rss:.0f} MB worker = {rss_sum:.0f} MB, which counts their shared pages twice"
        )
        each = ", ".join(f"{r['seconds']:.2f}" for r in stored_runs)
        print(f"  each run: {each} s wall")
        print("re-sync with nothing new:")
        print(f"  INBOX only, same session:  {inbox_only['resync_same_session']}")
        print(f"  INBOX only, fresh session: {inbox_only['resync_fresh_session']}")
        print(f"  INBOX + Sent, same session: {channel_only['resync_same_session']}")
        print(f"  INBOX + Sent, fresh session: {channel_only['resync_fresh_session']}")
        missed = []
        if reference:
            ref_wall = _median([r[0] for r in reference])
            ref_rss = max(r[1] for r in reference)
            ref_cpu = _median([r[2] for r in reference])
            print(
                f"mbsync (isync) first sync of the same INBOX into a Maildir, median of "
                f"{len(reference)}:"
            )
            print(f"  {ref_wall:.2f} s wall, {ref_cpu:.2f} s CPU, peak RSS {ref_rss:.0f} MB")
            each = ", ".join(f"{r[0]:.2f}" for r in reference)
            print(f"  each run: {each} s wall")
            ratio = wall / ref_wall
            rounds = ", ".join(
                f"{h['seconds'] / m[0]:.1f}" for h, m in zip(stored_runs, reference, strict=True)
            )
            print()
            print(
                f"hero/mbsync wall {ratio:.1f}x (target <= 3x; round by round {rounds}); "
                f"hero CPU {cpu:.2f} s "
                f"(target <= 3 s); hero peak PSS {rss:.0f} MB (target <= 60 MB); "
                f"load average {os.getloadavg()[0]:.1f}"
            )
            if ratio > 3:
                missed.append("wall time")
        else:
            print("mbsync not installed (apt-get install isync): no reference figure")
        if cpu > 3:
            missed.append("CPU")
        if rss > 60:
            missed.append("peak RSS")
        if missed:
            raise SystemExit(f"target missed: {', '.join(missed)}")
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5])
    else:
        parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
        parser.add_argument("--runs", type=int, default=5, help="paired rounds (median)")
        main(parser.parse_args().runs)

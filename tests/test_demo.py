"""`hero demo` runs the real commands against the bundled servers, and cleans up after itself."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path

from herocli.simulators.demo import recent


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HERO_")}
    env["HOME"] = str(tmp_path / "home")
    env["COLUMNS"] = "120"
    return env


def test_demo_shows_a_real_inbox_and_replies(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "herocli", "demo", "--dir", str(tmp_path / "demo")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=_env(tmp_path),
    )
    assert done.returncode == 0, done.stderr
    rows = [line.split("\t") for line in done.stdout.splitlines() if "\t" in line]
    channels = {row[1] for row in rows}
    assert channels == {"github", "email", "slack"}, done.stdout
    assert "✓ reply" in done.stderr
    assert "Traceback" not in done.stderr
    # After the reply the item waits on them: the last listing shows it so.
    replied = done.stderr.split("$ hero reply ")[1].split()[0]
    last_listing = done.stdout.split("\n\n")[-1] if "\n\n" in done.stdout else done.stdout
    assert any(row[0] == replied and row[3] == "them" for row in rows), last_listing
    # The team mirror: a message per item in #support-team, a teammate's answer relayed.
    assert "Slack #support-team, the team's channel" in done.stderr
    posted = re.search(r"mirror: (\d+) posted", done.stderr)
    assert posted is not None, done.stderr
    assert int(posted[1]) == len({row[0] for row in rows}), done.stdout  # one per item
    assert "1 relayed" in done.stderr
    assert "hero reacted :incoming_envelope: to Ravi's message" in done.stderr
    answered = done.stderr.split("$ hero show ")[-1].split()[0]
    shown = done.stdout.split(f"#{answered} ")[-1]
    assert "Ravi (team)" in shown
    assert "I have reset it on our side" in shown
    assert "Waiting on them since" in done.stdout


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_demo_serve_stops_every_server_on_sigterm(tmp_path: Path) -> None:
    root = tmp_path / "demo"
    proc = subprocess.Popen(
        [sys.executable, "-m", "herocli", "demo", "--serve", "--dir", str(root)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=_env(tmp_path),
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()  # printed once every server is up
        assert first.startswith("# The demo servers are running"), first
        config = tomllib.loads((root / "config.toml").read_text(encoding="utf-8"))
        ports = [int(config["email"]["imap_port"]), int(config["email"]["smtp_port"])]
        ports.append(int(config["github"]["api_url"].rsplit(":", 1)[1].split("/")[0]))
        assert all(_port_open(p) for p in ports)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        assert not any(_port_open(p) for p in ports)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


def test_seed_times_move_so_the_newest_is_recent() -> None:
    seed = {
        "issues": [{"created_at": "2024-06-01T10:00:00Z"}, {"created_at": "2024-06-03T10:00:00Z"}],
        "messages": [{"ts": "1717408800.000100", "text": "2024-06-01T10:00:00Z is a date in text"}],
    }
    now = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    moved = recent(seed, now, timedelta(minutes=5))
    assert moved["issues"][1]["created_at"] == "2026-11-28T11:55:00Z"
    assert moved["issues"][0]["created_at"] == "2026-11-26T11:55:00Z"
    # 1717408800 is 2024-06-03T10:00:00Z, the newest time: it lands 5 minutes before now.
    assert moved["messages"][0]["ts"] == f"{int((now - timedelta(minutes=5)).timestamp())}.000100"
    assert seed["issues"][0]["created_at"] == "2024-06-01T10:00:00Z"  # the input is not changed


def test_pymap_takes_a_password_that_starts_with_a_dash() -> None:
    """Generated demo passwords can start with "-"; pymap must not read one as an option."""
    import imaplib

    from herocli.simulators.mail import pymap_command, wait_for_port
    from herocli.simulators.server import free_port

    port = free_port()
    proc = subprocess.Popen(
        pymap_command(port, "hey@acme.dev", "-starts-with-a-dash"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, proc, "pymap")
        imap = imaplib.IMAP4("127.0.0.1", port)
        assert imap.login("hey@acme.dev", "-starts-with-a-dash")[0] == "OK"
        imap.logout()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _demo_dirs(tmp: Path) -> list[str]:
    return sorted(p.name for p in tmp.iterdir() if p.name.startswith("hero-demo-"))


def test_demo_removes_its_temp_dir_when_it_ends(tmp_path: Path) -> None:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = {**_env(tmp_path), "TMPDIR": str(tmp)}
    done = subprocess.run(
        [sys.executable, "-m", "herocli", "demo"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert _demo_dirs(tmp) == []


def test_demo_serve_removes_its_temp_dir_on_ctrl_c(tmp_path: Path) -> None:
    from tests.pty_driver import PtyHero

    tmp = tmp_path / "tmp"
    tmp.mkdir()
    term = PtyHero("demo", "--serve", env={**_env(tmp_path), "TMPDIR": str(tmp)})
    term.expect("Press Ctrl-C to stop the servers", timeout=60)
    assert len(_demo_dirs(tmp)) == 1
    term.interrupt()
    assert term.wait() == 130
    assert "interrupted: the demo servers are stopped" in term.screen
    assert _demo_dirs(tmp) == []


def _serve_once(root: Path, tmp_path: Path) -> str:
    proc = subprocess.Popen(
        [sys.executable, "-m", "herocli", "demo", "--serve", "--dir", str(root)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(tmp_path),
    )
    assert proc.stdout is not None
    first = proc.stdout.readline()
    assert first.startswith("# The demo servers are running"), first
    proc.send_signal(signal.SIGTERM)
    _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    return err


def test_demo_dir_used_before_is_reset(tmp_path: Path) -> None:
    root = tmp_path / "demo"
    assert "reset" not in _serve_once(root, tmp_path)
    (root / "data").mkdir(exist_ok=True)
    stale = root / "data" / "queue.db"
    stale.write_bytes(b"an earlier demo's queue")
    err = _serve_once(root, tmp_path)
    assert f"{root}: the earlier demo's config and queue are reset" in err
    assert not stale.exists()  # the new servers start with a new queue


def test_demo_refuses_a_dir_holding_other_files(tmp_path: Path) -> None:
    root = tmp_path / "mine"
    root.mkdir()
    (root / "notes.txt").write_text("keep me", encoding="utf-8")
    (root / "config.toml").write_text("[hero]\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "herocli", "demo", "--serve", "--dir", str(root)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=_env(tmp_path),
    )
    assert done.returncode == 2
    assert done.stderr.splitlines()[0].startswith(f"error: --dir: {root} holds other files")
    assert (root / "notes.txt").read_text(encoding="utf-8") == "keep me"
    assert (root / "config.toml").read_text(encoding="utf-8") == "[hero]\n"

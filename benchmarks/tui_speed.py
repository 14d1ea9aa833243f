"""How fast `hero tui` is on a big queue: start to first frame, and one keystroke.

Fills a queue with 100,000 items / 500,000 messages (inbox_speed.fill), then
runs the app headless with Pilot in a fresh process, so the start-up figure
includes Python, the imports and the first read of the queue: it is the time
from the process being spawned to Textual's Ready event (the first frame is
on the screen). In the same process, Pilot then presses keys and times each
one until the app is idle again (the queue redrawn, the conversation read and
rendered): j/k in the "on us" view, and j/k/G/g in "all" (every item). A
key's time runs from Pilot sending it to the end of the frame that shows the
item it moved to. Pilot's whole press (which also waits for the process to look
idle) and the CPU time per key are shown beside it; on a busy machine the CPU
time is the steadier figure.

    python benchmarks/tui_speed.py [--items 100000] [--presses 60] [--keep DIR]

Targets: first frame within 1 s; a keystroke that moves or opens an item within
50 ms (95th percentile). Exits 1 on a miss.
"""

from __future__ import annotations

import time

SPAWNED = time.time()  # first, before any import: the child's start-up is measured from here

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {"first_frame_s": 1.0, "keystroke_ms": 50.0}
SIZE = (160, 50)


def child(root: Path, presses: int, spawned: float) -> None:
    """Run in the fresh process: start the app, time the first frame and the keys, print JSON."""
    from textual import events

    from herocli.cli.editor import compose
    from herocli.context import Context
    from herocli.tui.app import HeroApp

    class Timed(HeroApp):
        ready_at = 0.0
        ready_cpu = 0.0

        framed_at = 0.0

        def on_ready(self, _event: events.Ready) -> None:
            self.ready_at = time.time()
            self.ready_cpu = time.process_time()

        def on_queue_list_moved(self, _message: object) -> None:
            # The screen has shown the item by now; this runs after the next frame.
            self.call_after_refresh(self._framed)

        def _framed(self) -> None:
            self.framed_at = time.perf_counter()

    hero = Context(config_path=root / "config.toml", env={**os.environ})
    app = Timed(hero, compose_reply=compose)
    figures: dict[str, object] = {}

    async def run() -> None:
        async with app.run_test(size=SIZE) as pilot:
            while not app.ready_at:
                await pilot.pause(0.001)
            figures["first_frame_s"] = app.ready_at - spawned
            figures["first_frame_cpu_s"] = app.ready_cpu
            queue = app.screen_view.queue
            figures["view_items"] = len(queue.ids)
            figures["rows_read"] = len(queue._cache)
            timings: dict[str, list[float]] = {}
            frames: dict[str, list[float]] = {}
            cpu: dict[str, list[float]] = {}

            async def press(key: str) -> None:
                app.framed_at = 0.0
                start, used = time.perf_counter(), time.process_time()
                await pilot.press(key)  # returns once the app has handled it and is idle
                timings.setdefault(key, []).append((time.perf_counter() - start) * 1000)
                cpu.setdefault(key, []).append((time.process_time() - used) * 1000)
                if app.framed_at:
                    frames.setdefault(key, []).append((app.framed_at - start) * 1000)

            for _ in range(presses // 2):
                await press("z")  # bound to nothing: what Pilot itself costs a key
            for n in range(presses):
                await press("j" if n < presses // 2 else "k")
            await pilot.press("5")  # every item
            await pilot.pause()
            figures["all_items"] = len(queue.ids)
            for n in range(presses // 4):
                await press("G" if n % 2 == 0 else "g")
            await pilot.press("g")  # back to the top, so each j below moves
            for n in range(presses):
                await press("j" if n < presses // 2 else "k")
            figures["keys_ms"] = timings
            figures["frame_ms"] = frames
            figures["cpu_ms"] = cpu
            figures["rows_read_all"] = len(queue._cache)
        hero.close()

    asyncio.run(run())
    print(json.dumps(figures))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--presses", type=int, default=60)
    parser.add_argument("--keep", type=Path, help="build the queue here and keep it")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.presses, SPAWNED)
        return 0

    sys.path.insert(0, str(ROOT))
    from benchmarks.inbox_speed import CONFIG, fill_once

    root = args.keep or Path(tempfile.mkdtemp(prefix="hero-tui-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    (root / "config.toml").write_text(CONFIG, encoding="utf-8")
    queue = root / "data" / "queue.db"
    env = {**os.environ, "HERO_DATA_DIR": str(root / "data")}
    try:
        fill_once(queue, args.items)
        # Once to warm the OS file cache, as a hero's second start of the day would find it.
        runs = []
        for _ in range(3):
            proc = subprocess.run(
                [sys.executable, __file__, "--child", str(root), "--presses", str(args.presses)],
                env=env,
                capture_output=True,
                text=True,
                check=False,
                stdin=subprocess.DEVNULL,
            )
            if proc.returncode != 0:
                print(proc.stdout[-2000:], proc.stderr[-4000:])
                raise SystemExit("the app failed to run")
            runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        failed = False
        first = [float(r["first_frame_s"]) for r in runs[1:]]
        frame = statistics.median(first)
        mark = "" if frame <= TARGETS["first_frame_s"] else "  MISSED"
        failed |= bool(mark)
        last = runs[-1]
        print(
            f"terminal {SIZE[0]}x{SIZE[1]}, headless; 'on us' view {last['view_items']:,} items, "
            f"'all' view {last['all_items']:,} items"
        )
        print(
            f"start to first frame: {frame:.3f} s (median of {len(first)} warm starts; "
            f"cold {runs[0]['first_frame_s']:.3f} s); CPU "
            f"{statistics.median(float(r['first_frame_cpu_s']) for r in runs[1:]):.3f} s{mark}"
        )
        print(
            f"rows read for the first frame: {last['rows_read']} "
            f"(after paging the whole 'all' view: {last['rows_read_all']})"
        )
        keys: dict[str, list[float]] = {}
        cpus: dict[str, list[float]] = {}
        frames: dict[str, list[float]] = {}
        for run in runs[1:]:
            for name, into in (("keys_ms", keys), ("cpu_ms", cpus), ("frame_ms", frames)):
                for key, values in run[name].items():
                    into.setdefault(key, []).extend(values)
        floor = statistics.median(keys.pop("z"))
        frames.pop("z", None)  # a tick's redraw can land while an unbound key is pressed
        print(
            f"Pilot's own wait per key (an unbound key): {floor:.1f} ms; "
            "a key's frame is timed from the key to the frame that shows the item"
        )
        every: list[float] = []
        for key, values in frames.items():
            every += values
            print(
                f"key {key}: to its frame median {statistics.median(values):5.1f} ms, "
                f"p95 {_p95(values):5.1f} ms, max {max(values):5.1f} ms; "
                f"CPU median {statistics.median(cpus[key]):5.1f} ms; "
                f"whole Pilot press median {statistics.median(keys[key]):5.1f} ms "
                f"({len(values)} presses)"
            )
        p95 = _p95(every)
        mark = "" if p95 <= TARGETS["keystroke_ms"] else "  MISSED"
        failed |= bool(mark)
        print(
            f"keystroke to frame, p95 over all keys: {p95:.1f} ms "
            f"(target {TARGETS['keystroke_ms']:.0f}){mark}"
        )
        return 1 if failed else 0
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


if __name__ == "__main__":
    sys.exit(main())

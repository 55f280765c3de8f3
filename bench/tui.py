"""Headless Pilot run of the TUI: heatmap frames/s and the longest UI stall, on an idle
machine and side by side while two busy-loop processes keep both cores busy.

    python bench/tui.py [--seconds 10] [--size 200x60] [--regions 1000] [--speed max]
                        [--rows idle,loaded]

The engine runs in its worker thread on the zigzag sim with min = max = ``--regions``
regions; a probe coroutine on the UI loop wakes every 5 ms and records how late it
was (the UI stall).  For the ``loaded`` row the script starts one ``while True: pass``
process per CPU (two here) first and stops them after.  Printed per row: heatmap
frames per second (Textual compositor passes that drew heatmap lines: a whole repaint,
or only its newest lines), the wall time of such a pass (the whole screen's update),
the longest stall and its 99th percentile, the engine's snapshot rate and the CPU the
UI thread and the engine thread used (% of one core).
Targets (issue 11): >= 30 frames/s and stalls <= 50 ms, also under load.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time

BUSY = "while True: pass"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--size", default="200x60")
    parser.add_argument("--regions", type=int, default=1000)
    parser.add_argument("--speed", default="max", choices=("1", "10", "100", "max"))
    parser.add_argument("--workload", default="zigzag")
    parser.add_argument("--rows", default="idle,loaded",
                        help="which rows to measure: idle, loaded or both (default)")
    args = parser.parse_args()
    w, h = (int(x) for x in args.size.split("x"))
    ncpu = os.cpu_count() or 1
    print(f"# bench/tui.py: {w}x{h}, {args.workload}, {args.regions} regions, speed "
          f"{args.speed}, {args.seconds:g} s per row, {ncpu} CPUs, load average before "
          f"{os.getloadavg()[0]:.2f}")
    print(f"{'row':<22}{'frames/s':>9}{'frame ms mean/p95/max':>24}{'stall max':>11}"
          f"{'stall p99':>11}{'snapshots/s':>13}{'regions':>9}{'CPU ui/engine':>15}")
    for row in args.rows.split(","):
        busy = [subprocess.Popen([sys.executable, "-c", BUSY]) for _ in range(ncpu)] \
            if row == "loaded" else []
        try:
            time.sleep(0.5 if busy else 0)
            r = asyncio.run(run(args, (w, h)))
        finally:
            for p in busy:
                p.kill()
                p.wait()
        label = f"{row} (+{len(busy)} busy)" if busy else row
        print(f"{label:<22}{r['fps']:9.1f}{r['frame']:>24}{r['stall'] * 1e3:9.1f}ms"
              f"{r['p99'] * 1e3:9.1f}ms{r['snaps']:13.1f}{r['regions']:9d}{r['cpu']:>15}")
    print("targets: >= 30 frames/s, stall <= 50 ms (the machine may be shared: see the load "
          "average above)")


async def run(args, size) -> dict:
    """One measurement: a fresh app, warmed up, probed for ``args.seconds``."""
    from textual.screen import Screen

    from damon_tui.engine import Attrs
    from damon_tui.tui.app import DamonApp
    from damon_tui.tui.heatmap import Heatmap
    from damon_tui.tui.session import sim_session

    attrs = Attrs(update_us=1_000_000, min_nr_regions=args.regions,
                  max_nr_regions=max(args.regions, 10))
    session = sim_session(args.workload, attrs=attrs)
    speed = 0.0 if args.speed == "max" else float(args.speed)
    app = DamonApp(session, speed=speed, autostart=True)

    frame_costs: list[float] = []
    drawn = [0]  # heatmap lines drawn so far
    orig = Heatmap.render_line
    orig_pass = Screen._on_timer_update

    def counted(self, y):
        drawn[0] += 1
        return orig(self, y)

    def timed_pass(self):  # one compositor pass; a frame if it drew heatmap lines
        t0, n0 = time.perf_counter(), drawn[0]
        try:
            return orig_pass(self)
        finally:
            if drawn[0] != n0:
                frame_costs.append(time.perf_counter() - t0)

    Heatmap.render_line = counted
    Screen._on_timer_update = timed_pass
    stalls: list[float] = []
    try:
        async with app.run_test(size=size) as pilot:
            await pilot.pause(1.5)  # warm up: first snapshots, layout, first panel updates
            frame_costs.clear()
            n0 = app.feed.count
            t0, c0 = time.perf_counter(), time.thread_time()
            end = t0 + args.seconds
            while time.perf_counter() < end:
                s = time.perf_counter()
                await asyncio.sleep(0.005)
                stalls.append(time.perf_counter() - s - 0.005)
            elapsed = time.perf_counter() - t0
            ui_cpu = (time.thread_time() - c0) / elapsed
            engine_cpu = app.source.cpu_fraction
            n1 = app.feed.count
            regions = app.feed.nr_regions
            app.source.stop()
    finally:
        Heatmap.render_line = orig
        Screen._on_timer_update = orig_pass
    costs = sorted(frame_costs)
    p95 = costs[int(0.95 * (len(costs) - 1))] if costs else 0.0
    mean = sum(costs) / len(costs) if costs else 0.0
    stalls.sort()
    return {
        "fps": len(costs) / elapsed,
        "frame": f"{mean * 1e3:.1f}/{p95 * 1e3:.1f}/{max(costs, default=0) * 1e3:.1f}",
        "stall": stalls[-1] if stalls else 0.0,
        "p99": stalls[int(0.99 * (len(stalls) - 1))] if stalls else 0.0,
        "snaps": (n1 - n0) / elapsed,
        "regions": regions,
        "cpu": f"{ui_cpu * 100:.0f}/{engine_cpu * 100:.0f}%",
    }


if __name__ == "__main__":
    main()
